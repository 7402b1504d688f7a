import Foundation

/// Walks the fields of one CSV line (no quoting: market-data files hold numbers only) left to right,
/// without allocating: bulk imports parse millions of lines.
struct CSVFields {
    let line: UnsafeBufferPointer<UInt8>
    /// Start of the next field; `line.count + 1` once the last field was taken.
    private var position = 0

    init(_ line: UnsafeBufferPointer<UInt8>) { self.line = line }

    /// The next field's byte range, or nil after the last field.
    mutating func next() -> Range<Int>? {
        guard position <= line.count else { return nil }
        var end = position
        while end < line.count && line[end] != UInt8(ascii: ",") { end += 1 }
        defer { position = end + 1 }
        return position..<end
    }

    /// Number of fields left, counting the rest of the line (for messages).
    func remainingCount() -> Int {
        guard position <= line.count else { return 0 }
        return line[position...].reduce(1) { $0 + ($1 == UInt8(ascii: ",") ? 1 : 0) }
    }

    /// The field as text, for messages.
    func text(_ range: Range<Int>) -> String { UnsafeBufferPointer(rebasing: line[range]).text }

    /// A base-10 integer with optional sign; nil if the field is anything else.
    func integer(_ range: Range<Int>) -> Int64? {
        guard !range.isEmpty else { return nil }
        var index = range.lowerBound
        var negative = false
        if line[index] == UInt8(ascii: "-") || line[index] == UInt8(ascii: "+") {
            negative = line[index] == UInt8(ascii: "-")
            index += 1
            guard index < range.upperBound else { return nil }
        }
        var value: Int64 = 0
        while index < range.upperBound {
            let digit = line[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        return negative ? -value : value
    }

    /// A decimal number; nil unless the whole field is plain decimal notation. Exact: short decimals
    /// (at most 15 digits and 22 fraction digits, i.e. every price and volume an exchange sends) are
    /// converted by Clinger's fast path, `mantissa / 10^k` with both operands exact, which IEEE division
    /// rounds correctly; anything longer goes to `strtod` (C locale). The line is followed in memory by a
    /// delimiter, so `strtod` never reads past the field.
    func number(_ range: Range<Int>) -> Double? {
        guard !range.isEmpty else { return nil }
        var index = range.lowerBound
        var negative = false
        if line[index] == UInt8(ascii: "-") || line[index] == UInt8(ascii: "+") {
            negative = line[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: Int64 = 0
        var digits = 0, fractionDigits = 0
        var seenPoint = false, fast = index < range.upperBound
        while index < range.upperBound {
            let byte = line[index]
            if byte == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else if byte &- UInt8(ascii: "0") < 10 {
                if mantissa > 0 || byte != UInt8(ascii: "0") { digits += 1 }
                mantissa = mantissa &* 10 &+ Int64(byte &- UInt8(ascii: "0"))
                if seenPoint { fractionDigits += 1 }
            } else {
                fast = false
                break
            }
            index += 1
        }
        if fast && digits <= 15 && fractionDigits <= 22 && index > range.lowerBound + (negative ? 1 : 0)
            && !(seenPoint && index == range.lowerBound + (negative ? 2 : 1))
        {
            let value = Double(mantissa) / Self.powersOfTen[fractionDigits]
            return negative ? -value : value
        }
        return slowNumber(range)
    }

    /// Exact powers of ten representable in a double.
    private static let powersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    private func slowNumber(_ range: Range<Int>) -> Double? {
        for index in range {  // plain decimal notation only: no spaces, "nan", "inf" or hex
            switch line[index] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"),
                UInt8(ascii: "e"), UInt8(ascii: "E"): continue
            default: return nil
            }
        }
        let start = UnsafeRawPointer(line.baseAddress! + range.lowerBound).assumingMemoryBound(to: CChar.self)
        var end: UnsafeMutablePointer<CChar>?
        let value = strtod(start, &end)
        let expectedEnd = UnsafeRawPointer(line.baseAddress! + range.upperBound)
        guard let end, UnsafeRawPointer(end) == expectedEnd else { return nil }
        return value
    }
}

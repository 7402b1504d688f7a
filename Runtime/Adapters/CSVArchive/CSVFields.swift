import Foundation

/// Splits one CSV line (no quoting: market-data files hold numbers only) and parses its fields.
struct CSVFields {
    /// Start and end offsets of each field in the line.
    private(set) var ranges: [Range<Int>] = []
    let line: UnsafeBufferPointer<UInt8>

    init(_ line: UnsafeBufferPointer<UInt8>, expected: Int) {
        self.line = line
        ranges.reserveCapacity(expected)
        var start = 0
        for index in 0..<line.count where line[index] == UInt8(ascii: ",") {
            ranges.append(start..<index)
            start = index + 1
        }
        ranges.append(start..<line.count)
    }

    var count: Int { ranges.count }

    /// The field as text, for messages.
    func text(_ field: Int) -> String { UnsafeBufferPointer(rebasing: line[ranges[field]]).text }

    /// A base-10 integer with optional sign; nil if the field is anything else.
    func integer(_ field: Int) -> Int64? {
        let range = ranges[field]
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

    /// A decimal number (as `strtod` reads it, C locale); nil unless the whole field is consumed.
    /// The line is followed in memory by a delimiter, so `strtod` never reads past the field.
    func number(_ field: Int) -> Double? {
        let range = ranges[field]
        guard !range.isEmpty else { return nil }
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

/// PostgreSQL's binary COPY format: a header, then per row a field count and length-prefixed
/// big-endian fields, then a trailer. Binary rows skip the server's text parsing, which is most of a
/// bulk load's cost after index maintenance.
enum CopyBinaryFormat {
    /// `PGCOPY\n\377\r\n\0`, flags 0, header-extension length 0.
    static let header: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]
    /// Field count -1 ends the data.
    static let trailer: [UInt8] = [0xFF, 0xFF]
    /// Most bytes one NUMERIC field takes: length, 4 header words and at most 8 base-10000 digits
    /// (a double's shortest decimal has at most 17 significant digits), or the text path's maximum.
    static let maximumNumericBytes = 4 + 8 + 2 * 90

    static func putText(_ bytes: [UInt8], to writer: CopyInWriter) {
        writer.put(Int32(bytes.count))
        writer.put(bytes: bytes)
    }

    static func putInt32(_ value: Int32, to writer: CopyInWriter) {
        writer.put(Int32(4))
        writer.put(value)
    }

    static func putInt64(_ value: Int64, to writer: CopyInWriter) {
        writer.put(Int32(8))
        writer.put(value)
    }

    /// A finite double as NUMERIC holding a decimal that converts back to exactly this double (the text the
    /// exchange sent), in numeric_send's layout: ndigits, weight, sign, dscale, then base-10000 digits.
    static func putNumeric(_ value: Double, to writer: CopyInWriter) {
        precondition(value.isFinite, "NUMERIC columns take finite values only")
        let magnitude = value.magnitude
        let sign: UInt16 = value < 0 ? 0x4000 : 0
        // Fast path: the fewest fraction digits k (<= 12) with round(v * 10^k) / 10^k == v; the division
        // of two exact doubles is correctly rounded, so the decimal round-trips exactly.
        var scale = 0
        var scaled = magnitude
        while scale <= 12 {
            scaled = (magnitude * powersOfTen[scale]).rounded()
            if scaled < 9.007e15 && scaled / powersOfTen[scale] == magnitude { break }
            scale += 1
        }
        guard scale <= 12 else { return putNumericFromText(value, to: writer) }
        // Align the fraction to whole base-10000 groups, then split into groups from the low end.
        let padding = (4 - scale % 4) % 4
        var integer = UInt64(scaled) * UInt64(powersOfTen[padding])
        let fractionGroups = (scale + padding) / 4
        var groups: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &groups) { raw in
            let slots = raw.bindMemory(to: UInt16.self)
            var count = 0, trailingZeroGroups = 0
            while integer > 0 {
                let group = UInt16(integer % 10_000)
                integer /= 10_000
                if group == 0 && count == trailingZeroGroups { trailingZeroGroups += 1 }
                slots[count] = group
                count += 1
            }
            let significant = count - trailingZeroGroups
            writer.put(Int32(8 + 2 * significant))
            writer.put(Int16(significant))
            writer.put(Int16(significant == 0 ? 0 : count - 1 - fractionGroups))
            writer.put(sign)
            writer.put(Int16(scale))
            var slot = count - 1
            while slot >= trailingZeroGroups {
                writer.put(slots[slot])
                slot -= 1
            }
        }
    }

    /// Exact powers of ten, 10^0 ... 10^15.
    private static let powersOfTen: [Double] = (0...15).map { exponent in (0..<exponent).reduce(1.0) { value, _ in value * 10 } }

    /// The general path (very small, very large or long values): the shortest round-trip decimal text
    /// of the double, in base-10000 groups.
    static func putNumericFromText(_ value: Double, to writer: CopyInWriter) {
        let decimal = ShortestDecimal(value)
        let layout = decimal.base10000Layout()
        writer.put(Int32(8 + 2 * layout.groupCount))
        writer.put(Int16(layout.groupCount))
        writer.put(Int16(layout.weight))
        writer.put(UInt16(value < 0 ? 0x4000 : 0))
        writer.put(Int16(decimal.fractionDigits))
        for group in 0..<layout.groupCount {
            writer.put(Int16(decimal.group(layout.firstGroup + group, leftPad: layout.leftPad)))
        }
    }
}

/// The shortest decimal that round-trips to a double: up to 17 significant digits (no leading or trailing
/// zeros) and the position of the decimal point relative to them (`0.d1d2d3… × 10^pointPosition`).
/// Built without heap allocation: bulk loads encode millions of these.
struct ShortestDecimal {
    /// Digit values 0...9, `count` of them.
    private var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 nibble-sized slots, 4 bits each
    private(set) var count = 0
    private(set) var pointPosition = 0

    /// Digits after the decimal point in plain notation (NUMERIC's display scale).
    var fractionDigits: Int { max(0, count - pointPosition) }

    init(_ value: Double) {
        // Swift's description is the shortest round-trip form, e.g. "30000.04", "1e-05", "1.2e+17"; such
        // short strings are stored inline, without allocation.
        let text = value.magnitude.description
        var point: Int?
        var exponent = 0
        var exponentSign = 1
        var inExponent = false
        var leadingZeros = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "."): point = count + leadingZeros
            case UInt8(ascii: "e"): inExponent = true
            case UInt8(ascii: "-") where inExponent: exponentSign = -1
            case UInt8(ascii: "+"): continue
            default:
                let digit = Int(byte &- 48)
                if inExponent {
                    exponent = exponent * 10 + digit
                } else if count == 0 && digit == 0 {
                    leadingZeros += 1
                } else {
                    set(count, digit)
                    count += 1
                }
            }
        }
        while count > 0 && self[count - 1] == 0 { count -= 1 }
        pointPosition = count == 0 ? 0 : (point ?? (count + leadingZeros)) - leadingZeros + exponentSign * exponent
    }

    subscript(index: Int) -> Int {
        let word = index / 16, shift = UInt64(index % 16) * 4
        let bits = word == 0 ? digits.0 : word == 1 ? digits.1 : digits.2
        return Int((bits >> shift) & 0xF)
    }

    private mutating func set(_ index: Int, _ digit: Int) {
        let word = index / 16, shift = UInt64(index % 16) * 4
        let bits = UInt64(digit) << shift
        switch word {
        case 0: digits.0 |= bits
        case 1: digits.1 |= bits
        default: digits.2 |= bits
        }
    }

    /// NUMERIC's base-10000 layout: groups are aligned on the decimal point, so the digit string is
    /// padded with `leftPad` zeros in front; `weight` is the power of 10000 of the first non-zero group.
    func base10000Layout() -> (leftPad: Int, firstGroup: Int, groupCount: Int, weight: Int) {
        guard count > 0 else { return (0, 0, 0, 0) }
        let leftPad = ((4 - pointPosition % 4) % 4 + 4) % 4
        let groupsBeforePoint = (pointPosition + leftPad) / 4
        let total = (leftPad + count + 3) / 4
        var first = 0
        while first < total - 1 && group(first, leftPad: leftPad) == 0 { first += 1 }
        var last = total - 1
        while last > first && group(last, leftPad: leftPad) == 0 { last -= 1 }
        return (leftPad, first, last - first + 1, groupsBeforePoint - 1 - first)
    }

    /// The base-10000 digit at `index` of the padded digit string.
    func group(_ index: Int, leftPad: Int) -> Int {
        var value = 0
        for position in index * 4 ..< index * 4 + 4 {
            let digitIndex = position - leftPad
            value = value * 10 + (digitIndex >= 0 && digitIndex < count ? self[digitIndex] : 0)
        }
        return value
    }
}

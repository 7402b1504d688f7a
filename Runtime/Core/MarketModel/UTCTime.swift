/// Calendar fields of a UTC instant (proleptic Gregorian), without Foundation: Core code formats
/// times without reading a clock or a time zone database.
public struct UTCTime: Sendable, Equatable {
    public var year, month, day, hour, minute, second, millisecond: Int

    /// The fields of `milliseconds` since the Unix epoch.
    public init(milliseconds: Int64) {
        var (seconds, remainder) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        if remainder < 0 {
            remainder += 1000
            seconds -= 1
        }
        millisecond = Int(remainder)
        var (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        hour = Int(secondOfDay / 3600)
        minute = Int(secondOfDay % 3600 / 60)
        second = Int(secondOfDay % 60)
        // Civil-from-days (Howard Hinnant's algorithm).
        let shifted = Int(days) + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// `2025-05-04`.
    public var dayString: String { "\(year)-\(Self.two(month))-\(Self.two(day))" }

    /// `2025-05-04 15:33`.
    public var minuteString: String { "\(dayString) \(Self.two(hour)):\(Self.two(minute))" }

    /// `2025-05-04T15:33:00.000Z`.
    public var iso8601: String {
        let milliseconds = millisecond < 10 ? "00\(millisecond)" : millisecond < 100 ? "0\(millisecond)" : "\(millisecond)"
        return "\(dayString)T\(Self.two(hour)):\(Self.two(minute)):\(Self.two(second)).\(milliseconds)Z"
    }

    /// `2025-05-04 15:33` for UTC milliseconds.
    public static func format(_ milliseconds: Int64) -> String { UTCTime(milliseconds: milliseconds).minuteString }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

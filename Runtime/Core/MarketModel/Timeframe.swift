/// A bar duration. Every timeframe is aligned to UTC: a bar opens at a multiple of its duration since
/// the Unix epoch (days start at 00:00 UTC).
public enum Timeframe: String, CaseIterable, Sendable, Codable, Comparable, CustomStringConvertible {
    case oneMinute = "1m"
    case fiveMinutes = "5m"
    case fifteenMinutes = "15m"
    case oneHour = "1h"
    case fourHours = "4h"
    case oneDay = "1d"

    /// Bar duration in milliseconds.
    public var milliseconds: Int64 {
        switch self {
        case .oneMinute: 60_000
        case .fiveMinutes: 300_000
        case .fifteenMinutes: 900_000
        case .oneHour: 3_600_000
        case .fourHours: 14_400_000
        case .oneDay: 86_400_000
        }
    }

    /// The value users type and files carry, e.g. `1m`, `4h`.
    public var description: String { rawValue }

    /// The comma-separated list of accepted spellings, for error messages.
    public static var allowedValues: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Parses `1m`, `5m`, `15m`, `1h`, `4h`, `1d` (also the exchange spellings `1H`, `4H`, `1D`, `1Dutc`).
    public init?(parsing text: String) {
        switch text {
        case "1H": self = .oneHour
        case "4H": self = .fourHours
        case "1D", "1Dutc": self = .oneDay
        default: self.init(rawValue: text)
        }
    }

    /// The open time (UTC ms) of the bar of this timeframe that contains `time`.
    public func barOpenTime(containing time: Int64) -> Int64 {
        let remainder = time % milliseconds
        return time - (remainder < 0 ? remainder + milliseconds : remainder)
    }

    /// Whether `time` (UTC ms) is a valid bar open time for this timeframe.
    public func isOnGrid(_ time: Int64) -> Bool { time % milliseconds == 0 }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let timeframe = Timeframe(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "\(text) is not a timeframe; use one of \(Self.allowedValues)"))
        }
        self = timeframe
    }

    public static func < (lhs: Timeframe, rhs: Timeframe) -> Bool { lhs.milliseconds < rhs.milliseconds }
}

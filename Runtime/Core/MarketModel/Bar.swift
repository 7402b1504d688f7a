/// One OHLCV bar. Prices in quote currency (USDT), volume in base currency (BTC, ETH, ...).
///
/// Prices are held as `Double`: an exchange's decimal string (at most 15 significant digits) parses to
/// the nearest double and prints back to the same text, so storing and re-emitting them is exact.
public struct Bar: Sendable, Hashable, Codable {
    /// Bar open time, Unix epoch milliseconds, UTC.
    public var openTime: Int64
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    /// Traded volume in the base asset.
    public var volume: Double

    public init(openTime: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double) {
        self.openTime = openTime
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }
}

/// Why a bar cannot be accepted. The description is the text users see in reject files and logs.
public enum BarProblem: Sendable, Equatable, CustomStringConvertible {
    case notOnGrid(openTime: Int64, timeframe: Timeframe)
    case notIncreasing(openTime: Int64, previous: Int64)
    case nonPositivePrice(field: String, value: Double)
    case notFinite(field: String)
    case negativeVolume(Double)
    case highBelowOpenOrClose(high: Double, open: Double, close: Double)
    case lowAboveOpenOrClose(low: Double, open: Double, close: Double)

    public var description: String {
        switch self {
        case let .notOnGrid(time, timeframe):
            "open time \(time) is not on the \(timeframe) grid (must be a multiple of \(timeframe.milliseconds) ms)"
        case let .notIncreasing(time, previous):
            "open time \(time) is not after the previous bar's \(previous) (rows must be strictly increasing)"
        case let .nonPositivePrice(field, value): "\(field) = \(value): prices must be > 0"
        case let .notFinite(field): "\(field) is not a finite number"
        case let .negativeVolume(value): "volume = \(value): must be >= 0"
        case let .highBelowOpenOrClose(high, open, close):
            "high \(high) is below max(open \(open), close \(close))"
        case let .lowAboveOpenOrClose(low, open, close):
            "low \(low) is above min(open \(open), close \(close))"
        }
    }
}

extension Bar {
    /// Checks the bar on its own (grid, finite positive prices, OHLC consistency, volume). Ordering
    /// against a previous bar is checked by `BarSequenceValidator`.
    public func problem(timeframe: Timeframe) -> BarProblem? {
        if !(open.isFinite && high.isFinite && low.isFinite && close.isFinite && volume.isFinite) {
            let field = !open.isFinite ? "open" : !high.isFinite ? "high" : !low.isFinite ? "low" : !close.isFinite ? "close" : "volume"
            return .notFinite(field: field)
        }
        if !(open > 0 && high > 0 && low > 0 && close > 0) {
            let (field, value) = open <= 0 ? ("open", open) : high <= 0 ? ("high", high) : low <= 0 ? ("low", low) : ("close", close)
            return .nonPositivePrice(field: field, value: value)
        }
        if volume < 0 { return .negativeVolume(volume) }
        if high < max(open, close) { return .highBelowOpenOrClose(high: high, open: open, close: close) }
        if low > min(open, close) { return .lowAboveOpenOrClose(low: low, open: open, close: close) }
        if !timeframe.isOnGrid(openTime) { return .notOnGrid(openTime: openTime, timeframe: timeframe) }
        return nil
    }
}

/// Validates a stream of bars of one timeframe: each bar on its own and strictly increasing open times.
/// A rejected bar does not advance the sequence, so one bad row never causes its good successors to be
/// rejected.
public struct BarSequenceValidator: Sendable {
    public let timeframe: Timeframe
    /// Open time of the last accepted bar, if any.
    public private(set) var lastOpenTime: Int64?

    public init(timeframe: Timeframe, lastOpenTime: Int64? = nil) {
        self.timeframe = timeframe
        self.lastOpenTime = lastOpenTime
    }

    /// Returns nil and records the bar when it is acceptable, otherwise the problem.
    public mutating func accept(_ bar: Bar) -> BarProblem? {
        if let problem = bar.problem(timeframe: timeframe) { return problem }
        if let last = lastOpenTime, bar.openTime <= last {
            return .notIncreasing(openTime: bar.openTime, previous: last)
        }
        lastOpenTime = bar.openTime
        return nil
    }
}

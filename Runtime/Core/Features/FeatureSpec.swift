import Crypto
import Foundation
import MarketModel

/// What the agents see: the ordered feature names with their parameters and timeframes, and a stable
/// version hash (SHA-256 of the canonical JSON). Every tensor and agent artifact carries the hash; the
/// runtime refuses an agent whose hash differs from the code's.
public struct FeatureSpec: Sendable, Codable, Equatable {
    /// Bumped when the meaning of a feature changes without its parameters changing.
    public var version: Int
    /// Timeframes whose indicator features are included, shortest first (the first is the trading timeframe).
    public var timeframes: [Timeframe]
    /// Timeframes with a trend flag.
    public var trendTimeframes: [Timeframe]
    /// Timeframes whose features may still be warming up in a valid row (their values are 0 until
    /// ready, and a `ready_{tf}` feature says which). The daily MACD alone needs 34 days of history,
    /// more than many symbols have when first downloaded.
    public var optionalTimeframes: [Timeframe]
    public var parameters: Parameters

    public struct Parameters: Sendable, Codable, Equatable {
        public var emaPeriod = 20
        public var rsiPeriod = 14
        public var macdFast = 12
        public var macdSlow = 26
        public var macdSignal = 9
        public var bollingerPeriod = 20
        public var bollingerDeviations = 2.0
        public var atrPeriod = 14
        /// EMA whose slope gives the trend flag of a timeframe.
        public var trendEMAPeriod = 20
        /// Rows after a gap in 1m data that are marked invalid (indicators are distorted across it).
        public var gapRecoveryBars = 60
        public init() {}
    }

    /// The per-timeframe features, in order, and how each is scaled.
    public static let timeframeFeatures: [(name: String, meaning: String)] = [
        ("log_return", "ln(close / previous close) × 100 (percent)"),
        ("ema_distance", "(close / EMA − 1) × 100 (percent)"),
        ("rsi", "(RSI − 50) / 50, in [−1, 1]"),
        ("macd_histogram", "MACD histogram / close × 100 (percent of price)"),
        ("bollinger_percent_b", "(close − lower) / (upper − lower) − 0.5; 0 when the bands touch"),
        ("bollinger_width", "(upper − lower) / middle × 100 (percent)"),
        ("atr_fraction", "ATR / close × 100 (percent)"),
    ]

    public init(version: Int = 1, timeframes: [Timeframe] = Timeframe.allCases,
                trendTimeframes: [Timeframe] = [.fifteenMinutes, .oneHour, .fourHours, .oneDay],
                optionalTimeframes: [Timeframe] = [.oneDay], parameters: Parameters = Parameters()) {
        self.version = version
        self.timeframes = timeframes.sorted()
        self.trendTimeframes = trendTimeframes.sorted()
        self.optionalTimeframes = optionalTimeframes.sorted().filter { timeframes.contains($0) }
        self.parameters = parameters
    }

    /// The default set the agents are trained on.
    public static let standard = FeatureSpec()

    /// Feature names in column order.
    public var names: [String] {
        var names: [String] = []
        for timeframe in timeframes {
            names += Self.timeframeFeatures.map { "\($0.name)_\(timeframe.rawValue)" }
        }
        names += trendTimeframes.map { "trend_\($0.rawValue)" }
        names += optionalTimeframes.map { "ready_\($0.rawValue)" }
        names += ["time_of_day_sin", "time_of_day_cos", "funding_rate", "funding_known"]
        return names
    }

    public var count: Int {
        timeframes.count * Self.timeframeFeatures.count + trendTimeframes.count + optionalTimeframes.count + 4
    }

    /// Column index of a feature by name.
    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    /// Canonical JSON: sorted keys, no whitespace, names included (so reordering changes the hash).
    public var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let document = CanonicalDocument(spec: self, names: names)
        return String(decoding: try! encoder.encode(document), as: UTF8.self)
    }

    /// SHA-256 of the canonical JSON, lower-case hex (64 characters).
    public var hash: String {
        SHA256.hash(data: Data(canonicalJSON.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The first 16 hex digits, used in file names.
    public var shortHash: String { String(hash.prefix(16)) }

    /// 1m bars needed before a row can be valid: the longest lookback of the required timeframes, in minutes.
    public var warmUpMinutes: Int {
        let slowest = timeframes.filter { !optionalTimeframes.contains($0) }.max() ?? .oneMinute
        let bars = max(parameters.macdSlow + parameters.macdSignal, parameters.bollingerPeriod, parameters.atrPeriod + 1,
                       parameters.rsiPeriod + 1, parameters.emaPeriod, parameters.trendEMAPeriod + 1) + 1
        return bars * Int(slowest.milliseconds / 60_000)
    }

    /// Minutes of 1m history before the first traded bar that backtests and the live trader feed the
    /// features with: the warm-up plus 40 days (so the daily indicators are ready too). One definition,
    /// so a backtest from a time and the trader starting at that time see identical feature rows.
    public var tradingHistoryMinutes: Int { warmUpMinutes + 40 * 1_440 }

    private struct CanonicalDocument: Encodable {
        var spec: FeatureSpec
        var names: [String]
    }
}

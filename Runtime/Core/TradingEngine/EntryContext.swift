import MarketModel

/// The position state an agent sees after the feature row, shared by the training environment, the
/// backtests and the live runtime so the three can never disagree.
public enum AgentPositionState {
    public static let names = ["position_side", "unrealized_risk_units", "bars_in_trade_per_100", "leverage_per_100", "drawdown_percent"]

    /// Side (+1 long, −1 short, 0 flat), unrealised PnL in risk units, bars in the trade / 100,
    /// leverage / 100 and drawdown × 100 (percent).
    public static func values(side: PositionSide?, unrealizedRisk: Double, barsInTrade: Int, leverage: Double,
                              drawdown: Double) -> [Double] {
        var values: [Double] = []
        append(to: &values, side: side, unrealizedRisk: unrealizedRisk, barsInTrade: barsInTrade, leverage: leverage, drawdown: drawdown)
        return values
    }

    /// Appends the five values to `observation` (no temporary array: the training environment's hot path).
    @inlinable
    public static func append(to observation: inout [Double], side: PositionSide?, unrealizedRisk: Double, barsInTrade: Int,
                              leverage: Double, drawdown: Double) {
        if let side {
            observation.append(side.sign)
            observation.append(unrealizedRisk)
            observation.append(Double(barsInTrade) / 100)
            observation.append(leverage / 100)
        } else {
            observation.append(contentsOf: repeatElement(0, count: 4))
        }
        observation.append(drawdown * 100)
    }
}

/// The indicator values that describe the situation at an entry: what strategy records keep, what the
/// context analysis groups by, and what the loser-similarity filter compares.
public struct EntryContextLayout: Sendable, Equatable {
    /// The context's names, in order (those of `EntryContextLayout.preferred` the feature set has).
    public let names: [String]
    let columns: [Int]
    /// Positions in `names` of the trend columns, for the trend-agreement count.
    public let trendSlots: [Int]

    public static let preferred = [
        "rsi_1m", "rsi_15m", "macd_histogram_1m", "bollinger_percent_b_1m", "bollinger_width_15m", "atr_fraction_15m",
        "ema_distance_1h", "trend_15m", "trend_1h", "trend_4h", "time_of_day_sin", "time_of_day_cos", "funding_rate",
    ]

    public init(featureNames: [String]) {
        var names: [String] = [], columns: [Int] = []
        for name in Self.preferred {
            if let column = featureNames.firstIndex(of: name) {
                names.append(name)
                columns.append(column)
            }
        }
        self.names = names
        self.columns = columns
        trendSlots = names.indices.filter { names[$0].hasPrefix("trend_") }
    }

    /// The context of a feature row (non-finite values read as 0).
    public func context(_ features: UnsafeBufferPointer<Double>) -> [Double] {
        columns.map { features[$0].isFinite ? features[$0] : 0 }
    }

    /// How many trend columns agree with `side` (+1 long, −1 short).
    public func trendAgreement(_ context: [Double], side: Double) -> Int {
        trendSlots.filter { context[$0] * side > 0 }.count
    }
}

/// A check on new entries, applied by the backtester (and the live loop) between the policy and the engine.
public protocol EntryFilter: Sendable {
    /// A short description for reports.
    var name: String { get }
    /// Whether an entry on `side` may proceed from a situation described by `context`.
    func allows(side: PositionSide, context: [Double]) -> Bool
}

/// Blocks an entry whose context resembles past losing entries: among the `neighbours` nearest stored
/// entries on the same side (Euclidean distance over standardised context values), if at least
/// `blockingShare` were losers, the entry is skipped.
public struct LoserSimilarityFilter: EntryFilter, Sendable, Codable, Equatable {
    public struct Example: Sendable, Codable, Equatable {
        public var side: Double
        public var context: [Double]
        public var lost: Bool
        public init(side: Double, context: [Double], lost: Bool) {
            self.side = side
            self.context = context
            self.lost = lost
        }
    }

    public var contextNames: [String]
    public var examples: [Example]
    public var scales: [Double]
    public var neighbours: Int
    public var blockingShare: Double
    public var name: String { "loser-similarity (k=\(neighbours), block at ≥ \(Int(blockingShare * 100))% losers)" }

    /// Builds the filter from best (won) and worst (lost) entries; the scales are the contexts' standard deviations.
    public init(contextNames: [String], examples: [Example], neighbours: Int = 7, blockingShare: Double = 0.8) {
        self.contextNames = contextNames
        self.examples = examples
        self.neighbours = neighbours
        self.blockingShare = blockingShare
        let count = Double(max(examples.count, 1))
        scales = contextNames.indices.map { slot in
            let mean = examples.reduce(0) { $0 + $1.context[slot] } / count
            let variance = examples.reduce(0) { $0 + ($1.context[slot] - mean) * ($1.context[slot] - mean) } / count
            return variance > 1e-12 ? variance.squareRoot() : 1
        }
    }

    public func allows(side: PositionSide, context: [Double]) -> Bool {
        var nearest: [(distance: Double, lost: Bool)] = []
        for example in examples where example.side == side.sign {
            var distance = 0.0
            for slot in context.indices {
                let difference = (context[slot] - example.context[slot]) / scales[slot]
                distance += difference * difference
            }
            nearest.append((distance, example.lost))
        }
        guard nearest.count >= neighbours else { return true }
        nearest.sort { $0.distance < $1.distance }
        let losers = nearest.prefix(neighbours).filter(\.lost).count
        return Double(losers) < blockingShare * Double(neighbours)
    }
}

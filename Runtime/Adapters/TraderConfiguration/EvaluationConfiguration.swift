/// The `evaluation:` block of `ml/training.yaml`: how candidates are judged out of sample.
public struct EvaluationSettings: Sendable, Codable, Equatable {
    /// Monte Carlo resamples of the daily (or hourly) returns for the confidence intervals.
    public var bootstrapSamples: Int
    /// Strategy records kept per agent on each side (best and worst).
    public var keepStrategies: Int
    /// Neighbours the loser-similarity filter compares an entry with.
    public var loserFilterNeighbours: Int
    /// Share of losers among those neighbours that blocks an entry.
    public var loserFilterBlockingShare: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case bootstrapSamples = "bootstrap_samples"
        case keepStrategies = "keep_strategies"
        case loserFilterNeighbours = "loser_filter_neighbours"
        case loserFilterBlockingShare = "loser_filter_blocking_share"
    }

    init() {
        bootstrapSamples = 1_000
        keepStrategies = 1_000
        loserFilterNeighbours = 7
        loserFilterBlockingShare = 0.8
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        bootstrapSamples = fields.integer(.bootstrapSamples, or: 1_000, within: 100...100_000)
        keepStrategies = fields.integer(.keepStrategies, or: 1_000, within: 10...100_000)
        loserFilterNeighbours = fields.integer(.loserFilterNeighbours, or: 7, within: 1...100)
        loserFilterBlockingShare = fields.number(.loserFilterBlockingShare, or: 0.8, within: 0.5...1)
    }
}

/// The `promotion:` block: what a candidate must show out of sample to become `agents/{SYMBOL}/current`.
/// Its max drawdown must also stay within `trading/risk.yaml` `halt_drawdown`.
public struct PromotionSettings: Sendable, Codable, Equatable {
    /// Total return over the held-out range must exceed the flat baseline's by more than this (fraction).
    public var returnMarginOverFlat: Double
    /// Out-of-sample Sharpe must exceed the current agent's by more than this (on the same range).
    public var sharpeMarginOverCurrent: Double
    /// Fewer out-of-sample trades than this is too little evidence to promote.
    public var minimumTrades: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case returnMarginOverFlat = "return_margin_over_flat"
        case sharpeMarginOverCurrent = "sharpe_margin_over_current"
        case minimumTrades = "minimum_trades"
    }

    init() {
        returnMarginOverFlat = 0
        sharpeMarginOverCurrent = 0
        minimumTrades = 5
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        returnMarginOverFlat = fields.number(.returnMarginOverFlat, or: 0, within: -1...10)
        sharpeMarginOverCurrent = fields.number(.sharpeMarginOverCurrent, or: 0, within: -100...100)
        minimumTrades = fields.integer(.minimumTrades, or: 5, within: 0...1_000_000)
    }
}

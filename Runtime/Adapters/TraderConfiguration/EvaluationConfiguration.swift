import TradingEngine

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
    /// Minutes after a drawdown halt at which backtests and evaluations resume a flat account, the drawdown
    /// measured afresh (0: stay halted, the live rule). Live, only the operator resumes.
    public var resumeAfterHaltMinutes: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case bootstrapSamples = "bootstrap_samples"
        case keepStrategies = "keep_strategies"
        case loserFilterNeighbours = "loser_filter_neighbours"
        case loserFilterBlockingShare = "loser_filter_blocking_share"
        case resumeAfterHaltMinutes = "resume_after_halt_minutes"
    }

    init() {
        bootstrapSamples = 1_000
        keepStrategies = 1_000
        loserFilterNeighbours = 7
        loserFilterBlockingShare = 0.8
        resumeAfterHaltMinutes = 1_440
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        bootstrapSamples = fields.integer(.bootstrapSamples, or: 1_000, within: 100...100_000)
        keepStrategies = fields.integer(.keepStrategies, or: 1_000, within: 10...100_000)
        loserFilterNeighbours = fields.integer(.loserFilterNeighbours, or: 7, within: 1...100)
        loserFilterBlockingShare = fields.number(.loserFilterBlockingShare, or: 0.8, within: 0.5...1)
        resumeAfterHaltMinutes = fields.integer(.resumeAfterHaltMinutes, or: 1_440, within: 0...525_600)
    }

    /// What backtests and evaluations do after a drawdown halt.
    public var afterHalt: HaltHandling { HaltHandling(resumeAfterMinutes: resumeAfterHaltMinutes) }
}

/// The `promotion:` block: what a candidate must show out of sample to become `agents/{SYMBOL}/current`.
/// Its max drawdown must also stay `drawdown_room` clear of `trading/risk.yaml` `halt_drawdown`.
public struct PromotionSettings: Sendable, Codable, Equatable {
    /// Fewer out-of-sample trades than this is too little evidence to promote.
    public var minimumTrades: Int
    /// Total return over the held-out range must exceed the flat baseline's by more than this (fraction).
    public var returnMarginOverFlat: Double
    /// Out-of-sample annualised Sharpe must exceed the current agent's by more than this (same range).
    public var sharpeMarginOverCurrent: Double
    /// P[true Sharpe > 0] must be at least this.
    public var minimumProbabilisticSharpe: Double
    /// The deflated Sharpe ratio (counting every candidate tried for the symbol) must be at least this.
    public var minimumDeflatedSharpe: Double
    /// Share of `halt_drawdown` the max drawdown must stay clear of.
    public var drawdownRoom: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case minimumTrades = "minimum_trades"
        case returnMarginOverFlat = "return_margin_over_flat"
        case sharpeMarginOverCurrent = "sharpe_margin_over_current"
        case minimumProbabilisticSharpe = "minimum_probabilistic_sharpe"
        case minimumDeflatedSharpe = "minimum_deflated_sharpe"
        case drawdownRoom = "drawdown_room"
    }

    init() {
        minimumTrades = 30
        returnMarginOverFlat = 0.005
        sharpeMarginOverCurrent = 0.5
        minimumProbabilisticSharpe = 0.95
        minimumDeflatedSharpe = 0.95
        drawdownRoom = 0.2
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        minimumTrades = fields.integer(.minimumTrades, or: 30, within: 0...1_000_000)
        returnMarginOverFlat = fields.number(.returnMarginOverFlat, or: 0.005, within: -1...10)
        sharpeMarginOverCurrent = fields.number(.sharpeMarginOverCurrent, or: 0.5, within: -100...100)
        minimumProbabilisticSharpe = fields.number(.minimumProbabilisticSharpe, or: 0.95, within: 0...1)
        minimumDeflatedSharpe = fields.number(.minimumDeflatedSharpe, or: 0.95, within: 0...1)
        drawdownRoom = fields.number(.drawdownRoom, or: 0.2, within: 0...0.9)
    }
}

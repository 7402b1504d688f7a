/// `ml/rewards.yaml`: the terms of the per-step reward of the trading environment and their weights.
public struct RewardsConfiguration: Sendable, Codable, Equatable {
    /// Weight of the change in equity net of fees, slippage and funding, in risk units (1 = the capital
    /// at risk per trade).
    public var equityChange: Double
    /// Weight of the increase in drawdown from peak equity, in risk units, subtracted.
    public var drawdownPenalty: Double
    /// Constant subtracted at every entry, in risk units (discourages churning beyond its costs).
    public var tradePenalty: Double
    /// Subtracted per bar while a position is open, in risk units.
    public var holdingPenalty: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case equityChange = "equity_change"
        case drawdownPenalty = "drawdown_penalty"
        case tradePenalty = "trade_penalty"
        case holdingPenalty = "holding_penalty"
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        equityChange = fields.number(.equityChange, or: 1, within: 0...100)
        drawdownPenalty = fields.number(.drawdownPenalty, or: 0.5, within: 0...100)
        tradePenalty = fields.number(.tradePenalty, or: 0, within: 0...10)
        holdingPenalty = fields.number(.holdingPenalty, or: 0, within: 0...10)
    }
}

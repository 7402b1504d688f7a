import MarketModel

/// What the agent proposes at a bar's close.
public enum AgentAction: Int, Sendable, Codable, CaseIterable {
    case hold = 0, long = 1, short = 2

    public var meaning: String {
        switch self {
        case .hold: "hold"
        case .long: "long (closes a short)"
        case .short: "short (closes a long)"
        }
    }
}

/// Multi-timeframe confirmation of entries: enough higher timeframes trending the trade's way (EMA
/// slope), more with it than against it, and the trading timeframe's RSI not stretched in its direction.
public struct ConfirmationRules: Sendable, Equatable {
    public var enabled: Bool
    /// Higher timeframes that must agree (trend +1 for a long, −1 for a short), at least this many.
    public var minimumAgreeing: Int
    /// RSI (0–100) above which longs are not entered, below `oversold` shorts are not.
    public var overbought: Double
    public var oversold: Double

    public init(enabled: Bool = true, minimumAgreeing: Int = 2, overbought: Double = 70, oversold: Double = 30) {
        self.enabled = enabled
        self.minimumAgreeing = minimumAgreeing
        self.overbought = overbought
        self.oversold = oversold
    }

    public static let off = ConfirmationRules(enabled: false)

    /// Whether an entry on `side` is confirmed by `trends` (one per confirmation timeframe, −1/0/+1) and
    /// the trading timeframe's `rsi` (0–100).
    public func confirms(_ side: PositionSide, trends: [Double], rsi: Double) -> Bool {
        guard enabled else { return true }
        let with = trends.filter { $0 * side.sign > 0 }.count
        let against = trends.filter { $0 * side.sign < 0 }.count
        let stretched = side == .long ? rsi >= overbought : rsi <= oversold
        return with >= minimumAgreeing && with > against && !stretched
    }
}

/// The decision at a bar's close.
public enum Decision: Sendable, Equatable {
    case none
    case close(ExitReason)
    case enter(PositionSide)
    /// The agent wanted an entry that a rule refused; `reason` says which.
    case refused(PositionSide, reason: String)
}

/// Turns the agent's action into a decision: long while short closes the short (and short while long
/// closes the long) without opening the other side in the same step; entries need the risk gate to
/// allow them and the confirmation rules to agree.
public struct DecisionMaker: Sendable {
    public var confirmation: ConfirmationRules

    public init(confirmation: ConfirmationRules) { self.confirmation = confirmation }

    public func decide(action: AgentAction, position: PositionSide?, risk: RiskState, trends: [Double], rsi: Double) -> Decision {
        if risk == .halted { return position == nil ? .none : .close(.halt) }
        let wanted: PositionSide
        switch action {
        case .hold: return .none
        case .long: wanted = .long
        case .short: wanted = .short
        }
        if let position {
            return position == wanted ? .none : .close(.signal)
        }
        guard risk == .active else { return .refused(wanted, reason: "risk state \(risk.rawValue): exits only") }
        guard confirmation.confirms(wanted, trends: trends, rsi: rsi) else {
            return .refused(wanted, reason: "not confirmed by the higher timeframes")
        }
        return .enter(wanted)
    }
}

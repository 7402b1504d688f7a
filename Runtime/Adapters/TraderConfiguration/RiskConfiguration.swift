import MarketModel

/// `trading/risk.yaml`: how much may be lost, where stops go, when trading halts.
public struct RiskConfiguration: Sendable, Codable, Equatable {
    /// Capital the account starts with, USDT; split across the enabled symbols.
    public var initialCapital: Double
    /// Fraction of a symbol's allocated capital lost when a trade's stop is hit (0.01 = 1%).
    public var riskPerTrade: Double
    /// Mark-to-market drawdown from peak equity (fraction) that switches to exits only.
    public var reducingDrawdown: Double
    /// Mark-to-market drawdown from peak equity (fraction) that flattens everything and halts trading.
    public var haltDrawdown: Double
    /// Loss within one UTC day, as a fraction of the day's starting equity, that halts trading until the next day.
    public var dailyLossCap: Double
    public var atr: ATRRules
    /// Extra distance between the stop and the liquidation price, as a fraction of the stop distance
    /// (0.5: liquidation must be at least 1.5 stop distances away).
    public var liquidationBuffer: Double
    public var cooldown: CooldownRules
    public var allocation: AllocationRules

    enum CodingKeys: String, CodingKey, CaseIterable {
        case initialCapital = "initial_capital"
        case riskPerTrade = "risk_per_trade"
        case reducingDrawdown = "reducing_drawdown"
        case haltDrawdown = "halt_drawdown"
        case dailyLossCap = "daily_loss_cap"
        case atr
        case liquidationBuffer = "liquidation_buffer"
        case cooldown, allocation
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        initialCapital = fields.number(.initialCapital, or: 10_000, within: 10...1e9, unit: " USDT")
        riskPerTrade = fields.number(.riskPerTrade, or: 0.01, within: 0.0001...0.05)
        haltDrawdown = fields.number(.haltDrawdown, or: 0.05, within: 0.005...0.5)
        reducingDrawdown = fields.number(.reducingDrawdown, or: 0.04, within: 0.001...0.5)
        fields.check(reducingDrawdown <= haltDrawdown, .reducingDrawdown, value: reducingDrawdown,
                     "must not exceed halt_drawdown (\(ConfigMapping<CodingKeys>.display(haltDrawdown)))")
        dailyLossCap = fields.number(.dailyLossCap, or: 0.03, within: 0.001...0.5)
        atr = fields.value(.atr, or: ATRRules())
        liquidationBuffer = fields.number(.liquidationBuffer, or: 0.5, within: 0...10)
        cooldown = fields.value(.cooldown, or: CooldownRules())
        allocation = fields.value(.allocation, or: AllocationRules())
    }
}

/// The `atr:` block: stops and take-profits as multiples of the Average True Range.
public struct ATRRules: Sendable, Codable, Equatable {
    /// Timeframe whose ATR sets the stop distance: one of the feature timeframes. Longer than the
    /// trading timeframe puts the stop beyond 1m noise (and beyond the round-trip fees).
    public var timeframe: Timeframe
    /// ATR period in bars of `timeframe`.
    public var period: Int
    /// Stop distance = `stopMultiple` × ATR.
    public var stopMultiple: Double
    /// Take-profit distance = `takeProfitMultiple` × ATR.
    public var takeProfitMultiple: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case timeframe, period
        case stopMultiple = "stop_multiple"
        case takeProfitMultiple = "take_profit_multiple"
    }

    init() {
        timeframe = .fifteenMinutes
        period = 14
        stopMultiple = 1.5
        takeProfitMultiple = 3
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        timeframe = fields.value(.timeframe, or: .fifteenMinutes)
        period = fields.value(.period, or: 14)
        fields.check(period == 14, .period, value: period,
                     "must be 14: stops use the feature set's ATR(14) (a different period needs a new FeatureSpec)")
        stopMultiple = fields.number(.stopMultiple, or: 1.5, within: 0.1...20)
        takeProfitMultiple = fields.number(.takeProfitMultiple, or: 3, within: 0.1...50)
    }
}

/// The `cooldown:` block: a pause after a run of losing trades.
public struct CooldownRules: Sendable, Codable, Equatable {
    /// Losing trades in a row that start a cooldown; 0 disables it.
    public var consecutiveLosses: Int
    /// Length of the pause, minutes.
    public var minutes: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case consecutiveLosses = "consecutive_losses"
        case minutes
    }

    init() {
        consecutiveLosses = 3
        minutes = 60
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        consecutiveLosses = fields.integer(.consecutiveLosses, or: 3, within: 0...100)
        minutes = fields.integer(.minutes, or: 60, within: 0...10_080)
    }
}

/// The `allocation:` block: how capital is split across symbols.
public struct AllocationRules: Sendable, Codable, Equatable {
    public enum Method: String, ConfigEnumeration {
        /// Weights proportional to 1 / (ATR as a fraction of price): calmer symbols get more capital.
        case inverseVolatility = "inverse_volatility"
        case equal
    }

    public var method: Method
    /// Hours between re-balances.
    public var rebalanceHours: Int
    /// No symbol gets more than this fraction of the capital.
    public var maximumWeight: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case method
        case rebalanceHours = "rebalance_hours"
        case maximumWeight = "maximum_weight"
    }

    init() {
        method = .inverseVolatility
        rebalanceHours = 24
        maximumWeight = 0.4
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        method = fields.value(.method, or: .inverseVolatility)
        rebalanceHours = fields.integer(.rebalanceHours, or: 24, within: 1...720)
        maximumWeight = fields.number(.maximumWeight, or: 0.4, within: 0.05...1)
    }
}

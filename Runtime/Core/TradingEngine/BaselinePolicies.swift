import Indicators
import MarketModel

/// Never trades: the yardstick every agent must beat after costs.
public struct FlatPolicy: TradingPolicy {
    public let name = "flat"
    public init() {}
    public mutating func action(for observation: Observation) -> AgentAction { .hold }
}

/// Always wants to be long: under the risk manager (ATR stop and take-profit, 1% sizing, the
/// confirmation filter) it re-enters after each exit, so it measures the market's drift through the same
/// costs and rules as the agent. Not a buy-and-hold (that one is `BuyAndHoldBaseline`, outside the engine).
public struct AlwaysLongPolicy: TradingPolicy {
    public let name = "always-long"
    public init() {}
    public mutating func action(for observation: Observation) -> AgentAction { .long }
}

/// Long while EMA(fast) is above EMA(slow) of the closes, short while below.
public struct EMACrossPolicy: TradingPolicy {
    public let name = "ema-cross"
    private var fast: ExponentialMovingAverage
    private var slow: ExponentialMovingAverage

    public init(fast: Int = 20, slow: Int = 50) {
        self.fast = ExponentialMovingAverage(period: fast)
        self.slow = ExponentialMovingAverage(period: slow)
    }

    public mutating func action(for observation: Observation) -> AgentAction {
        let close = observation.bar.close
        guard let fastValue = fast.update(close), let slowValue = slow.update(close) else { return .hold }
        return fastValue > slowValue ? .long : fastValue < slowValue ? .short : .hold
    }
}

/// Random actions from a seeded generator: hold with probability `holdProbability`, else long or short
/// equally. A chance-level benchmark; the same seed gives the same run.
public struct RandomPolicy: TradingPolicy {
    public let name = "random"
    private var random: SplitMix64
    private let holdProbability: Double

    public init(seed: UInt64, holdProbability: Double = 0.95) {
        random = SplitMix64(state: seed)
        self.holdProbability = holdProbability
    }

    public mutating func action(for observation: Observation) -> AgentAction {
        let unit = random.unit()
        if unit < holdProbability { return .hold }
        return unit < holdProbability + (1 - holdProbability) / 2 ? .long : .short
    }
}

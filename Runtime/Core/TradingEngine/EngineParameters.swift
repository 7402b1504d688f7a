import MarketModel

/// Everything the engine needs to know about costs, contract and risk for one symbol. Plain values: the
/// configuration layer builds it from the YAML files, tests build it by hand.
public struct EngineParameters: Sendable, Equatable {
    public var contract: ContractSpec
    public var leverageBand: LeverageBand
    /// Fee rates as fractions of notional (BitGet: maker 0.0002, taker 0.0006).
    public var makerFeeRate: Double
    public var takerFeeRate: Double
    /// Market-order slippage: `slippageBasisPoints` of the price plus `slippageRangeFraction` of the
    /// reference bar's high − low, against the trader.
    public var slippageBasisPoints: Double
    public var slippageRangeFraction: Double
    /// Funding rate per interval used at a settlement time the data does not cover (fraction; positive:
    /// longs pay; 0 by default, so a guess favours neither side).
    public var fallbackFundingRate: Double
    /// Hours between funding settlements (8 on BitGet: 00:00, 08:00, 16:00 UTC).
    public var fundingIntervalHours: Int
    /// Fee charged on a liquidated position's notional (never more than the margin left).
    public var liquidationFeeRate: Double
    public var risk: RiskRules

    public init(contract: ContractSpec, leverageBand: LeverageBand, makerFeeRate: Double = 0.0002,
                takerFeeRate: Double = 0.0006, slippageBasisPoints: Double = 0, slippageRangeFraction: Double = 0,
                fallbackFundingRate: Double = 0, fundingIntervalHours: Int = 8, liquidationFeeRate: Double = 0.005,
                risk: RiskRules = RiskRules()) {
        self.contract = contract
        self.leverageBand = leverageBand
        self.makerFeeRate = makerFeeRate
        self.takerFeeRate = takerFeeRate
        self.slippageBasisPoints = slippageBasisPoints
        self.slippageRangeFraction = slippageRangeFraction
        self.fallbackFundingRate = fallbackFundingRate
        self.fundingIntervalHours = fundingIntervalHours
        self.liquidationFeeRate = liquidationFeeRate
        self.risk = risk
    }

    /// Where `position` is liquidated, the taker fee of the forced close included (BitGet's isolated
    /// formula, see ``Position/liquidationPrice(contract:takerFeeRate:)``), USDT.
    public func liquidationPrice(of position: Position) -> Double {
        position.liquidationPrice(contract: contract, takerFeeRate: takerFeeRate)
    }

    /// Problems that make these parameters unusable, in words that say what to fix.
    public var problems: [String] {
        var problems: [String] = []
        if makerFeeRate < 0 || takerFeeRate < 0 { problems.append("fees must be >= 0 (maker \(makerFeeRate), taker \(takerFeeRate))") }
        if leverageBand.minimum < 1 || leverageBand.minimum > leverageBand.maximum {
            problems.append("leverage band [\(leverageBand.minimum), \(leverageBand.maximum)] is inverted or below 1")
        }
        if leverageBand.maximum > contract.maximumLeverage {
            problems.append("leverage band maximum \(leverageBand.maximum) exceeds the contract's \(contract.maximumLeverage)")
        }
        if contract.tickSize <= 0 || contract.sizeStep <= 0 { problems.append("contract tick size and size step must be > 0") }
        if contract.maintenanceMarginTiers.isEmpty { problems.append("contract has no maintenance-margin tiers") }
        if slippageBasisPoints < 0 || slippageRangeFraction < 0 { problems.append("slippage must be >= 0") }
        if fundingIntervalHours <= 0 || 24 % fundingIntervalHours != 0 { problems.append("funding interval must divide 24 hours") }
        return problems
    }
}

/// The risk limits (`trading/risk.yaml`), fractions of equity or of the symbol's capital.
public struct RiskRules: Sendable, Equatable, Codable {
    public var riskPerTrade: Double
    public var reducingDrawdown: Double
    public var haltDrawdown: Double
    public var dailyLossCap: Double
    public var atrStopMultiple: Double
    public var atrTakeProfitMultiple: Double
    /// The liquidation price must be at least (1 + buffer) stop distances from entry.
    public var liquidationBuffer: Double
    /// Losing trades in a row that start a cooldown (0: never).
    public var cooldownLosses: Int
    public var cooldownMinutes: Int

    public init(riskPerTrade: Double = 0.01, reducingDrawdown: Double = 0.04, haltDrawdown: Double = 0.05,
                dailyLossCap: Double = 0.03, atrStopMultiple: Double = 1.5, atrTakeProfitMultiple: Double = 3,
                liquidationBuffer: Double = 0.5, cooldownLosses: Int = 3, cooldownMinutes: Int = 60) {
        self.riskPerTrade = riskPerTrade
        self.reducingDrawdown = reducingDrawdown
        self.haltDrawdown = haltDrawdown
        self.dailyLossCap = dailyLossCap
        self.atrStopMultiple = atrStopMultiple
        self.atrTakeProfitMultiple = atrTakeProfitMultiple
        self.liquidationBuffer = liquidationBuffer
        self.cooldownLosses = cooldownLosses
        self.cooldownMinutes = cooldownMinutes
    }
}

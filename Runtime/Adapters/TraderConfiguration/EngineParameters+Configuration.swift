import MarketModel
import TradingEngine

extension TradingConfiguration {
    /// The engine parameters of a configured symbol: its contract and leverage band, the costs of
    /// `trading/execution.yaml` and the limits of `trading/risk.yaml`. Nil for an unknown symbol.
    public func engineParameters(for symbol: Symbol) -> EngineParameters? {
        guard let entry = symbols.symbol(symbol) else { return nil }
        return EngineParameters(
            contract: entry.contract, leverageBand: entry.leverage, makerFeeRate: execution.fees.maker,
            takerFeeRate: execution.fees.taker, slippageBasisPoints: execution.slippage.basisPoints,
            slippageRangeFraction: execution.slippage.rangeFraction, fallbackFundingRate: execution.funding.fallbackRate,
            fundingIntervalHours: execution.funding.intervalHours, liquidationFeeRate: execution.liquidationFee,
            risk: RiskRules(riskPerTrade: risk.riskPerTrade, reducingDrawdown: risk.reducingDrawdown,
                            haltDrawdown: risk.haltDrawdown, dailyLossCap: risk.dailyLossCap,
                            atrStopMultiple: risk.atr.stopMultiple, atrTakeProfitMultiple: risk.atr.takeProfitMultiple,
                            liquidationBuffer: risk.liquidationBuffer, cooldownLosses: risk.cooldown.consecutiveLosses,
                            cooldownMinutes: risk.cooldown.minutes))
    }

    /// The capital each symbol trades with when not given: `initial_capital` split equally across the
    /// enabled symbols, USDT. Training, backtests and evaluation all use it, so the risk unit an agent
    /// learned with is the one it is judged by.
    public var capitalPerSymbol: Double { risk.initialCapital / Double(max(1, symbols.enabledSymbols.count)) }

    /// How `trading/risk.yaml` splits `initial_capital` across `symbols` (default: the enabled ones), with the
    /// volatility read one stop-timeframe bar before each rebalance.
    public func allocationRules(symbols: [Symbol]? = nil) -> AllocationPlan {
        AllocationPlan(
            method: risk.allocation.method == .equal ? .equal : .inverseVolatility, rebalanceHours: risk.allocation.rebalanceHours,
            maximumWeight: risk.allocation.maximumWeight, totalCapital: risk.initialCapital,
            symbols: symbols ?? self.symbols.enabledSymbols.map(\.symbol), lag: risk.atr.timeframe.milliseconds)
    }

    /// The entry confirmation rules of `trading/execution.yaml`.
    public var confirmationRules: ConfirmationRules {
        ConfirmationRules(enabled: execution.confirmation.enabled, minimumAgreeing: execution.confirmation.minimumAgreeing,
                          overbought: execution.confirmation.rsiOverbought, oversold: execution.confirmation.rsiOversold)
    }
}

extension PipelineConfiguration {
    public func allocationRules(symbols: [Symbol]? = nil) -> AllocationPlan { trading.allocationRules(symbols: symbols) }

    /// The engine parameters of a configured symbol (see `TradingConfiguration.engineParameters(for:)`).
    public func engineParameters(for symbol: Symbol) -> EngineParameters? { trading.engineParameters(for: symbol) }
}

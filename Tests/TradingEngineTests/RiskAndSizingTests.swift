import MarketModel
import Testing
import TradingEngine

@Suite struct RiskSizingTests {
    @Test func theLossAtTheStopIsExactlyOnePercent() {
        // Price 30,000, ATR 200, stop 1.5 ATR → 29,700 (on the tick). Loss per BTC with taker fees at both
        // ends: 300 + 0.0006 × (30,000 + 29,700) = 335.82. With capital 16,791, 1% = 167.91 = 0.5 BTC × 335.82.
        var engine = SimulatedTradingEngine(parameters: testParameters(), initialCapital: 16_791,
                                   funding: FundingSchedule(rates: [], fallbackRate: 0), confirmation: .off)
        engine.process(bar(1, open: 30_000, close: 30_000))
        let decision = engine.decide(.long, averageTrueRange: 200)
        #expect(decision == .enter(.long))
        engine.process(bar(2, open: 30_000, high: 30_050, low: 29_950, close: 30_000))
        let position = engine.account.position!
        #expect(position.size == 0.5)
        #expect(position.stopLoss == 29_700)
        #expect(position.takeProfit == 30_600)  // 3 ATR
        engine.process(bar(3, open: 29_900, high: 29_950, low: 29_600, close: 29_650))
        #expect(engine.account.position == nil)
        let trade = engine.trades[0]
        #expect(trade.exitReason == .stop && trade.exitPrice == 29_700)
        #expect(close(-trade.netPnL, 167.91))
        #expect(close(-trade.netPnL / 16_791, 0.01))
    }

    @Test func leverageIsTheLeastTheMarginAllowsClampedToTheBand() {
        let sizer = PositionSizer(parameters: testParameters())
        // 1% of 10,000 over 335.82 per BTC → 0.297 BTC, notional 8,910 on 10,000 available: 1× would do, the
        // band's minimum 5× is used.
        let small = try! sizer.plan(side: .long, price: 30_000, averageTrueRange: 200, capital: 10_000, available: 10_000, referenceRange: 0).get()
        #expect(small.leverage == 5)
        #expect(close(small.margin, small.size * 30_000 / 5))
        // Only 500 available: the margin and the entry fee must fit at a fill 0.5% worse: notional 8,910 × 1.005
        // = 8,954.55, fee 5.37, so 8,954.55 / (500 − 5.37) = 18.1 → 19× (18× would leave no room for the fee).
        let tight = try! sizer.plan(side: .long, price: 30_000, averageTrueRange: 200, capital: 10_000, available: 500, referenceRange: 0).get()
        #expect(tight.leverage == 19)
        // 100 available would need 8,954.55 / 94.63 = 94.6 → 95×, above the band's 80.
        let refused = sizer.plan(side: .long, price: 30_000, averageTrueRange: 200, capital: 10_000, available: 100, referenceRange: 0)
        #expect(refused == .failure(.leverageAboveBand(requiredLeverage: 95, maximum: 80)))
    }

    @Test func anEntryWhoseLiquidationWouldComeBeforeTheStopIsRefused() {
        // Stop 1.5 × ATR 300 = 450 (1.5%) with a 50% buffer: liquidation must be ≥ 2.25% away; with the
        // maintenance rate 0.4% plus the 0.06% closing fee, leverage ≤ 1 / (0.0046 + 0.9954 × 0.0225) = 37.04 → 37;
        // the band starts at 50.
        let sizer = PositionSizer(parameters: testParameters(band: LeverageBand(minimum: 50, maximum: 80)))
        let plan = sizer.plan(side: .long, price: 30_000, averageTrueRange: 300, capital: 10_000, available: 10_000, referenceRange: 0)
        #expect(plan == .failure(.liquidationBeforeStop(requiredLeverage: 50, safeLeverage: 37)))
        // A calmer market (ATR 50) is fine at 50×, and the liquidation lies beyond the stop by the buffer.
        let calm = try! sizer.plan(side: .short, price: 30_000, averageTrueRange: 50, capital: 10_000, available: 10_000, referenceRange: 0).get()
        #expect(calm.leverage == 50)
        #expect(calm.liquidationPrice - 30_000 >= 1.5 * (calm.stopLoss - 30_000))
    }

    @Test func sizesAndPricesAreOnTheContractsGrid() {
        let sizer = PositionSizer(parameters: testParameters())
        let plan = try! sizer.plan(side: .short, price: 30_123.4, averageTrueRange: 77.77, capital: 12_345, available: 12_345, referenceRange: 0).get()
        #expect(plan.size == PriceGrid.floor(plan.size, step: 0.001))
        #expect((plan.stopLoss * 10).rounded() / 10 == plan.stopLoss)
        #expect((plan.takeProfit * 10).rounded() / 10 == plan.takeProfit)
        #expect(plan.stopLoss <= 30_123.4 + 1.5 * 77.77, "the stop is rounded toward the entry, never wider")
        #expect(plan.riskAmount <= 123.45 + 1e-9)
    }
}

@Suite struct RiskGateTests {
    @Test func drawdownReducesThenHaltsUntilReset() {
        var gate = RiskGate(rules: RiskRules(dailyLossCap: 0.5), equity: 10_000)
        #expect(gate.observe(equity: 10_200, time: midnight) == nil)
        #expect(gate.observe(equity: 9_900, time: midnight + 60_000) == nil)  // 2.9% from the 10,200 peak
        let reducing = gate.observe(equity: 9_780, time: midnight + 120_000)  // 4.1%
        #expect(reducing?.to == .reducing)
        #expect(reducing?.reason == "drawdown 4.1% passed 4.0%: exits only")
        #expect(!gate.allowsEntries && !gate.mustFlatten)
        let halted = gate.observe(equity: 9_680, time: midnight + 180_000)  // 5.1%
        #expect(halted?.to == .halted)
        #expect(halted?.reason.hasPrefix("drawdown 5.1% from peak 10200.0 USDT reached the 5.0% halt") == true)
        #expect(gate.mustFlatten)
        #expect(gate.observe(equity: 10_100, time: midnight + 240_000) == nil, "a drawdown halt stays until reset")
        let reset = gate.reset(equity: 10_100, time: midnight + 300_000)
        #expect(reset?.to == .active && reset?.reason == "reset by the operator")
        #expect(gate.peakEquity == 10_100)
    }

    /// A resume of a symbol that is not halted changes nothing: it must not move the drawdown reference
    /// (an operator's `resume --all` would otherwise loosen every symbol's limits).
    @Test func aResetOfASymbolThatIsNotHaltedChangesNothing() {
        var gate = RiskGate(rules: RiskRules(dailyLossCap: 0.5), equity: 10_000)
        _ = gate.observe(equity: 10_200, time: midnight)
        _ = gate.observe(equity: 9_780, time: midnight + 60_000)  // 4.1%: reducing
        #expect(gate.state == .reducing)
        #expect(gate.reset(equity: 9_780, time: midnight + 120_000) == nil)
        #expect(gate.state == .reducing && gate.peakEquity == 10_200, "the peak stays")
        var active = RiskGate(rules: RiskRules(), equity: 10_000)
        _ = active.observe(equity: 10_300, time: midnight)
        _ = active.observe(equity: 10_100, time: midnight + 60_000)
        #expect(active.reset(equity: 10_100, time: midnight + 120_000) == nil && active.peakEquity == 10_300)
    }

    @Test func theDailyLossCapHaltsUntilTheNextUTCDay() {
        var gate = RiskGate(rules: RiskRules(reducingDrawdown: 0.2, haltDrawdown: 0.3, dailyLossCap: 0.03), equity: 10_000)
        _ = gate.observe(equity: 10_000, time: midnight)
        let halted = gate.observe(equity: 9_690, time: midnight + 3_600_000)
        #expect(halted?.to == .halted)
        #expect(halted?.reason == "daily loss 3.1% reached the 3.0% cap; trading resumes at 00:00 UTC")
        #expect(gate.observe(equity: 9_690, time: midnight + 86_399_000) == nil)
        #expect(gate.observe(equity: 9_690, time: midnight + 86_400_000)?.to == .active)
    }

    /// The operator halts a symbol the daily-loss cap has halted: the halt is now the operator's, so 00:00
    /// UTC no longer lifts it; only a reset does. A second operator halt changes nothing.
    @Test func anOperatorHaltOverADailyLossHaltWaitsForTheReset() {
        var gate = RiskGate(rules: RiskRules(reducingDrawdown: 0.2, haltDrawdown: 0.3, dailyLossCap: 0.03), equity: 10_000)
        _ = gate.observe(equity: 10_000, time: midnight)
        #expect(gate.observe(equity: 9_690, time: midnight + 3_600_000)?.to == .halted)
        let operatorHalt = gate.halt(reason: "halted by the operator", time: midnight + 7_200_000)
        #expect(operatorHalt == RiskStateChanged(from: .halted, to: .halted, reason: "halted by the operator", time: midnight + 7_200_000))
        #expect(gate.halt(reason: "again", time: midnight + 7_260_000) == nil)
        #expect(gate.observe(equity: 9_690, time: midnight + 86_400_000) == nil && gate.state == .halted, "midnight does not lift it")
        #expect(gate.reset(equity: 9_690, time: midnight + 86_460_000)?.to == .active)
    }

    /// A daily-loss halt that lifts at 00:00 into a drawdown a flat account cannot recover becomes a halt
    /// only the operator lifts, and says so (HALTED → HALTED with the new reason).
    @Test func aDailyLossHaltThatLiftsIntoADrawdownHaltSaysSo() {
        var gate = RiskGate(rules: RiskRules(reducingDrawdown: 0.04, haltDrawdown: 0.05, dailyLossCap: 0.03), equity: 10_000)
        _ = gate.observe(equity: 10_000, time: midnight, isFlat: true)
        #expect(gate.observe(equity: 9_580, time: midnight + 3_600_000, isFlat: true)?.reason.hasPrefix("daily loss 4.2%") == true)
        #expect(gate.haltLiftsByItself)
        let next = gate.observe(equity: 9_580, time: midnight + 86_400_000, isFlat: true)
        #expect(next?.from == .halted && next?.to == .halted)
        #expect(next?.reason.contains("with no position open") == true && !gate.haltLiftsByItself)
        #expect(gate.observe(equity: 9_580, time: midnight + 2 * 86_400_000, isFlat: true) == nil, "then it waits for the operator")
    }

    @Test func aLosingStreakStartsACooldown() {
        var gate = RiskGate(rules: RiskRules(cooldownLosses: 2, cooldownMinutes: 30), equity: 10_000)
        #expect(gate.record(tradeResult: -10, time: midnight) == nil)
        #expect(gate.record(tradeResult: 5, time: midnight) == nil, "a win resets the streak")
        #expect(gate.record(tradeResult: -10, time: midnight) == nil)
        #expect(gate.record(tradeResult: -10, time: midnight + 60_000)?.to == .reducing)
        #expect(gate.observe(equity: 9_980, time: midnight + 29 * 60_000) == nil)
        #expect(gate.observe(equity: 9_980, time: midnight + 31 * 60_000)?.to == .active)
    }

    @Test func theDecisionMakerClosesOppositesAndConfirmsEntries() {
        let maker = DecisionMaker(confirmation: ConfirmationRules(minimumAgreeing: 2))
        #expect(maker.decide(action: .short, position: .long, risk: .active, trends: [], rsi: 50) == .close(.signal))
        #expect(maker.decide(action: .long, position: .long, risk: .active, trends: [], rsi: 50) == .none)
        #expect(maker.decide(action: .long, position: nil, risk: .active, trends: [1, 1, 0, -1], rsi: 50) == .enter(.long))
        #expect(maker.decide(action: .long, position: nil, risk: .active, trends: [1, 0, 0, -1], rsi: 50)
            == .refused(.long, reason: "not confirmed by the higher timeframes"))
        #expect(maker.decide(action: .long, position: nil, risk: .active, trends: [1, 1, 1, 1], rsi: 75)
            == .refused(.long, reason: "not confirmed by the higher timeframes"), "RSI overbought")
        #expect(maker.decide(action: .short, position: nil, risk: .reducing, trends: [-1, -1], rsi: 50)
            == .refused(.short, reason: "risk state REDUCING: exits only"))
        #expect(maker.decide(action: .hold, position: .short, risk: .halted, trends: [], rsi: 50) == .close(.halt))
    }

    @Test func capitalIsSplitByInverseVolatilityWithACap() {
        let weights = CapitalAllocator.inverseVolatilityWeights(["BTCUSDT": 0.01, "ETHUSDT": 0.02, "DOGEUSDT": 0.04],
                                                                 maximumWeight: 1)
        // 1/0.01 : 1/0.02 : 1/0.04 = 100 : 50 : 25
        #expect(close(weights["BTCUSDT"]!, 100 / 175))
        #expect(close(weights["DOGEUSDT"]!, 25 / 175))
        let capped = CapitalAllocator.inverseVolatilityWeights(["BTCUSDT": 0.01, "ETHUSDT": 0.02, "DOGEUSDT": 0.04],
                                                                maximumWeight: 0.4)
        #expect(close(capped["BTCUSDT"]!, 0.4))
        #expect(close(capped["ETHUSDT"]!, 0.6 * 50 / 75))
        #expect(close(capped.values.reduce(0, +), 1))
    }

    /// A symbol without a volatility reading (no bars yet) gets the equal share; the others split what is
    /// left, so the capitals never add up to more than the total, and the cap stays a share of the total.
    @Test func aSymbolWithoutVolatilityGetsTheEqualShareAndTheRestIsSplit() {
        let symbols: [Symbol] = ["BTCUSDT", "ETHUSDT", "DOGEUSDT"]
        let volatility: [Symbol: Double] = ["BTCUSDT": 0.01, "ETHUSDT": 0.02]
        let open = AllocationPlan(method: .inverseVolatility, rebalanceHours: 24, maximumWeight: 1, totalCapital: 9_000, symbols: symbols)
        let capitals = open.capitals(at: 86_400_000) { symbol, _ in volatility[symbol] }
        // DOGEUSDT: 9,000 / 3; the other 6,000 split 1/0.01 : 1/0.02 = 2 : 1.
        #expect(close(capitals["DOGEUSDT"]!, 3_000) && close(capitals["BTCUSDT"]!, 4_000) && close(capitals["ETHUSDT"]!, 2_000))
        let capped = AllocationPlan(method: .inverseVolatility, rebalanceHours: 24, maximumWeight: 0.3, totalCapital: 9_000, symbols: symbols)
        let limited = capped.capitals(at: 86_400_000) { symbol, _ in volatility[symbol] }
        // At most 30% of 9,000 = 2,700 each, the symbol without a reading too: 900 stays unallocated.
        #expect(close(limited["BTCUSDT"]!, 2_700) && close(limited["ETHUSDT"]!, 2_700) && close(limited["DOGEUSDT"]!, 2_700), "\(limited)")
        #expect(close(open.capitals(at: 0) { _, _ in nil }.values.reduce(0, +), 9_000), "nothing known: equal shares")
        #expect(capped.capitals(at: 0) { _, _ in nil }.values.allSatisfy { close($0, 2_700) }, "the cap holds with nothing known")
    }
}

import MarketModel
import Testing
import TradingEngine

/// The sizing, liquidation and funding corrections, each against a hand computation.
@Suite struct EngineCorrectionTests {
    /// Slippage 1 bp of the price plus 5% of the reference bar's range, taker fee 0.06%.
    static func slippedParameters() -> EngineParameters {
        var parameters = testParameters()
        parameters.slippageBasisPoints = 1
        parameters.slippageRangeFraction = 0.05
        return parameters
    }

    /// The loss at the stop counts both fills' slippage and fees: exactly 1% of the capital.
    @Test func theLossAtTheStopIsOnePercentWithSlippageAndFeesAtBothEnds() {
        // Decision bar range 100. Entry: 30,000 + (3 + 5) = 30,008. Stop 29,700 (1.5 × ATR 200) fills at
        // 29,700 − (2.97 + 5) = 29,692.03. Loss per BTC = 315.97 + 0.0006 × (30,008 + 29,692.03) = 351.790018.
        // Capital 17,589.5009: 1% = 175.895009 = 0.5 BTC × 351.790018.
        let capital = 17_589.5009
        var engine = SimulatedTradingEngine(parameters: Self.slippedParameters(), initialCapital: capital,
                                            funding: FundingSchedule(rates: [], fallbackRate: 0), confirmation: .off)
        engine.process(bar(1, open: 30_000, high: 30_050, low: 29_950, close: 30_000))
        #expect(engine.decide(.long, averageTrueRange: 200) == .enter(.long))
        engine.process(bar(2, open: 30_000, high: 30_050, low: 29_950, close: 30_000))
        let position = engine.account.position!
        #expect(position.size == 0.5 && close(position.entryPrice, 30_008))
        engine.process(bar(3, open: 29_780, high: 29_790, low: 29_690, close: 29_700))
        let trade = engine.trades[0]
        #expect(trade.exitReason == .stop && close(trade.exitPrice, 29_692.03))
        #expect(close(-trade.netPnL, 175.895009, 1e-6))
        #expect(close(-trade.netPnL / capital, 0.01, 1e-9))
    }

    /// The leverage leaves room for the entry fee at a somewhat worse fill: the old choice (notional /
    /// available, rounded up) is refused at the fill, the new one fills.
    @Test func theChosenLeverageSurvivesTheMarginCheckAtTheFill() {
        let sizer = PositionSizer(parameters: testParameters())
        let plan = try! sizer.plan(side: .long, price: 30_000, averageTrueRange: 200, capital: 10_000, available: 500, referenceRange: 0).get()
        #expect(plan.size == 0.297 && plan.leverage == 19)
        func fill(leverage: Double, at price: Double) -> VenueEvent? {
            var venue = SimulatedVenue(parameters: testParameters(), initialCapital: 500, funding: FundingSchedule(rates: [], fallbackRate: 0))
            var events: [VenueEvent] = []
            let order = EntryOrder(clientOrderID: ClientOrderID(symbol: "BTCUSDT", purpose: .entry, decisionTime: 60_000, versionHash: "00000000"),
                                   side: .long, size: plan.size, leverage: leverage, stopLoss: plan.stopLoss, takeProfit: plan.takeProfit,
                                   referencePrice: 30_000, decisionTime: 60_000)
            venue.execute(.submitEntry(order), price: price, referenceRange: 0, time: 60_000, events: &events)
            return events.first
        }
        // 18×: margin 8,910 / 18 = 495 + fee 5.35 = 500.35 > 500.
        guard case .orderRejected(_, let reason, _)? = fill(leverage: 18, at: 30_000) else { Issue.record("18× should be refused"); return }
        #expect(reason == "insufficient margin at the fill")
        guard case .orderFilled? = fill(leverage: plan.leverage, at: 30_000 * 1.004) else { Issue.record("19× should fill 0.4% higher"); return }
    }

    /// BitGet's isolated liquidation price counts the taker fee of the forced close, for shorts too.
    @Test func theLiquidationPriceCountsTheClosingFee() {
        // Short 1 BTC at 30,000, 80×: margin 375. p = (M + s·e) / (s·(1 + r + f)) = 30,375 / 1.0046 = 30,235.9.
        let short = Position(side: .short, size: 1, entryPrice: 30_000, margin: 375, leverage: 80, stopLoss: nil, takeProfit: nil,
                             openedAt: 0, fees: 0, funding: 0)
        #expect(close(testParameters().liquidationPrice(of: short), 30_375 / 1.0046))
        #expect(close(short.liquidationPrice(contract: testContract, takerFeeRate: 0), 30_375 / 1.004), "without the fee term: r alone")
    }

    /// Funding settles at the data's times, also off the configured 8-hour grid (a 4-hour contract); at a
    /// grid time without data the fallback applies, and it is 0 by default.
    @Test func fundingSettlesAtTheTimesInTheData() {
        #expect(EngineParameters(contract: testContract, leverageBand: LeverageBand(minimum: 5, maximum: 80)).fallbackFundingRate == 0)
        let fourHours: Int64 = 14_400_000
        let rates = [FundingRate(time: midnight + fourHours, rate: 0.0002), FundingRate(time: midnight + 2 * fourHours, rate: -0.0001)]
        var venue = SimulatedVenue(parameters: testParameters(), initialCapital: 10_000, funding: FundingSchedule(rates: rates, fallbackRate: 0))
        var events: [VenueEvent] = []
        venue.fillOrder(side: .buy, size: 1, price: 30_000, liquidity: .taker, leverage: 10, time: midnight)
        var settled: [(Double, Int64)] = []
        for minute in 0..<(16 * 60) {
            events.removeAll()
            venue.advance(through: bar(minute, open: 30_000), events: &events)
            for case let .fundingSettled(rate, _, time) in events { settled.append((rate, time)) }
        }
        // 04:00 and 08:00 from data (04:00 is off the 8-hour grid); 16:00 is a grid time without data: the
        // fallback, 0.
        #expect(settled.map(\.1) == [midnight + fourHours, midnight + 2 * fourHours, midnight + 4 * fourHours])
        #expect(settled.map(\.0) == [0.0002, -0.0001, 0])
        #expect(venue.fundingFallbacks == 1)
        #expect(close(venue.account.ledger.fundingPaid, 30_000 * 0.0002) && close(venue.account.ledger.fundingReceived, 30_000 * 0.0001))
    }
}

/// What a backtest does after a drawdown halt, against a market that falls 0.5% a bar under an
/// always-long policy (every trade stops out).
@Suite struct HaltHandlingTests {
    static func run(_ handling: HaltHandling) -> BacktestResult {
        let rules = RiskRules(dailyLossCap: 0.5, cooldownLosses: 0)
        let engine = SimulatedTradingEngine(parameters: testParameters(risk: rules), initialCapital: 10_000,
                                            funding: FundingSchedule(rates: [], fallbackRate: 0), confirmation: .off)
        var backtester = Backtester(engine: engine, policy: AlwaysLongPolicy(), columns: BacktesterTests.columns)
        backtester.afterHalt = handling
        let row: [Double] = [1, 0, 1]
        var price = 100.0
        row.withUnsafeBufferPointer { features in
            for minute in 0..<400 {
                let next = price * 0.995
                backtester.step(bar(minute, open: price, high: price, low: next, close: next), features: features, isValid: true)
                price = next
            }
        }
        return backtester.finish()
    }

    @Test func theLiveRuleStaysHaltedAndTheBacktestOperatorResumesAfterTheCoolingOff() {
        let live = Self.run(.stayHalted)
        #expect(live.operatorHalts == 1 && live.resumes == 0)
        let halt = live.riskEvents.first { $0.to == .halted }!
        #expect(live.trades.allSatisfy { $0.entryTime < halt.time }, "nothing is entered after the halt")
        #expect(live.trades.count >= 4)

        let resumed = Self.run(.resumeAfter(minutes: 60))
        #expect(resumed.operatorHalts >= 2 && resumed.resumes >= 1)
        #expect(resumed.trades.count > live.trades.count, "the record goes on past the first losing streak")
        let resume = resumed.riskEvents.first { $0.from == .halted }!
        #expect(resume.to == .active && resume.reason.hasPrefix("resumed after a cooling-off of 60 min"))
        let firstHalt = resumed.riskEvents.first { $0.to == .halted }!
        #expect(resume.time - firstHalt.time >= 60 * 60_000, "the operator waits out the cooling-off")
        #expect(resumed.trades.first { $0.entryTime > firstHalt.time }.map { $0.entryTime >= resume.time } == true,
                "the first entry after the halt fills at the open after the resume (its close time)")
        let metrics = BacktestMetrics(result: resumed, barsPerYear: 525_600)
        #expect(metrics.halts == resumed.operatorHalts && metrics.resumes == resumed.resumes)
    }
}

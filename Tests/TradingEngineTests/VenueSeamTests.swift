import MarketModel
import Testing
import TradingEngine

/// The seam between deciding and executing: the engine only sends commands and applies events, the venue
/// executes; the live path (commands through an outbox, the exchange's reports applied) books exactly
/// what the simulated path books.
@Suite struct VenueSeamTests {
    /// A seeded random walk of 1m bars with wicks wide enough to hit stops and take-profits.
    static func walk(count: Int, seed: UInt64) -> [Bar] {
        var random = SplitMix64(seed: seed)
        var price = 30_000.0
        return (0..<count).map { minute in
            let open = price
            price *= 1 + (random.unit() - 0.5) * 0.006
            let high = max(open, price) * (1 + random.unit() * 0.002), low = min(open, price) * (1 - random.unit() * 0.002)
            return bar(minute, open: open, high: high, low: low, close: price)
        }
    }

    static func action(_ random: inout SplitMix64) -> AgentAction {
        let unit = random.unit()
        return unit < 0.9 ? .hold : unit < 0.95 ? .long : .short
    }

    static let funding = FundingSchedule(rates: [FundingRate(time: midnight + 8 * 3_600_000, rate: 0.0003)], fallbackRate: 0.0001)

    /// On random sequences of actions, the engine's books equal the simulated venue's own account after every
    /// bar, and every USDT is accounted for by the closed trades and the open position.
    /// Limits loose enough that the random policy keeps trading to the end.
    static let patient = RiskRules(reducingDrawdown: 0.8, haltDrawdown: 0.9, dailyLossCap: 0.9, cooldownLosses: 0)

    @Test(arguments: [1, 2, 3] as [UInt64])
    func theEngineBooksEqualTheVenueAccount(seed: UInt64) {
        var engine = SimulatedTradingEngine(parameters: testParameters(risk: Self.patient), initialCapital: 10_000, funding: Self.funding,
                                            confirmation: .off)
        var random = SplitMix64(seed: seed)
        for bar in Self.walk(count: 1_500, seed: seed) {
            engine.process(bar)
            #expect(engine.account == engine.venue.account, "at \(bar.openTime)")
            engine.decide(Self.action(&random), averageTrueRange: bar.close * 0.002)
        }
        engine.closeAtLastPrice()
        #expect(engine.account == engine.venue.account)
        #expect(engine.trades.count > 20, "the sequence trades: \(engine.trades.count)")
        let booked = engine.trades.reduce(0) { $0 + $1.netPnL }
        #expect(close(engine.account.walletBalance, 10_000 + booked, 1e-9))
        #expect(engine.fundingSettlements == 3 && engine.fundingFallbacks == 2, "08:00 (from data), 16:00 and 24:00 (fallback) in 25 hours")
    }

    /// The live path: the engine's commands wait in an outbox, an exchange (here a simulated venue run by
    /// hand, as the runtime runs the real one) executes them, and its events are applied. The trades and the
    /// books are exactly the simulated path's.
    @Test func commandsThroughAnOutboxBookWhatTheSimulatedPathBooks() {
        let parameters = testParameters(risk: Self.patient)
        var simulated = SimulatedTradingEngine(parameters: parameters, initialCapital: 10_000, funding: Self.funding, confirmation: .off)
        var live = TradingEngine(parameters: parameters, venue: CommandOutbox(), initialCapital: 10_000, confirmation: .off)
        var exchange = SimulatedVenue(parameters: parameters, initialCapital: 10_000, funding: Self.funding)
        var randomA = SplitMix64(seed: 9), randomB = SplitMix64(seed: 9)
        var events: [VenueEvent] = []
        var commands = 0
        for bar in Self.walk(count: 2_000, seed: 9) {
            simulated.process(bar)
            simulated.decide(Self.action(&randomA), averageTrueRange: bar.close * 0.002)

            events.removeAll()
            exchange.advance(through: bar, events: &events)
            events.forEach { live.apply($0) }
            live.process(bar)
            live.decide(Self.action(&randomB), averageTrueRange: bar.close * 0.002)
            for command in live.venue.take() {
                commands += 1
                events.removeAll()
                exchange.submit(command, events: &events)
                events.forEach { live.apply($0) }
            }
        }
        #expect(commands > 40)
        #expect(live.trades == simulated.trades)
        #expect(live.account == simulated.account && exchange.account == simulated.venue.account)
        #expect(live.riskEvents == simulated.riskEvents)
    }

    /// Client order ids are made from the symbol, the purpose, the decision time and the agent version:
    /// the same decision always sends the same id, another agent or time another one.
    @Test func clientOrderIDsAreDeterministic() {
        var engine = SimulatedTradingEngine(parameters: testParameters(), initialCapital: 10_000,
                                            funding: FundingSchedule(rates: [], fallbackRate: 0), confirmation: .off, agentVersion: "20261126T110007445Z-s0")
        engine.journal = EngineJournal()
        engine.process(bar(0, open: 30_000))
        engine.decide(.long, averageTrueRange: 100)
        guard case let .submitEntry(order)? = engine.journal?.commands.first else {
            Issue.record("no entry was sent: \(String(describing: engine.journal?.commands))")
            return
        }
        let expected = ClientOrderID(symbol: "BTCUSDT", purpose: .entry, decisionTime: midnight + 60_000, agentVersion: "20261126T110007445Z-s0")
        #expect(order.clientOrderID == expected && order.decisionTime == midnight + 60_000)
        #expect(expected.rawValue.hasPrefix("BTCUSDT-E-\(midnight + 60_000)-") && expected.rawValue.count <= 42 && expected.purpose == .entry)
        #expect(ClientOrderID(symbol: "BTCUSDT", purpose: .entry, decisionTime: midnight + 60_000, agentVersion: "other") != expected)
        engine.process(bar(1, open: 30_010))
        #expect(engine.journal?.events.contains { if case let .orderFilled(fill, nil) = $0 { fill.clientOrderID == expected } else { false } } == true)
        #expect(engine.workingOrder == nil && engine.account.position?.stopLoss == order.stopLoss)
    }

    /// Past the reducing threshold with no position open, the drawdown cannot recover: the gate halts
    /// with that reason instead of sitting in REDUCING for ever, and only the operator's reset resumes.
    @Test func reducingWhileFlatEscalatesToAHaltUntilTheOperatorResets() {
        var gate = RiskGate(rules: RiskRules(reducingDrawdown: 0.04, haltDrawdown: 0.05, dailyLossCap: 0.5), equity: 10_000)
        #expect(gate.observe(equity: 9_580, time: 1, isFlat: false)?.to == .reducing, "a position is open: exits only")
        let halt = gate.observe(equity: 9_580, time: 2, isFlat: true)
        #expect(halt?.to == .halted)
        #expect(halt?.reason == "drawdown 4.2% passed 4.0% with no position open: a flat account cannot recover it; halted until the operator resumes")
        #expect(gate.observe(equity: 9_580, time: 3, isFlat: true) == nil && gate.state == .halted)
        #expect(gate.reset(equity: 9_580, time: 4)?.to == .active)
        #expect(gate.observe(equity: 9_580, time: 5, isFlat: true) == nil && gate.state == .active, "the reset makes the equity the new peak")
    }

    /// An operator's halt between a decision and the next open cancels the entry still working: nothing
    /// is opened after a halt (and nothing needs flattening a bar later).
    @Test func anOperatorHaltCancelsTheWorkingEntry() {
        var engine = SimulatedTradingEngine(parameters: testParameters(), initialCapital: 10_000,
                                            funding: FundingSchedule(rates: [], fallbackRate: 0), confirmation: .off)
        engine.process(bar(0, open: 30_000))
        #expect(engine.decide(.long, averageTrueRange: 300) == .enter(.long))
        guard case let .submitEntry(order)? = engine.workingOrder else { Issue.record("no working entry"); return }
        engine.journal = EngineJournal()
        #expect(engine.haltByOperator(reason: "by hand")?.to == .halted)
        #expect(engine.journal?.commands == [.cancel(order.clientOrderID)])
        #expect(engine.workingOrder == nil)
        engine.process(bar(1, open: 30_010))
        #expect(engine.account.position == nil && engine.trades.isEmpty, "the cancelled entry never fills")
    }

    /// A halt's close has its own client id: after an exit sent at the same bar was rejected, the halt's
    /// close is a new order (an exchange refuses a repeated `clientOid`).
    @Test func aHaltsCloseNeverReusesAnExitsIDOfTheSameBar() {
        var engine = SimulatedTradingEngine(parameters: testParameters(), initialCapital: 10_000,
                                            funding: FundingSchedule(rates: [], fallbackRate: 0), confirmation: .off)
        engine.process(bar(0, open: 30_000))
        #expect(engine.decide(.long, averageTrueRange: 300) == .enter(.long))
        engine.process(bar(1, open: 30_010))
        #expect(engine.account.position?.side == .long)
        #expect(engine.decide(.short, averageTrueRange: 300) == .close(.signal))
        guard case let .closePosition(exit)? = engine.workingOrder else { Issue.record("no working exit"); return }
        // The venue refused the exit (the simulated venue is told to drop it, as a real one would not keep it).
        engine.venue.cancelPending()
        engine.apply(.orderRejected(exit.clientOrderID, reason: "venue busy", time: 2))
        #expect(engine.workingOrder == nil)
        engine.journal = EngineJournal()
        #expect(engine.haltByOperator(reason: "by hand")?.to == .halted)
        guard case let .closePosition(close)? = engine.workingOrder else { Issue.record("the halt sent no close"); return }
        #expect(close.clientOrderID != exit.clientOrderID && close.clientOrderID.purpose == .halt, "\(close.clientOrderID) vs \(exit.clientOrderID)")
        #expect(close.clientOrderID.rawValue.contains("-H-") && close.reason == .halt)
    }

    /// The operator halts a symbol the daily-loss cap has just halted, whose close the venue refused: the
    /// halt becomes the operator's and sends nothing (a close now would repeat the refused close's id); the
    /// gate's next bar sends the close again under a new id.
    @Test func anOperatorHaltOfAHaltedSymbolSendsNothingMore() {
        var engine = SimulatedTradingEngine(parameters: testParameters(risk: RiskRules(reducingDrawdown: 0.5, haltDrawdown: 0.6, dailyLossCap: 0.002)),
                                            initialCapital: 10_000, funding: FundingSchedule(rates: [], fallbackRate: 0), confirmation: .off)
        engine.process(bar(0, open: 30_000))
        #expect(engine.decide(.long, averageTrueRange: 300) == .enter(.long))
        engine.process(bar(1, open: 30_000))
        #expect(engine.account.position?.side == .long)
        engine.process(bar(2, open: 30_000, low: 29_880, close: 29_900))
        #expect(engine.risk.state == .halted, "a loss past 0.2% of the day's equity halts")
        guard case let .closePosition(close)? = engine.workingOrder, close.reason == .halt else { Issue.record("the gate sent no close"); return }
        engine.venue.cancelPending()
        engine.apply(.orderRejected(close.clientOrderID, reason: "venue busy", time: 3))
        engine.journal = EngineJournal()
        let change = engine.haltByOperator(reason: "by hand")
        #expect(change?.from == .halted && change?.to == .halted)
        #expect(engine.journal?.commands.isEmpty == true, "\(engine.journal?.commands ?? [])")
        engine.process(bar(3, open: 29_900))
        guard case let .closePosition(again)? = engine.workingOrder else { Issue.record("no close at the next bar"); return }
        #expect(again.clientOrderID != close.clientOrderID && again.reason == .halt)
    }

    /// An order whose outcome the venue could not report is never taken for rejected: it stays the working
    /// order, nothing new is sent, until it is resolved by its client id.
    @Test func anOrderOfUnknownOutcomeBlocksNewOrdersUntilResolved() {
        var engine = SimulatedTradingEngine(parameters: testParameters(), initialCapital: 10_000,
                                            funding: FundingSchedule(rates: [], fallbackRate: 0), confirmation: .off)
        engine.process(bar(0, open: 30_000))
        #expect(engine.decide(.long, averageTrueRange: 300) == .enter(.long))
        guard let id = engine.workingOrder?.clientOrderID else { Issue.record("no working entry"); return }
        engine.apply(.orderOutcomeUnknown(id, reason: "timeout", time: 1))
        #expect(engine.unresolvedOrder == id && engine.workingOrder?.clientOrderID == id)
        #expect(engine.decide(.short, averageTrueRange: 300) == .none, "nothing new while the outcome is unknown")
        #expect(engine.snapshot.unresolvedOrder == id, "a restart keeps it unresolved")
        // Resolved by its client id (here: the venue never executed it).
        engine.apply(.orderRejected(id, reason: "not executed", time: 2))
        #expect(engine.unresolvedOrder == nil && engine.workingOrder == nil)
    }

    /// An entry that cannot be paid for at the fill is rejected by the venue, counted, and leaves the engine
    /// free to decide again.
    @Test func aRejectedEntryIsCountedAndFreesTheEngine() {
        // 5% risk at a 0.5-ATR stop (300 USDT), 5×: 0.148 BTC, margin 888 of 1,000 at 30,000; the take-profit is 20 ATR away.
        let rules = RiskRules(riskPerTrade: 0.05, atrStopMultiple: 0.5, atrTakeProfitMultiple: 20)
        var engine = SimulatedTradingEngine(parameters: testParameters(band: LeverageBand(minimum: 5, maximum: 5), risk: rules),
                                            initialCapital: 1_000, funding: FundingSchedule(rates: [], fallbackRate: 0), confirmation: .off)
        engine.process(bar(0, open: 30_000))
        #expect(engine.decide(.long, averageTrueRange: 600) == .enter(.long), "sized at the close with margin to spare")
        #expect(engine.workingOrder != nil)
        engine.process(bar(1, open: 34_500))  // a gap up: at 5× the margin is 1,021 > 1,000
        #expect(engine.account.position == nil && engine.workingOrder == nil)
        #expect(engine.refusals["insufficient margin at the fill"] == 1, "\(engine.refusals) \(engine.trades)")
    }
}

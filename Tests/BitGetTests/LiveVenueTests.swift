@testable import BitGet
import ExchangeSimulator
import Foundation
import MarketModel
import Reconciliation
import Synchronization
import Testing

/// The live venue against the simulator over loopback: stops live on the exchange and are confirmed by
/// reading them back, a position without a confirmed stop is closed, unknown outcomes are resolved by
/// client id, and reconciliation re-arms, flattens or adopts.
@Suite(.serialized) struct LiveVenueTests {
    static let contract = KnownContracts.spec(for: "BTCUSDT")!
    static let settings = LiveVenueSettings(stopConfirmationSeconds: 2, fillTimeoutSeconds: 2, pollSeconds: 0.05,
                                           checksServerTime: false)  // the harness replays 2025: its time is simulated

    static func venue(_ harness: SimulatorHarness, requestTimeout: Double = 15) -> BitGetVenue {
        BitGetVenue(client: harness.client(credentials: harness.credentials, requestTimeout: requestTimeout), contracts: ["BTCUSDT": contract],
                    settings: settings)
    }

    static func entry(price: Double, at time: Int64 = 1_750_000_000_000) -> EntryOrder {
        EntryOrder(clientOrderID: ClientOrderID(symbol: "BTCUSDT", purpose: .entry, decisionTime: time, agentVersion: "v1"), side: .long,
                   size: 0.01, leverage: 10, stopLoss: price * 0.98, takeProfit: price * 1.03, referencePrice: price, decisionTime: time)
    }

    static func price(_ harness: SimulatorHarness) async throws -> Double {
        try await harness.client().prices(symbol: "BTCUSDT").last
    }

    @Test func anEntryFillsAndItsStopIsConfirmedAtTheExchange() async throws {
        try await SimulatorHarness.with { harness in
            let venue = Self.venue(harness)
            let order = Self.entry(price: try await Self.price(harness))
            let outcome = try await venue.execute(.submitEntry(order), symbol: "BTCUSDT")
            #expect(outcome.halt == nil, "\(outcome)")
            let fills = outcome.events.compactMap { if case let .orderFilled(fill, nil) = $0 { fill } else { nil } }
            #expect(fills.count == 1 && fills.first?.size == 0.01 && fills.first?.clientOrderID == order.clientOrderID)
            let stop = Double(Self.contract.priceText(order.stopLoss))!
            #expect(outcome.events.contains { if case let .protectionArmed(armed, _, _) = $0 { armed == stop } else { false } }, "\(outcome.events)")
            let plans = await harness.simulator.livePositionPlans("BTCUSDT")
            #expect(plans.filter { $0.planType == "pos_loss" }.map(\.triggerPrice) == [stop], "exactly one stop, at the intended trigger")
            #expect(await harness.simulator.orderLog().count == 1)
        }
    }

    @Test func aStopTheExchangeRefusesClosesThePositionAndHaltsTheSymbol() async throws {
        try await SimulatorHarness.with { harness in
            await harness.simulator.refusePlanOrders(true)
            let venue = Self.venue(harness)
            let outcome = try await venue.execute(.submitEntry(Self.entry(price: try await Self.price(harness))), symbol: "BTCUSDT")
            let halt = try #require(outcome.halt)
            #expect(halt.contains("could not be confirmed") && halt.contains("the position was closed"), "\(halt)")
            #expect(outcome.events.contains { if case .orderFilled(_, .halt) = $0 { true } else { false } }, "the close is booked")
            #expect(try await harness.client(credentials: harness.credentials).positions().isEmpty, "flat at the exchange")
            #expect(!outcome.events.contains { if case .protectionArmed = $0 { true } else { false } })
        }
    }

    /// The venue's own close is stored before it leaves: the journal sees it while the exchange has no
    /// such order yet; an id the journal has already goes out under the next one; the outcome names it.
    @Test func theVenuesOwnCloseIsRecordedBeforeItIsSent() async throws {
        try await SimulatorHarness.with { harness in
            await harness.simulator.refusePlanOrders(true)
            let venue = Self.venue(harness)
            let seen = Mutex<[(id: String, reduceOnly: Bool, atExchange: Bool)]>([])
            await venue.journalOwnOrders { request in
                let atExchange = await harness.simulator.orderLog().contains { $0.clientOrderID == request.clientOrderID }
                let first = seen.withLock { log in
                    log.append((request.clientOrderID, request.reduceOnly, atExchange))
                    return log.count == 1
                }
                return first ? .idTaken : .stored
            }
            let outcome = try await venue.execute(.submitEntry(Self.entry(price: try await Self.price(harness))), symbol: "BTCUSDT")
            #expect(outcome.halt?.contains("the position was closed") == true, "\(outcome)")
            let log = seen.withLock { $0 }
            #expect(log.count == 2 && log.allSatisfy { $0.reduceOnly && !$0.atExchange }, "asked before it left: \(log.map(\.id))")
            let sent = try #require(outcome.ownOrders.first)
            #expect(outcome.ownOrders.count == 1 && sent.clientOrderID == log.last?.id && sent.clientOrderID != log.first?.id, "under the free id")
            #expect(ClientOrderID(rawValue: sent.clientOrderID).purpose == .halt)
            let closes = await harness.simulator.orderLog().filter(\.reduceOnly)
            #expect(closes.map(\.clientOrderID) == [sent.clientOrderID], "one close, under the id that was stored")
        }
    }

    @Test func anEntryWhoseAnswerIsLostIsOneOrderAndOneFill() async throws {
        try await SimulatorHarness.with(configure: { options in
            options.faults = try! SimulatorFaults(parsing: "lost-response=1")
            options.lostResponseDelaySeconds = 2
        }) { harness in
            let venue = Self.venue(harness, requestTimeout: 0.4)
            let order = Self.entry(price: try await Self.price(harness))
            let outcome = try await venue.execute(.submitEntry(order), symbol: "BTCUSDT")
            #expect(outcome.halt == nil, "\(outcome)")
            #expect(outcome.events.filter { if case .orderFilled = $0 { true } else { false } }.count == 1)
            let entries = await harness.simulator.orderLog().filter { !$0.reduceOnly }
            #expect(entries.count == 1 && entries.first?.clientOrderID == order.clientOrderID.rawValue, "no second entry: \(entries)")
            #expect(await harness.simulator.livePositionPlans("BTCUSDT").filter { $0.planType == "pos_loss" }.count == 1)
            #expect(harness.simulator.faultCounts.withLock { $0.lostResponses } >= 1, "the entry's answer was lost")
        }
    }

    @Test func aStopIsMovedInPlaceAndTheCloseCancelsWhatIsLeftOver() async throws {
        try await SimulatorHarness.with { harness in
            let venue = Self.venue(harness)
            let price = try await Self.price(harness)
            _ = try await venue.execute(.submitEntry(Self.entry(price: price)), symbol: "BTCUSDT")
            let moved = Double(Self.contract.priceText(price * 0.99))!
            let amend = try await venue.execute(.amendProtection(stopLoss: moved, takeProfit: nil), symbol: "BTCUSDT")
            #expect(amend.halt == nil && amend.events.contains { if case .protectionArmed(moved, _, _) = $0 { true } else { false } }, "\(amend)")
            #expect(await harness.simulator.livePositionPlans("BTCUSDT").filter { $0.planType == "pos_loss" }.map(\.triggerPrice) == [moved])
            let exit = ExitOrder(clientOrderID: ClientOrderID(symbol: "BTCUSDT", purpose: .exit, decisionTime: 1_750_000_060_000, agentVersion: "v1"),
                                 reason: .signal, decisionTime: 1_750_000_060_000)
            let close = try await venue.execute(.closePosition(exit), symbol: "BTCUSDT")
            #expect(close.halt == nil && close.events.contains { if case .orderFilled(_, .signal) = $0 { true } else { false } }, "\(close)")
            #expect(await harness.simulator.livePositionPlans("BTCUSDT").isEmpty, "no TP/SL order is left once flat")
        }
    }

    @Test func aStopThatCannotBeMovedStaysArmedAndThePositionIsKept() async throws {
        try await SimulatorHarness.with { harness in
            let venue = Self.venue(harness)
            let price = try await Self.price(harness)
            let order = Self.entry(price: price)
            _ = try await venue.execute(.submitEntry(order), symbol: "BTCUSDT")
            let armed = Double(Self.contract.priceText(order.stopLoss))!
            await harness.simulator.refusePlanOrders(true)
            let amend = try await venue.execute(.amendProtection(stopLoss: Double(Self.contract.priceText(price * 0.99))!, takeProfit: nil),
                                                symbol: "BTCUSDT")
            #expect(amend.halt == nil && amend.events.contains { if case .protectionArmed(armed, _, _) = $0 { true } else { false } },
                    "the engine books the stop where it stands: \(amend)")
            #expect(await harness.simulator.orderLog().filter(\.reduceOnly).isEmpty, "a protected position is not flattened over a failed amend")
            #expect(await harness.simulator.livePositionPlans("BTCUSDT").filter { $0.planType == "pos_loss" }.map(\.triggerPrice) == [armed])
        }
    }

    /// BitGet may show an order `filled` before its volume and price: such a fill is never booked (at 0
    /// or at all) while they are missing, reconciliation keeps it unknown, and the position it opened still
    /// gets its stop.
    @Test func aFillShownWithoutItsPriceIsNeverBookedAndThePositionStillGetsItsStop() async throws {
        try await SimulatorHarness.with(configure: { options in options.fillDetailLagSeconds = 30 }) { harness in
            let venue = Self.venue(harness)
            let order = Self.entry(price: try await Self.price(harness))
            let outcome = try await venue.execute(.submitEntry(order), symbol: "BTCUSDT")
            #expect(!outcome.events.contains { if case .orderFilled = $0 { true } else { false } }, "no fill booked without its price: \(outcome)")
            #expect(outcome.halt?.contains("has its stop") == true, "\(outcome.halt ?? "no halt")")
            #expect(await harness.simulator.protectingStop("BTCUSDT") == Double(Self.contract.priceText(order.stopLoss)))
            #expect(await harness.simulator.heldPosition("BTCUSDT")?.size == 0.01, "kept: it has its stop")
            let report = try await venue.report(symbol: "BTCUSDT", inFlight: [order.clientOrderID: Int64(Date().timeIntervalSince1970 * 1000) - 120_000])
            guard case .unknown? = report.resolutions[order.clientOrderID] else {
                Issue.record("`filled` with no volume is unknown, never `not executed`: \(report.resolutions)"); return
            }
        }
    }

    /// `enlargedByHand`: the position was raised by hand before its stop fired, so the fill the exchange
    /// shows is not the position the engine holds: nothing is booked, the symbol halts.
    @Test(arguments: [false, true])
    func aStopThatFiredAtTheExchangeIsBookedWithTheExchangesFillOnce(enlargedByHand: Bool) async throws {
        try await SimulatorHarness.with(configure: { options in options.manualClock = true }) { harness in
            let venue = Self.venue(harness)
            let price = try await Self.price(harness)
            var order = Self.entry(price: price)
            order.stopLoss = price * 0.999
            order.takeProfit = price * 1.001
            let entered = try await venue.execute(.submitEntry(order), symbol: "BTCUSDT")
            let fill = try #require(entered.events.compactMap { if case let .orderFilled(fill, _) = $0 { fill } else { nil } }.first)
            if enlargedByHand { _ = try await harness.simulator.openPositionByHand("BTCUSDT", side: "buy", size: 0.02) }
            // The market moves on while no one looks, until one of the two triggers fires at the exchange.
            for _ in 0..<1_200 where await harness.simulator.heldPosition("BTCUSDT") != nil {
                _ = harness.simulator.clock.advance(by: 60_000)
                try await Task.sleep(nanoseconds: 5_000_000)
            }
            #expect(await harness.simulator.heldPosition("BTCUSDT") == nil, "a trigger fired")
            let believed = BelievedState(position: Position(side: .long, size: fill.size, entryPrice: fill.price, margin: fill.size * fill.price / 10,
                                                            leverage: 10, stopLoss: Double(Self.contract.priceText(order.stopLoss)),
                                                            takeProfit: Double(Self.contract.priceText(order.takeProfit)), openedAt: fill.time,
                                                            fees: fill.fee, funding: 0))
            let actions = Reconciliation.reconcile(believed: believed, report: try await venue.report(symbol: "BTCUSDT", inFlight: [:]),
                                                   rules: .init())
            #expect(actions == [.bookClosedAtVenue(believed.position!)], "\(actions)")
            let performed = try await venue.perform(actions, symbol: "BTCUSDT")
            if enlargedByHand {
                #expect(performed.outcome.events.isEmpty && performed.storeActions.isEmpty, "nothing booked: \(performed)")
                #expect(performed.outcome.halt?.contains("the position booked is 0.01") == true, "\(performed.outcome.halt ?? "no halt")")
                return
            }
            guard case let .protectionTriggered(reason, close)? = performed.outcome.events.first else {
                Issue.record("expected the exchange's close, got \(performed)"); return
            }
            let again = try await venue.perform(actions, symbol: "BTCUSDT")
            #expect(again.outcome.events.isEmpty && again.storeActions == actions, "a fired stop is booked once: \(again)")
            #expect(performed.storeActions.isEmpty, "booked from the exchange, nothing left to guess")
            let client = harness.client(credentials: harness.credentials)
            let exchangeClose = try #require(await harness.simulator.orderLog().first { $0.reduceOnly && $0.state == "filled" && $0.clientOrderID != "" })
            let exchangeOrder = try await client.order(symbol: "BTCUSDT", clientOrderID: exchangeClose.clientOrderID)
            #expect(close.price == exchangeOrder.averagePrice && close.fee == abs(exchangeOrder.fee) && close.size == fill.size && close.side == .sell,
                    "the exchange's price and fee: \(close) vs \(exchangeOrder)")
            #expect(exchangeClose.clientOrderID.hasPrefix(reason == .stop ? "stop" : "take-profit"), "\(reason) \(exchangeClose)")
        }
    }

    @Test func aStopCancelledByHandIsReArmedByReconciliation() async throws {
        try await SimulatorHarness.with { harness in
            let venue = Self.venue(harness)
            let order = Self.entry(price: try await Self.price(harness))
            let entered = try await venue.execute(.submitEntry(order), symbol: "BTCUSDT")
            let fill = try #require(entered.events.compactMap { if case let .orderFilled(fill, _) = $0 { fill } else { nil } }.first)
            #expect(await harness.simulator.cancelStopByHand("BTCUSDT"))
            let stop = Double(Self.contract.priceText(order.stopLoss))!, profit = Double(Self.contract.priceText(order.takeProfit))!
            let believed = BelievedState(position: Position(side: .long, size: fill.size, entryPrice: fill.price, margin: fill.size * fill.price / 10,
                                                            leverage: 10, stopLoss: stop, takeProfit: profit, openedAt: fill.time, fees: fill.fee,
                                                            funding: 0))
            let report = try await venue.report(symbol: "BTCUSDT", inFlight: [:])
            #expect(report.protections.map(\.kind) == [.takeProfit], "the exchange shows the stop gone")
            let actions = Reconciliation.reconcile(believed: believed, report: report, rules: .init(priceTolerance: 1e-6))
            #expect(actions == [.armProtection(stopLoss: stop, takeProfit: profit)])
            let performed = try await venue.perform(actions, symbol: "BTCUSDT")
            #expect(performed.outcome.halt == nil)
            #expect(await harness.simulator.livePositionPlans("BTCUSDT").filter { $0.planType == "pos_loss" }.map(\.triggerPrice) == [stop])
            let again = try await venue.report(symbol: "BTCUSDT", inFlight: [:])
            #expect(Reconciliation.reconcile(believed: believed, report: again, rules: .init(priceTolerance: 1e-6)).isEmpty, "they agree")
        }
    }

    @Test(arguments: [UnknownPositionPolicy.flatten, .adopt])
    func aPositionOpenedByHandIsFlattenedOrAdoptedWithAStop(policy: UnknownPositionPolicy) async throws {
        try await SimulatorHarness.with { harness in
            let venue = Self.venue(harness)
            _ = try await harness.simulator.openPositionByHand("BTCUSDT", side: "sell", size: 0.02)
            let report = try await venue.report(symbol: "BTCUSDT", inFlight: [:])
            let actions = Reconciliation.reconcile(believed: BelievedState(position: nil), report: report, rules: .init(unknownPosition: policy))
            let performed = try await venue.perform(actions, symbol: "BTCUSDT")
            #expect(performed.outcome.halt == nil, "\(performed)")
            let positions = try await harness.client(credentials: harness.credentials).positions()
            switch policy {
            case .flatten:
                #expect(positions.isEmpty, "flattened")
                #expect(await harness.simulator.orderLog().filter(\.reduceOnly).count == 1)
            case .adopt:
                #expect(positions.map(\.size) == [0.02], "kept")
                #expect(performed.storeActions.contains { if case .adoptPosition = $0 { true } else { false } })
                let stops = await harness.simulator.livePositionPlans("BTCUSDT").filter { $0.planType == "pos_loss" }
                #expect(stops.count == 1 && stops[0].triggerPrice > positions[0].entryPrice, "a short's stop above its entry: \(stops)")
            }
        }
    }

    @Test func startUpRefusesWithWhatToFixAndSendsNothing() async throws {
        try await SimulatorHarness.with { harness in
            let good = harness.credentials
            let cases: [(BitGetCredentials, @Sendable () -> Int64, String)] = [
                (BitGetCredentials(apiKey: good.apiKey, secret: good.secret, passphrase: ""), { Int64(Date().timeIntervalSince1970 * 1000) },
                 "BITGET_PASSPHRASE is not set"),
                (BitGetCredentials(apiKey: "wrong", secret: good.secret, passphrase: good.passphrase), { Int64(Date().timeIntervalSince1970 * 1000) },
                 "check BITGET_API_KEY"),
                (BitGetCredentials(apiKey: good.apiKey, secret: "wrong", passphrase: good.passphrase), { Int64(Date().timeIntervalSince1970 * 1000) },
                 "check BITGET_SECRET"),
                (good, { Int64(Date().timeIntervalSince1970 * 1000) - 60_000 }, "check the system clock"),
            ]
            for (credentials, clock, expected) in cases {
                let client = BitGetRESTClient(baseURL: harness.baseURL, credentials: credentials, retry: RetryPolicy(maximumAttempts: 2, baseDelay: 0.01),
                                              clock: clock)
                let venue = BitGetVenue(client: client, contracts: ["BTCUSDT": Self.contract], settings: Self.settings, clock: clock)
                do {
                    _ = try await venue.verifyForLiveTrading(symbols: ["BTCUSDT"])
                    Issue.record("\(expected): the start must be refused")
                } catch let refusal as LiveStartRefusal {
                    #expect(refusal.description.contains(expected), "\(refusal)")
                }
            }
            #expect(await harness.simulator.orderLog().isEmpty, "nothing was sent")
            let settings = try await harness.client(credentials: good).accountSettings(symbol: "BTCUSDT")
            #expect(settings.marginMode == "crossed", "no setting was changed by a refused start")
            let report = try await Self.venue(harness).verifyForLiveTrading(symbols: ["BTCUSDT"])
            #expect(report.changes == ["BTCUSDT margin set to isolated"])
            #expect(try await harness.client(credentials: good).accountSettings(symbol: "BTCUSDT").marginMode == "isolated")
        }
    }

    @Test func aClockOffTheExchangesIsRefusedBeforeAnythingSigned() async throws {
        let wall: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
        try await SimulatorHarness.with(configure: { $0.start = wall() }) { harness in
            let slow: @Sendable () -> Int64 = { wall() - 8_000 }
            let client = BitGetRESTClient(baseURL: harness.baseURL, credentials: harness.credentials, clock: slow)
            var settings = Self.settings
            settings.checksServerTime = true
            let venue = BitGetVenue(client: client, contracts: ["BTCUSDT": Self.contract], settings: settings, clock: slow)
            do {
                _ = try await venue.verifyForLiveTrading(symbols: ["BTCUSDT"])
                Issue.record("an 8 s skew must be refused")
            } catch let refusal as LiveStartRefusal {
                #expect(refusal.description.contains("ms behind the exchange's") && refusal.description.contains("synchronise"), "\(refusal)")
            }
            #expect(try await harness.client(credentials: harness.credentials).accountSettings(symbol: "BTCUSDT").marginMode == "crossed",
                    "a refused start changed no setting")
            let report = try await BitGetVenue(client: harness.client(credentials: harness.credentials), contracts: ["BTCUSDT": Self.contract],
                                               settings: settings).verifyForLiveTrading(symbols: ["BTCUSDT"])
            #expect(abs(report.clockSkewMilliseconds) < 2_000)
        }
    }

    @Test func anInFlightOrderTheExchangeNeverGotIsNotFoundSinceItWasSentAndWaitsOutTheGrace() async throws {
        try await SimulatorHarness.with { harness in
            let venue = Self.venue(harness)
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let recent = ClientOrderID(symbol: "BTCUSDT", purpose: .entry, decisionTime: 1_750_000_000_000, agentVersion: "v1")
            let old = ClientOrderID(symbol: "BTCUSDT", purpose: .entry, decisionTime: 1_750_000_060_000, agentVersion: "v1")
            // The decision times are 2025 (a replay): the grace is measured from when each was sent, not from them.
            let report = try await venue.report(symbol: "BTCUSDT", inFlight: [recent: now - 1_000, old: now - 120_000])
            guard case let .notFound(recentSeconds)? = report.resolutions[recent], case let .notFound(oldSeconds)? = report.resolutions[old] else {
                Issue.record("\(report.resolutions)"); return
            }
            #expect(recentSeconds >= 1 && recentSeconds < 30 && oldSeconds >= 120 && oldSeconds < 150, "\(recentSeconds) \(oldSeconds)")
            let waits = Reconciliation.reconcile(believed: BelievedState(position: nil, inFlight: [recent]),
                                                 report: VenueReport(position: nil, resolutions: [recent: report.resolutions[recent]!]),
                                                 rules: .init())
            #expect(waits.contains { if case .retryLater = $0 { true } else { false } }, "within the grace it may still be in transit: \(waits)")
            let forgets = Reconciliation.reconcile(believed: BelievedState(position: nil, inFlight: [old]),
                                                   report: VenueReport(position: nil, resolutions: [old: report.resolutions[old]!]), rules: .init())
            #expect(forgets.contains { if case .forgetOrder = $0 { true } else { false } }, "past the grace it was never placed: \(forgets)")
        }
    }
}

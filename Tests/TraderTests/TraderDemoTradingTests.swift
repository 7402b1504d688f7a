import ChildProcesses
import Foundation
import TestSupport
import Storage
import Testing
@testable import TraderRuntime

/// `trader run --live --demo-trading` against `bitget-sim`: the live path end to end (orders sent once by
/// their client ids, each position's stop on the exchange, reconciliation at start and on its interval).
@Suite(.serialized, .removesTemporaryFiles) struct TraderDemoTradingTests {
    /// A demo-trading account on the recorded market, reconciled every `reconcileSeconds`.
    struct Account {
        let fixture: TraderFixture
        let simulator: SimulatorProcess
        var environment: [String: String] {
            var environment = ReconcileCommandTests.credentials
            environment["BITGET_BASE_URL"] = simulator.baseURL
            environment["BITGET_WS_URL"] = simulator.webSocketURL
            return environment
        }

        static func with(reconcileSeconds: Int = 2, faults: String = "", _ body: (Account) async throws -> Void) async throws {
            let fixture = try await TraderFixture()
            try fixture.workspace.configurationFile("trading/runtime.yaml", replacing: "live: false", with: "live: true")
            try fixture.workspace.configurationFile("trading/runtime.yaml", replacing: "reconcile_seconds: 45", with: "reconcile_seconds: \(reconcileSeconds)")
            try await fixture.withSimulator(speed: 120, faults: faults, account: "demo") { simulator in try await body(Account(fixture: fixture, simulator: simulator)) }
        }

        var trader: ChildProcess { fixture.workspace.trader(["run", "--live", "--demo-trading"], environment: environment) }

        /// The client ids of every order the exchange accepted, oldest first (a stop's or a hand's order has none).
        func clientIDs() async throws -> [String] {
            let body = try await TraderOperationsTests.get("\(simulator.baseURL)/sim/orders").body
            return body.components(separatedBy: "\"clientOid\":\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }.filter { !$0.isEmpty }
        }

        /// The live position the store holds (side, size, stop), nil when flat.
        func storedPosition() -> [String?]? {
            try? fixture.store.rows("SELECT side, size, stop_loss FROM positions WHERE mode = 'demo'", [], context: "test").first
        }

        func events() -> [String] {
            ((try? fixture.store.rows("SELECT kind, message FROM trader_events ORDER BY id", [], context: "test")) ?? []).map { "\($0[0] ?? ""): \($0[1] ?? "")" }
        }

        /// `trader reconcile --dry-run --live --demo-trading`.
        func reconcile() async throws -> ChildProcessResult {
            try await fixture.workspace.trader(["reconcile", "--dry-run", "--live", "--demo-trading"], environment: environment).run()
        }

        func post(_ path: String) async throws -> String { try await ReconcileCommandTests.post(simulator.baseURL + path) }
    }

    /// The demo account's WebSockets are BitGet's demo hosts; a simulator's URL is kept as given.
    @Test func theDemoAccountTalksToTheDemoEnvironment() {
        #expect(ExchangeWatcher.demoURL("wss://ws.bitget.com/v2/ws/public") == "wss://wspap.bitget.com/v2/ws/public")
        #expect(ExchangeWatcher.privateURL(publicURL: "wss://ws.bitget.com/v2/ws/public", demoTrading: true) == "wss://wspap.bitget.com/v2/ws/private")
        #expect(ExchangeWatcher.privateURL(publicURL: "wss://ws.bitget.com/v2/ws/public", demoTrading: false) == "wss://ws.bitget.com/v2/ws/private")
        #expect(ExchangeWatcher.demoURL("ws://127.0.0.1:9000/v2/ws/public") == "ws://127.0.0.1:9000/v2/ws/public")
    }

    /// Killed with -9 while a position is open: the stop stays on the exchange, the restart reconciles and
    /// trades on, no order goes out twice, and every trade keeps its strategy record.
    @Test func ordersGoOutOnceWithTheirStopsOnTheExchangeAcrossAKill() async throws {
        try await Account.with { account in
            let (opened, first) = try await account.trader.withRunning { running in
                let opened = await running.wait(timeout: .seconds(300)) { account.storedPosition() != nil }
                running.send(signal: SIGKILL)
                return opened
            }
            #expect(opened, "a live position was stored: \(first.standardError.suffix(3_000))")
            #expect(first.standardOutput.contains("BitGet demo trading BTCUSDT"), "\(first.standardOutput)")
            // While no trader runs, the position's stop is on the exchange, where the store says it is.
            let position = try #require(account.storedPosition())
            let whileDown = try await account.reconcile()
            #expect(whileDown.status == 0, "\(whileDown.standardOutput)\(whileDown.standardError)")
            let stop = try #require(position[2] ?? nil)
            #expect(whileDown.standardOutput.contains("stop \(OperatorView.decimal(Double(stop) ?? 0)) ("), "the exchange's stop at the stored one: \(whileDown.standardOutput)")

            // Restarted: reconciled at start and trading on, until it has entered twice more and holds a position.
            let before = try await account.clientIDs().filter { $0.hasPrefix("BTCUSDT-E-") }.count
            var entered = before
            let (_, second) = try await account.trader.withRunning { running in
                _ = await running.wait(timeout: .seconds(300)) {
                    entered = account.events().filter { $0.hasPrefix("entry: ") }.count
                    return entered >= before + 2 && account.storedPosition() != nil
                }
                running.send(signal: SIGTERM)
                return await running.waitForExit(timeout: .seconds(30))
            }
            #expect(second.succeeded, "\(second.standardError.suffix(3_000))")
            #expect(entered >= before + 2, "it traded on after the restart: \(account.events())")
            let events = account.events()
            #expect(events.contains { $0.hasPrefix("started: restored after the bar of") && $0.contains("open with its stop at") }, "\(events)")

            let ids = try await account.clientIDs()
            #expect(Set(ids).count == ids.count, "no client id accepted twice: \(ids)")
            let counts = try await TraderOperationsTests.get("\(account.simulator.baseURL)/sim/counts").body
            #expect(counts.contains("\"resentOrderRequests\":0") && counts.contains("\"placeOrderRequests\":\(ids.count)"),
                    "one place-order request per order, none resent under an id already sent: \(counts), \(ids.count) orders")
            let atEnd = try await account.reconcile()
            #expect(atEnd.status == 0, "\(atEnd.standardOutput)\(atEnd.standardError)")
            let store = try account.fixture.store
            let trades = try store.rows("SELECT COUNT(*) FROM trades WHERE mode = 'demo'", [], context: "test").first?.first ?? nil
            let records = try store.rows("SELECT COUNT(*) FROM ml_strategies WHERE phase = 'demo'", [], context: "test").first?.first ?? nil
            #expect(Int(trades ?? "0") ?? 0 >= 1 && trades == records, "a strategy record per live trade: \(trades ?? "-") trades, \(records ?? "-") records")
        }
    }

    /// Killed in the middle of an entry — the exchange carried it out, its answer has not come back — the
    /// restart finds it by its client id: booked once with the stop it was sent with, never sent again,
    /// and the two sides agree.
    @Test func aKillInTheMiddleOfAnOrderIsResolvedByItsClientID() async throws {
        try await Account.with { account in
            let submittedEntry = { () -> String? in
                try? account.fixture.store.rows("SELECT client_order_id FROM orders WHERE mode = 'demo' AND status = 'submitted' AND reduce_only = 0",
                                                [], context: "test").first?.first ?? nil
            }
            _ = try await account.post("/sim/hold-answers?on=1")
            let (killed, first) = try await account.trader.withRunning { running -> String? in
                guard await running.wait(timeout: .seconds(300), until: { submittedEntry() != nil }) else { return nil }
                try? await Task.sleep(for: .seconds(1))  // loopback: the request is at the exchange, its answer held
                let counts = (try? await TraderOperationsTests.get("\(account.simulator.baseURL)/sim/counts").body) ?? ""
                running.send(signal: SIGKILL)
                return counts.contains("\"heldAnswers\":0") ? nil : submittedEntry()
            }
            _ = try await account.post("/sim/hold-answers?on=0")
            let id = try #require(killed, "killed while an entry's answer was held: \(first.standardError.suffix(3_000))")
            #expect(try await account.clientIDs().contains(id), "the exchange carried it out")

            let (booked, second) = try await account.trader.withRunning { running in
                let booked = await running.wait(timeout: .seconds(120)) {
                    (try? account.fixture.store.rows("SELECT status FROM orders WHERE mode = 'demo' AND client_order_id = $1", [.text(id)],
                                                     context: "test").first?.first ?? nil) == "filled"
                }
                running.send(signal: SIGTERM)
                _ = await running.waitForExit(timeout: .seconds(30))
                return booked
            }
            #expect(booked, "the restart booked the entry by its client id: \(account.events())\n\(second.standardError.suffix(3_000))")
            // Booked by its id, not taken over: the row has the exchange's fill, nothing was adopted, and the
            // first position the restart held was that entry's, with the stop it was sent with.
            let row = try #require(try account.fixture.store.rows("SELECT filled_size, stop_loss FROM orders WHERE mode = 'demo' AND client_order_id = $1",
                                                                  [.text(id)], context: "test").first)
            #expect((Double(row[0] ?? "") ?? 0) > 0, "\(row)")
            #expect(!account.events().contains { $0.contains("adopt") }, "\(account.events())")
            if let held = account.storedPosition(), let stop = held[2].flatMap({ $0 }).flatMap(Double.init) {
                #expect(abs(stop - (Double(row[1] ?? "") ?? 0)) < 1e-9, "the position holds the stop its entry was sent with: \(held) \(row)")
            }
            let ids = try await account.clientIDs()
            #expect(ids.filter { $0 == id }.count == 1, "sent once: \(ids)")
            let counts = try await TraderOperationsTests.get("\(account.simulator.baseURL)/sim/counts").body
            #expect(counts.contains("\"resentOrderRequests\":0"), "\(counts)")
            let atEnd = try await account.reconcile()
            #expect(atEnd.status == 0, "the store and the exchange agree: \(atEnd.standardOutput)\(atEnd.standardError)")
        }
    }

    /// What a user does by hand on the exchange, and a stop the exchange refuses: a position the bot did not
    /// open (placed while the trader was down) is closed at start, a stop cancelled by hand is placed again
    /// within seconds (the private stream's push triggers the reconciliation: the interval here is 10
    /// minutes), and a position whose stop cannot be placed is closed and its symbol halted; each is in the
    /// event log.
    @Test func handsOnTheExchangeAreUndoneAndAnUnprotectedPositionIsClosed() async throws {
        try await Account.with(reconcileSeconds: 600) { account in
            // A first start sets the account up (one-way mode, isolated margin); while it is down, a position by hand.
            let (ready, setUp) = try await account.trader.withRunning { running in
                let ready = await running.wait(timeout: .seconds(120)) { account.events().contains { $0.hasPrefix("started: ") } }
                running.send(signal: SIGTERM)
                _ = await running.waitForExit(timeout: .seconds(30))
                return ready
            }
            #expect(ready, "\(setUp.standardError.suffix(3_000))")
            let opened = try await account.post("/sim/open-position?symbol=BTCUSDT&side=buy&size=0.01")
            #expect(opened.contains("orderId"), "\(opened)")
            let (outcome, run) = try await account.trader.withRunning { running -> (flattened: Bool, rearmed: Bool, halted: Bool) in
                let flattened = await running.wait(timeout: .seconds(120)) {
                    account.events().contains { $0.hasPrefix("reconcile: ") && $0.contains("close the position at the exchange") }
                }
                // The bot's own position: its stop cancelled by hand comes back (a position that closes first
                // by itself gives the next one its turn).
                var rearmed = false
                for _ in 0..<5 where !rearmed {
                    _ = await running.wait(timeout: .seconds(300)) { account.storedPosition() != nil }
                    guard ((try? await account.post("/sim/cancel-stop?symbol=BTCUSDT")) ?? "").contains("true") else { continue }
                    rearmed = await running.wait(timeout: .seconds(20)) {
                        account.events().contains { $0.hasPrefix("reconcile: ") && $0.contains("place the stop at") }
                    }
                    if !rearmed { _ = await running.wait(timeout: .seconds(60)) { account.storedPosition() == nil } }
                }
                // Plan orders refused: the next entry cannot be protected, so it is closed and the symbol halted.
                let before = account.events().count
                _ = try? await account.post("/sim/refuse-plan-orders?on=1")
                let halted = await running.wait(timeout: .seconds(300)) {
                    account.events().dropFirst(before).contains { $0.hasPrefix("halted: ") && $0.contains("could not be confirmed") }
                }
                _ = try? await account.post("/sim/refuse-plan-orders?on=0")
                running.send(signal: SIGTERM)
                _ = await running.waitForExit(timeout: .seconds(30))
                return (flattened, rearmed, halted)
            }
            let events = account.events()
            #expect(outcome.flattened, "the position opened by hand was closed: \(events)")
            #expect(outcome.rearmed, "the stop cancelled by hand was placed again: \(events)")
            #expect(outcome.halted, "an entry without a stop was closed and the symbol halted: \(events)\n\(run.standardError.suffix(3_000))")
            let atEnd = try await account.reconcile()
            #expect(atEnd.status == 0 && atEnd.standardOutput.contains("exchange: flat"), "\(atEnd.standardOutput)\(atEnd.standardError)")
            // The venue's own closes (the stranger's position, the unprotected one) were stored before they
            // left, as the engine's orders are, and settled: none is left in flight for a later start.
            let own = try account.fixture.store.rows("SELECT status, reduce_only FROM orders WHERE mode = 'demo' AND client_order_id LIKE '%-00000000'",
                                                     [], context: "test")
            #expect(own.count >= 2 && own.allSatisfy { $0 == ["filled", "1"] }, "\(own)")
        }
    }
}

@testable import BitGet
import ExchangeSimulator
import Foundation
import MarketModel
import Synchronization
import Testing

/// The private WebSocket against the simulator over loopback: login, the four channels, the plan-type
/// vocabulary of `orders-algo` mapped to REST's, reconnects, refused logins and malformed messages.
@Suite(.serialized) struct PrivateStreamTests {
    final class Recorder: Sendable {
        let updates = Mutex<[PrivateUpdate]>([])
        let events = Mutex<[PrivateStreamEvent]>([])

        /// Waits up to `seconds` for `condition` over what arrived so far.
        func wait(seconds: Double = 10, _ condition: ([PrivateUpdate], [PrivateStreamEvent]) -> Bool) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let seen = (updates.withLock { $0 }, events.withLock { $0 })
                if condition(seen.0, seen.1) { return true }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            return false
        }
    }

    static func privateURL(_ harness: SimulatorHarness) -> String { "ws://127.0.0.1:\(harness.port)/v2/ws/private" }

    static func running<Value: Sendable>(_ stream: BitGetPrivateStream, recorder: Recorder,
                                         _ body: () async throws -> Value) async throws -> Value {
        var stream = stream
        stream.onEvent = { event in recorder.events.withLock { $0.append(event) } }
        stream.maximumBackoff = .milliseconds(300)
        let running = stream
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await running.run { update in recorder.updates.withLock { $0.append(update) } } }
            let value = try await body()
            group.cancelAll()
            return value
        }
    }

    @Test func ordersStopsPositionsAndTheAccountArePushedAndSurviveAReconnect() async throws {
        try await SimulatorHarness.with { harness in
            let recorder = Recorder()
            let stream = BitGetPrivateStream(url: Self.privateURL(harness), credentials: harness.credentials)
            let client = harness.client(credentials: harness.credentials)
            let contract = KnownContracts.spec(for: "BTCUSDT")!
            try await Self.running(stream, recorder: recorder) {
                let arrived1 = try await recorder.wait { _, events in events.contains(.subscribed) }
                #expect(arrived1, "logged in and subscribed to the four channels")
                let price = try await client.prices(symbol: "BTCUSDT").last
                let stop = contract.priceText(price * 0.98)
                _ = try await client.placeOrder(OrderRequest(symbol: "BTCUSDT", side: .buy, kind: .market, size: "0.01", clientOrderID: "E-ws-1",
                                                             stopLoss: stop))
                let arrived2 = try await recorder.wait { updates, _ in
                    updates.contains { if case let .order(order) = $0 { order.clientOrderID == "E-ws-1" && order.state == "filled" } else { false } }
                        && updates.contains { if case let .positions(list) = $0 { list.map(\.size) == [0.01] } else { false } }
                        && updates.contains { if case .account = $0 { true } else { false } }
                }
                #expect(arrived2)
                let updates = recorder.updates.withLock { $0 }
                let fill = updates.compactMap { if case let .order(order) = $0, order.clientOrderID == "E-ws-1", order.state == "filled" { order } else { nil } }
                #expect(fill.first?.filledSize == 0.01 && (fill.first?.averagePrice ?? 0) > 0 && fill.first?.symbol == "BTCUSDT", "\(fill)")
                #expect(abs(fill.first?.fee ?? 0) > 0, "the fee from feeDetail (the push has no `fee`): \(fill)")
                let plans = updates.compactMap { if case let .planOrder(plan) = $0 { plan } else { nil } }
                #expect(plans.contains { $0.planType == "pos_loss" && $0.status == "live" && $0.triggerPrice == Double(stop) && $0.symbol == "BTCUSDT" },
                        "orders-algo's `psl` is read as pos_loss: \(plans)")

                harness.simulator.dropWebSocketConnections()
                let arrived3 = try await recorder.wait { _, events in
                    events.contains { if case .disconnected = $0 { true } else { false } } && events.filter { $0 == .subscribed }.count == 2
                }
                #expect(arrived3, "reconnected, logged in and subscribed again: \(recorder.events.withLock { $0 })")
                #expect(await harness.simulator.cancelStopByHand("BTCUSDT"))
                let arrived4 = try await recorder.wait { updates, _ in
                    updates.contains { if case let .planOrder(plan) = $0 { plan.kind == .stopLoss && plan.status == "cancelled" } else { false } }
                }
                #expect(arrived4, "a stop cancelled by hand is pushed after the reconnect")
            }
        }
    }

    /// A half-open connection (the exchange stops answering, the socket stays open) is given up by the
    /// watchdog once no pong comes back, and the stream reconnects.
    @Test func aSilentConnectionIsGivenUpAndReplaced() async throws {
        try await SimulatorHarness.with { harness in
            let recorder = Recorder()
            var stream = BitGetPrivateStream(url: Self.privateURL(harness), credentials: harness.credentials)
            stream.pingInterval = .milliseconds(300)
            try await Self.running(stream, recorder: recorder) {
                let subscribed = try await recorder.wait { _, events in events.contains(.subscribed) }
                #expect(subscribed)
                harness.simulator.silencePrivateConnections()
                let replaced = try await recorder.wait { _, events in
                    events.contains { if case let .disconnected(reason) = $0 { reason.contains("nothing heard") } else { false } }
                        && events.filter { $0 == .subscribed }.count == 2
                }
                #expect(replaced, "\(recorder.events.withLock { $0 })")
            }
        }
    }

    @Test func aRefusedLoginSaysWhyAndDeliversNothing() async throws {
        try await SimulatorHarness.with { harness in
            let recorder = Recorder()
            var wrong = harness.credentials
            wrong.passphrase = "not-the-passphrase"
            try await Self.running(BitGetPrivateStream(url: Self.privateURL(harness), credentials: wrong), recorder: recorder) {
                let arrived5 = try await recorder.wait { _, events in
                    events.contains { if case let .loginRefused(reason) = $0 { reason.contains("30012") } else { false } }
                }
                #expect(arrived5, "\(recorder.events.withLock { $0 })")
                #expect(!recorder.events.withLock { $0 }.contains(.subscribed))
                #expect(recorder.updates.withLock { $0 }.isEmpty)
            }
        }
    }

    @Test func malformedPushesAreDroppedAndTheRestDelivered() async throws {
        let recorder = Recorder()
        var stream = BitGetPrivateStream(url: "ws://127.0.0.1:1/v2/ws/private",
                                         credentials: BitGetCredentials(apiKey: "k", secret: "s", passphrase: "p"))
        stream.onEvent = { event in recorder.events.withLock { $0.append(event) } }
        let deliver: @Sendable (PrivateUpdate) async -> Void = { update in recorder.updates.withLock { $0.append(update) } }
        _ = try await stream.handle("{not json", deliver: deliver)
        _ = try await stream.handle(#"{"arg":{"channel":"orders"},"data":[{"clientOid":"no-order-id"},"#
            + #"{"orderId":"1","clientOid":"E-2","instId":"ETHUSDT","status":"filled","accBaseVolume":"0.5","baseVolume":"0.2","priceAvg":"3000"}]}"#,
            deliver: deliver)
        _ = try await stream.handle(#"{"arg":{"channel":"positions"},"data":[{"instId":"BTCUSDT","total":"0.01"},{"total":"1"}]}"#, deliver: deliver)
        let updates = recorder.updates.withLock { $0 }
        guard case let .order(order)? = updates.first, updates.count == 1 else { Issue.record("\(updates)"); return }
        #expect(order.clientOrderID == "E-2" && order.symbol == "ETHUSDT" && order.filledSize == 0.5, "the total filled, not the last fill")
        #expect(recorder.events.withLock { $0 }.filter { $0 == .malformedMessage }.count == 3,
                "the bad text, the order row without an id, and the positions list with a row without a symbol (dropped whole)")
    }
}

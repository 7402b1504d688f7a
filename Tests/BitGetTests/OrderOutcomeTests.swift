@testable import BitGet
import ExchangeSimulator
import Foundation
import MarketModel
import Testing

/// An order whose answer is lost is never taken for rejected: it is resolved by its client id, and the
/// exchange ends up holding exactly one order (the defect this replaces: a retry met `40786`, which was
/// read as a rejection, and the caller believed it was flat while a position existed).
@Suite(.serialized) struct OrderOutcomeTests {
    static let entry = OrderRequest(symbol: "BTCUSDT", side: .buy, kind: .market, size: "0.01", clientOrderID: "E-lost-1")

    @Test(arguments: ["lost-response", "accepted-5xx"])
    func anAnswerLostAfterAcceptanceResolvesToTheOneOrderTheExchangeHolds(fault: String) async throws {
        try await SimulatorHarness.with(configure: { options in
            options.faults = try! SimulatorFaults(parsing: "\(fault)=1")
            options.lostResponseDelaySeconds = 3
        }) { harness in
            let client = harness.client(credentials: harness.credentials, requestTimeout: 0.5)
            let placement = try await client.placeOrder(Self.entry)
            guard case .placed(_, "E-lost-1") = placement else { Issue.record("expected placed, got \(placement)"); return }
            let log = await harness.simulator.orderLog()
            #expect(log.count == 1, "exactly one order at the exchange: \(log)")
            #expect(harness.simulator.faultCounts.withLock { $0.placeOrderRequests } == 1, "found by its client id, never resent")
            #expect(log.first?.clientOrderID == "E-lost-1" && log.first?.state == "filled")
            #expect(try await client.positions().map(\.size) == [0.01], "one position, of the one order")
            let counts = harness.simulator.faultCounts.withLock { $0 }
            #expect(counts.lostResponses + counts.acceptedServerErrors >= 1, "the fault struck")
        }
    }

    /// The exchange's read side may lag its matching engine: an order not found yet after an ambiguous
    /// answer is looked up again, never sent again; one still not found when the budget is spent is unknown.
    @Test(arguments: [1.0, 30.0])
    func anOrderTheExchangeDoesNotShowYetIsLookedUpNeverResent(lagSeconds: Double) async throws {
        try await SimulatorHarness.with(configure: { options in
            options.faults = try! SimulatorFaults(parsing: "accepted-5xx=1")
            options.orderDetailLagSeconds = lagSeconds
        }) { harness in
            let client = harness.client(credentials: harness.credentials, retry: RetryPolicy(maximumAttempts: 6, baseDelay: 0.2, maximumDelay: 0.5))
            let placement = try await client.placeOrder(Self.entry)
            if lagSeconds < 2 {
                guard case .placed(_, "E-lost-1") = placement else { Issue.record("expected placed, got \(placement)"); return }
            } else {
                guard case .unknown = placement else { Issue.record("expected unknown, got \(placement)"); return }
            }
            #expect(harness.simulator.faultCounts.withLock { $0.placeOrderRequests } == 1, "never resent")
            #expect(await harness.simulator.orderLog().count == 1, "exactly one order at the exchange")
        }
    }

    /// A duplicate client id on the first attempt means an earlier attempt (a crashed process's) got
    /// there: the order it made is the answer, and nothing is sent again.
    @Test func aDuplicateClientIDOnTheFirstAttemptIsTheOrderAlreadyThere() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client(credentials: harness.credentials)
            guard case let .placed(first, _) = try await client.placeOrder(Self.entry) else { Issue.record("the first placement"); return }
            let again = try await client.placeOrder(Self.entry)
            #expect(again == .placed(orderID: first, clientOrderID: "E-lost-1"), "\(again)")
            #expect(await harness.simulator.orderLog().count == 1)
            #expect(harness.simulator.faultCounts.withLock { $0.placeOrderRequests } == 2, "one request each, no resend")
        }
    }

    /// A rate limit never reached the matching engine: resent blindly, and still limited after the whole
    /// budget it is a refusal (nothing was placed), not an unknown.
    @Test func aRateLimitOnEveryAttemptIsARefusalThatPlacedNothing() async throws {
        try await SimulatorHarness.with(configure: { options in options.faults = try! SimulatorFaults(parsing: "http-429=1") }) { harness in
            let client = harness.client(credentials: harness.credentials, retry: RetryPolicy(maximumAttempts: 3, baseDelay: 0.01, maximumDelay: 0.02))
            let placement = try await client.placeOrder(Self.entry)
            guard case .rejected("429", _) = placement else { Issue.record("expected a 429 refusal, got \(placement)"); return }
            #expect(harness.simulator.faultCounts.withLock { $0.placeOrderRequests } == 3, "every attempt was sent")
            #expect(await harness.simulator.orderLog().isEmpty)
        }
    }

    /// A connection that cannot be opened never carried the order: resent, then a refusal, not an unknown.
    @Test func anExchangeThatCannotBeReachedIsARefusalNotAnUnknown() async throws {
        let client = BitGetRESTClient(baseURL: "http://127.0.0.1:1", credentials: BitGetCredentials(apiKey: "k", secret: "s", passphrase: "p"),
                                      retry: RetryPolicy(maximumAttempts: 2, baseDelay: 0.01, maximumDelay: 0.02), requestTimeout: 2)
        let placement = try await client.placeOrder(Self.entry)
        guard case let .rejected(code, message) = placement else { Issue.record("expected a refusal, got \(placement)"); return }
        #expect(code == "connect" && message.contains("never reached the exchange"), "\(message)")
    }

    @Test func aCancelWhoseAnswerIsLostIsResolvedByReadingTheOrderBack() async throws {
        try await SimulatorHarness.with(configure: { options in
            options.faults = try! SimulatorFaults(parsing: "accepted-5xx=1")
        }) { harness in
            let client = harness.client(credentials: harness.credentials, requestTimeout: 0.5)
            let price = try await client.prices(symbol: "BTCUSDT").last
            let contract = KnownContracts.spec(for: "BTCUSDT")!
            let resting = try await client.placeOrder(OrderRequest(symbol: "BTCUSDT", side: .buy, kind: .limit, size: "0.01",
                                                                   price: contract.priceText(price * 0.5), clientOrderID: "L-1"))
            guard case .placed = resting else { Issue.record("\(resting)"); return }
            #expect(try await client.cancelOrder(symbol: "BTCUSDT", clientOrderID: "L-1") == .canceled)
            #expect(try await client.order(symbol: "BTCUSDT", clientOrderID: "L-1").state == "canceled")
        }
    }

    @Test func anOutcomeTheExchangeCannotTellStaysUnknownNeverRejected() async throws {
        try await SimulatorHarness.with(configure: { options in
            options.faults = try! SimulatorFaults(parsing: "http-5xx=1")
        }) { harness in
            let client = harness.client(credentials: harness.credentials, retry: RetryPolicy(maximumAttempts: 3, baseDelay: 0.01, maximumDelay: 0.02))
            let placement = try await client.placeOrder(Self.entry)
            guard case let .unknown(reason) = placement else { Issue.record("expected unknown, got \(placement)"); return }
            #expect(reason.contains("E-lost-1") && reason.contains("not found by its client id"), "\(reason)")
            #expect(harness.simulator.faultCounts.withLock { $0.placeOrderRequests } == 1,
                    "a request whose answer was ambiguous is looked up, never sent again")
            let cancel = try await client.cancelOrder(symbol: "BTCUSDT", clientOrderID: "E-lost-1")
            guard case .unknown = cancel else { Issue.record("expected unknown, got \(cancel)"); return }
        }
    }

    @Test func aRefusalBeforeAcceptanceIsFinalAndLeavesNothing() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client(credentials: harness.credentials)
            let placement = try await client.placeOrder(OrderRequest(symbol: "BTCUSDT", side: .buy, kind: .market, size: "1000",
                                                                     clientOrderID: "too-big"))
            #expect(placement == .rejected(code: "40762", message: "The order amount exceeds the balance"))
            #expect(await harness.simulator.orderLog().filter { $0.state != "canceled" }.isEmpty)
            #expect(try await client.positions().isEmpty)
        }
    }
}

import BitGet
import ExchangeSimulator
import Foundation
import MarketModel

/// An in-process simulator on a free loopback port for the duration of a closure: the server runs in a
/// child task that ends with the closure (returned, thrown or cancelled), so no server outlives a test.
struct SimulatorHarness: Sendable {
    let simulator: ExchangeSimulator
    let port: Int

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var webSocketURL: String { "ws://127.0.0.1:\(port)/v2/ws/public" }

    static func with<Value: Sendable>(symbols: [Symbol] = ["BTCUSDT", "ETHUSDT"], days: Int = 5, seed: UInt64 = 7,
                                      configure: (inout SimulatorOptions) -> Void = { _ in },
                                      _ body: (SimulatorHarness) async throws -> Value) async throws -> Value {
        var options = SimulatorOptions()
        let start: Int64 = 1_750_000_000_000 / 60_000 * 60_000
        options.start = start
        configure(&options)
        let market = MarketGenerator(seed: seed).market(symbols: symbols, start: start - Int64(days) * 86_400_000,
                                                        minutes: days * 1_440 + 1_440)
        let simulator = ExchangeSimulator(market: market, options: options)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await simulator.run { continuation.yield($0) } }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else { throw SimulatorNotStarted() }
            let value = try await body(SimulatorHarness(simulator: simulator, port: port))
            group.cancelAll()
            return value
        }
    }

    func client(credentials: BitGetCredentials? = nil, retry: RetryPolicy = RetryPolicy(baseDelay: 0.01, maximumDelay: 0.1),
                requestTimeout: Double = 15) -> BitGetRESTClient {
        BitGetRESTClient(baseURL: baseURL, credentials: credentials,
                         limiter: RateLimiter(budgets: ["market": .init(requestsPerSecond: 500)]), retry: retry,
                         requestTimeout: requestTimeout)
    }

    var credentials: BitGetCredentials {
        BitGetCredentials(apiKey: simulator.options.apiKey, secret: simulator.options.secret, passphrase: simulator.options.passphrase)
    }
}

struct SimulatorNotStarted: Error {}

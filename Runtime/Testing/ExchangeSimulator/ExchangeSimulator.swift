import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import MarketModel
import NIOCore
import Synchronization
import TradingEngine

/// How the simulator is set up.
public struct SimulatorOptions: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (the running simulator reports it).
    public var port = 0
    /// Simulated time runs this many times faster than the wall clock.
    public var speed = 1.0
    /// Simulated time at start-up, UTC ms (default: the end of the data, so all of it is history).
    public var start: Int64?
    public var faults = SimulatorFaults()
    public var faultSeed: UInt64 = 1
    /// How far back `candles` serves 1m…30m bars, days (0: no limit; BitGet: about 30). Older bars need `history-candles`.
    public var candlesLookbackDays = 0
    /// Seconds between WebSocket candle pushes (BitGet: 0.5).
    public var pushInterval = 0.5
    public var apiKey = "sim-key"
    public var secret = "sim-secret"
    public var passphrase = "sim-passphrase"
    /// Which BitGet account the key belongs to: true, a demo account (its requests must carry
    /// `paptrading: 1`); false, a real one (they must not); nil, either (40099 otherwise, as BitGet).
    public var demoTrading: Bool?
    /// Allowed distance between a request's timestamp and the wall clock, ms.
    public var timestampWindow: Int64 = 30_000
    public var deposit = 10_000.0
    /// A manual clock instead of one at `speed` (tests advance it themselves).
    public var manualClock = false
    /// How long a "lost" answer is held back, wall seconds (longer than any client's timeout).
    public var lostResponseDelaySeconds = 30.0
    /// How long an accepted order stays invisible to `order/detail` by its client id, wall seconds (the
    /// exchange's read side lagging its matching engine; 0: never).
    public var orderDetailLagSeconds = 0.0
    /// How long `order/detail` shows an accepted order `filled` with no volume and no average price yet,
    /// wall seconds (the order's fill records lagging its state; 0: never).
    public var fillDetailLagSeconds = 0.0

    public init() {}
}

/// A BitGet-compatible exchange on loopback: the v2 REST paths and payload shapes (envelope, numbers as
/// strings, paging limits, error codes), public candle and private order WebSockets, signed private
/// endpoints that trade through the trading engine's fill model, a clock that can run faster than real
/// time, and fault injection. Tests, the demo and paper trading on replay talk to it.
public final class ExchangeSimulator: Sendable {
    public let options: SimulatorOptions
    public let market: SimulatedMarket
    public let clock: SimulatedClock
    let accounts: SimulatedAccounts
    let dice: FaultDice
    let logger: Logger
    let startedAt = Date()
    /// Bumped by `dropWebSocketConnections`; sessions opened under an older value close.
    let connectionGeneration = Mutex(0)
    /// Private connections opened so far (each one's number is its order), and the first that is not
    /// silent (`silencePrivateConnections`).
    let privateSessions = Mutex((opened: 0, silencedBelow: 0))
    /// How often each after-acceptance fault struck (tests and the soak read them).
    public let faultCounts = Mutex(FaultCounts())
    /// While on, every answer to an order the exchange carried out is held back (up to two minutes) until
    /// it is turned off: the client that sent it is left waiting, to be killed mid-order (`/sim/hold-answers`).
    let holdingAnswers = Mutex(false)
    /// Client ids `order/detail` does not show yet, with the wall time they appear (`orderDetailLagSeconds`).
    let laggingOrders = Mutex([String: Date]())
    /// Client ids whose fill `order/detail` does not show yet, with the wall time it appears (`fillDetailLagSeconds`).
    let unpricedOrders = Mutex([String: Date]())

    public struct FaultCounts: Sendable, Equatable {
        public var lostResponses = 0
        /// Answers held back by `/sim/hold-answers`.
        public var heldAnswers = 0
        public var acceptedServerErrors = 0
        /// `place-order` requests that reached the simulator, whatever it answered (a client that resends
        /// after an ambiguous answer shows here).
        public var placeOrderRequests = 0
        /// `place-order` and `place-tpsl-order` requests past the gateway's faults per client id: more than
        /// one is a resend of a request the exchange may already have carried out.
        public var orderRequestsByClientID: [String: Int] = [:]
        /// Requests sent again under a client id the exchange had already seen past its gateway.
        public var resentOrderRequests: Int { orderRequestsByClientID.values.reduce(0) { $0 + max(0, $1 - 1) } }
    }

    public init(market: SimulatedMarket, options: SimulatorOptions, logger: Logger = Logger(label: "bitget-sim")) {
        self.market = market
        self.options = options
        self.logger = logger
        let start = options.start ?? market.span?.last ?? Int64(Date().timeIntervalSince1970 * 1000)
        clock = options.manualClock ? SimulatedClock(manualStart: start) : SimulatedClock(start: start, speed: options.speed)
        var parameters: [Symbol: EngineParameters] = [:]
        for symbol in market.symbols {
            if let contract = KnownContracts.spec(for: symbol) {
                parameters[symbol] = EngineParameters(contract: contract, leverageBand: LeverageBand(minimum: 1, maximum: contract.maximumLeverage),
                                                      slippageBasisPoints: 1, slippageRangeFraction: 0.05)
            }
        }
        accounts = SimulatedAccounts(deposit: options.deposit, parameters: parameters, funding: market.funding)
        dice = FaultDice(seed: options.faultSeed)
    }

    /// Runs the server until the task is cancelled; `ready` gets the bound port once it listens.
    public func run(ready: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        registerRoutes(router)
        let simulator = self
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: 1 << 22, autoPing: .disabled))) { request, _, _ in
                switch request.path {
                case "/v2/ws/public": return .upgrade([:]) { inbound, outbound, _ in
                    try await PublicCandleSession(simulator: simulator).run(inbound: inbound, outbound: outbound)
                }
                case "/v2/ws/private": return .upgrade([:]) { inbound, outbound, _ in
                    try await PrivateSession(simulator: simulator).run(inbound: inbound, outbound: outbound)
                }
                default: return .dontUpgrade
                }
            },
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "bitget-sim"),
            onServerRunning: { channel in ready(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            group.addTask { try await simulator.advanceAccounts() }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Counts an order-creating request past the gateway under its client id (see `resentOrderRequests`).
    func countOrderRequest(_ body: [String: String]) {
        guard let clientID = body["clientOid"], !clientID.isEmpty else { return }
        faultCounts.withLock { $0.orderRequestsByClientID[clientID, default: 0] += 1 }
    }

    /// Closes every open WebSocket connection at its next push (clients see a dropped connection and
    /// must reconnect): a fault a test triggers exactly when it wants one.
    public func dropWebSocketConnections() {
        connectionGeneration.withLock { $0 += 1 }
    }

    /// Makes every open private WebSocket connection go silent without closing it (no pong, no push: a
    /// half-open connection); connections opened later answer normally.
    public func silencePrivateConnections() {
        privateSessions.withLock { $0.silencedBelow = $0.opened }
    }

    /// Fills resting orders and triggers protective orders as simulated time passes.
    private func advanceAccounts() async throws {
        while !Task.isCancelled {
            await accounts.advance(market: market, now: clock.now())
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    // MARK: Responses

    func envelope(_ data: Any?) -> Response {
        let object: [String: Any] = ["code": "00000", "msg": "success", "requestTime": clock.now(), "data": data ?? NSNull()]
        return json(object, status: .ok)
    }

    func error(_ code: String, _ message: String, status: HTTPResponse.Status = .badRequest) -> Response {
        json(["code": code, "msg": message, "requestTime": clock.now(), "data": NSNull()], status: status)
    }

    func json(_ object: [String: Any], status: HTTPResponse.Status) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Applies the injected faults (latency, 429, 5xx) before `body` answers.
    func respond(_ body: () async throws -> Response) async throws -> Response {
        if options.faults.latencyMilliseconds > 0 { try await Task.sleep(nanoseconds: UInt64(options.faults.latencyMilliseconds) * 1_000_000) }
        let roll = dice.roll()
        if roll < options.faults.rateLimitedFraction {
            var response = error("429", "Too Many Requests", status: .tooManyRequests)
            response.headers[.retryAfter] = "0.05"
            return response
        }
        if roll < options.faults.rateLimitedFraction + options.faults.serverErrorFraction {
            return error("40200", "Server upgrade, please try again later", status: .serviceUnavailable)
        }
        return try await body()
    }

    /// Applies the faults that strike after the exchange carried a request out: the answer is lost (held
    /// back past the client's timeout) or replaced by a gateway's 5xx.
    func afterAcceptance(_ response: Response) async -> Response {
        guard response.status == .ok else { return response }
        if holdingAnswers.withLock({ $0 }) {
            faultCounts.withLock { $0.heldAnswers += 1 }
            let until = Date().addingTimeInterval(120)
            while holdingAnswers.withLock({ $0 }), Date() < until { try? await Task.sleep(nanoseconds: 50_000_000) }
            return response
        }
        let faults = options.faults
        guard faults.lostResponseFraction + faults.acceptedServerErrorFraction > 0 else { return response }
        let roll = dice.roll()
        if roll < faults.lostResponseFraction {
            faultCounts.withLock { $0.lostResponses += 1 }
            try? await Task.sleep(nanoseconds: UInt64(options.lostResponseDelaySeconds * 1e9))
            return response
        }
        if roll < faults.lostResponseFraction + faults.acceptedServerErrorFraction {
            faultCounts.withLock { $0.acceptedServerErrors += 1 }
            return Response(status: .badGateway, headers: [.contentType: "text/html"],
                            body: .init(byteBuffer: ByteBuffer(string: "<html><body><h1>502 Bad Gateway</h1></body></html>")))
        }
        return response
    }

    /// Plain decimal text as BitGet sends numbers ("30000.5", "0.00001245"; never an exponent).
    static func text(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        let shortest = String(value)
        guard shortest.contains("e") else { return shortest }
        var fixed = String(format: "%.15f", value)
        while fixed.hasSuffix("0") { fixed.removeLast() }
        return fixed.hasSuffix(".") ? String(fixed.dropLast()) : fixed
    }
}

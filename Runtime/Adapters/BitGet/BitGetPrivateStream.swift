import Foundation
import Logging
import MarketModel
import NIOCore
import Synchronization
import WSClient

/// An update of the account from BitGet's private WebSocket, in the REST client's types and words.
public enum PrivateUpdate: Sendable, Equatable {
    /// An order changed: placed, filled in part or in whole, cancelled (`filledSize` is the total filled).
    case order(ExchangeOrder)
    /// Every open position, after a change (an empty list: flat everywhere).
    case positions([ExchangePosition])
    /// A TP/SL or trigger order changed; its plan type in REST's words (`pos_loss`, not the channel's `psl`).
    case planOrder(PositionPlanOrder)
    /// The USDT futures account: available and equity, USDT.
    case account(available: Double, equity: Double)
}

/// What happened to the private connection: the caller polls over REST while it is not `subscribed`.
public enum PrivateStreamEvent: Sendable, Equatable {
    /// Logged in and subscribed to every channel: pushes are live.
    case subscribed
    case disconnected(reason: String)
    /// The exchange refused the login: the credentials or the clock need fixing (retried with backoff).
    case loginRefused(reason: String)
    case malformedMessage
}

/// BitGet's private WebSocket (`/v2/ws/private`): `login` signed with the API secret (`timestamp +
/// "GET/user/verify"`, seconds), then the `orders`, `positions`, `orders-algo` and `account` channels of
/// USDT-M futures. It pings every `pingInterval`, reconnects with backoff and logs in and subscribes
/// again; pushes are delivered in arrival order. A push lost while disconnected is not replayed by the
/// exchange, so the caller reconciles over REST after every `subscribed` that follows a `disconnected`,
/// and polls while the stream is down. Malformed messages are logged with their text and dropped.
public struct BitGetPrivateStream: Sendable {
    public static let channels = ["orders", "positions", "orders-algo", "account"]

    public var url: String
    public var credentials: BitGetCredentials
    public var pingInterval: Duration = .seconds(30)
    /// How long the login may go unanswered before the connection is given up.
    public var loginTimeout: Duration = .seconds(10)
    public var maximumBackoff: Duration = .seconds(30)
    public var logger = Logger(label: "bitget.private")
    public var onEvent: @Sendable (PrivateStreamEvent) -> Void = { _ in }
    /// Wall-clock seconds for the login timestamp (injectable for tests).
    public var clock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

    public init(url: String, credentials: BitGetCredentials) {
        self.url = url
        self.credentials = credentials
    }

    /// Runs until cancelled, calling `deliver` with every update.
    public func run(deliver: @escaping @Sendable (PrivateUpdate) async -> Void) async throws {
        var failures = 0
        while !Task.isCancelled {
            let connectedAt = ContinuousClock.now
            do {
                try await connect(deliver: deliver)
            } catch is CancellationError {
                return
            } catch let refusal as LoginRefusal {
                logger.error("private stream login refused", metadata: ["reason": "\(refusal.reason)"])
                onEvent(.loginRefused(reason: refusal.reason))
            } catch {
                logger.warning("private stream disconnected", metadata: ["error": "\(error)"])
                onEvent(.disconnected(reason: "\(error)"))
            }
            if Task.isCancelled { return }
            failures = ContinuousClock.now - connectedAt > .seconds(60) ? 1 : failures + 1
            try? await Task.sleep(for: min(maximumBackoff, .milliseconds(250) * (1 << min(failures - 1, 7))))
        }
    }

    struct LoginRefusal: Error { var reason: String }
    struct ConnectionClosed: Error, CustomStringConvertible { var description: String }

    /// When the connection last heard anything (a pong included), and whether the login was answered.
    final class Liveness: Sendable {
        private let state = Mutex((heard: ContinuousClock.now, loggedIn: false))
        func heard() { state.withLock { $0.heard = .now } }
        func loggedIn() { state.withLock { $0.loggedIn = true } }
        var silence: Duration { state.withLock { .now - $0.heard } }
        var isLoggedIn: Bool { state.withLock { $0.loggedIn } }
    }

    /// One connection: a reader (login answer, subscription confirmations, pushes) and a watchdog that
    /// pings and gives the connection up when the login goes unanswered for `loginTimeout` or nothing (not
    /// even a pong) arrives for two ping intervals: a half-open connection would otherwise look subscribed
    /// forever while pushes are lost.
    private func connect(deliver: @escaping @Sendable (PrivateUpdate) async -> Void) async throws {
        let stream = self
        let timestamp = String(clock())
        let login = Self.json(["op": "login", "args": [[
            "apiKey": credentials.apiKey, "passphrase": credentials.passphrase, "timestamp": timestamp,
            "sign": BitGetSigner.webSocketLoginSignature(secret: credentials.secret, timestampSeconds: timestamp),
        ]]])
        try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 22), logger: logger) { inbound, outbound, _ in
            let liveness = Liveness()
            try await outbound.write(.text(login))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let opened = ContinuousClock.now
                    var lastPing = ContinuousClock.now
                    while !Task.isCancelled {
                        try await Task.sleep(for: min(stream.pingInterval, .seconds(1)))
                        if !liveness.isLoggedIn, ContinuousClock.now - opened > stream.loginTimeout {
                            throw ConnectionClosed(description: "the login was not answered within \(stream.loginTimeout)")
                        }
                        if liveness.silence > stream.pingInterval * 2 {
                            throw ConnectionClosed(description: "nothing heard for \(liveness.silence) (no pong): the connection is dead")
                        }
                        if ContinuousClock.now - lastPing >= stream.pingInterval {
                            try await outbound.write(.text("ping"))
                            lastPing = .now
                        }
                    }
                }
                group.addTask { try await stream.read(inbound, outbound: outbound, liveness: liveness, deliver: deliver) }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Reads one connection until it closes: waits for the login's answer (a refusal throws), subscribes,
    /// reports `subscribed` once every channel is confirmed (a refused subscription gives the connection
    /// up, to be retried), then delivers pushes.
    private func read(_ inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, liveness: Liveness,
                      deliver: @escaping @Sendable (PrivateUpdate) async -> Void) async throws {
        var pending: Set<String>?
        for try await message in inbound.messages(maxSize: 1 << 22) {
            try Task.checkCancellation()
            liveness.heard()
            guard case let .text(text) = message, text != "pong" else { continue }
            guard var waiting = pending else {
                let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
                if object?["event"] as? String == "error" { throw LoginRefusal(reason: "\(object?["code"] ?? "?") \(object?["msg"] ?? "")") }
                guard object?["event"] as? String == "login", "\(object?["code"] ?? "")" == "0" else { continue }
                liveness.loggedIn()
                let subscribe = Self.json(["op": "subscribe", "args": Self.channels.map { channel in
                    ["instType": "USDT-FUTURES", "channel": channel, channel == "account" ? "coin" : "instId": "default"]
                }])
                try await outbound.write(.text(subscribe))
                pending = Set(Self.channels)
                continue
            }
            if let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any], object["event"] as? String == "error" {
                throw ConnectionClosed(description: "the exchange refused a subscription: \(object["code"] ?? "?") \(object["msg"] ?? "")")
            }
            if let channel = try await handle(text, deliver: deliver), waiting.remove(channel) != nil {
                pending = waiting
                if waiting.isEmpty { onEvent(.subscribed) }
            }
        }
        throw ConnectionClosed(description: "the exchange closed the connection")
    }

    /// Delivers the updates of one message; returns the channel a subscription confirmation names.
    func handle(_ text: String, deliver: @Sendable (PrivateUpdate) async -> Void) async throws -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            return dropped(text, "not JSON")
        }
        if let event = object["event"] as? String {
            if event == "subscribe" { return (object["arg"] as? [String: Any])?["channel"] as? String }
            if event == "error" { logger.error("private stream error", metadata: ["raw": "\(text.prefix(300))"]) }
            return nil
        }
        guard let channel = (object["arg"] as? [String: Any])?["channel"] as? String, let rows = object["data"] as? [[String: Any]] else {
            return dropped(text, "no channel or data")
        }
        if channel == "positions" {
            // The whole list or nothing: a list missing a row would read as a position closed.
            do {
                await deliver(.positions(try rows.map { try BitGetRESTClient.exchangePosition(JSONObject($0)) }.filter { $0.size > 0 }))
            } catch {
                _ = dropped(text, "\(error)")
            }
            return nil
        }
        guard ["orders", "orders-algo", "account"].contains(channel) else { return dropped(text, "unknown channel \(channel)") }
        for row in rows.map(JSONObject.init) {  // a malformed row is dropped, the others are delivered
            do {
                switch channel {
                case "orders": await deliver(.order(try BitGetRESTClient.exchangeOrder(row)))
                case "orders-algo": await deliver(.planOrder(try BitGetRESTClient.positionPlanOrder(row)))
                default:
                    guard (row.text("marginCoin") ?? "USDT").uppercased() == "USDT" else { continue }
                    guard let equity = row.number("usdtEquity") ?? row.number("accountEquity") ?? row.number("equity") else {
                        throw BitGetError.malformed(reason: "no equity in the account push", raw: row.describe())
                    }
                    await deliver(.account(available: try row.requiredNumber("available"), equity: equity))
                }
            } catch {
                _ = dropped(row.describe(), "\(error)")
            }
        }
        return nil
    }

    private func dropped(_ text: String, _ reason: String) -> String? {
        logger.warning("malformed private stream message dropped", metadata: ["reason": "\(reason)", "raw": "\(text.prefix(300))"])
        onEvent(.malformedMessage)
        return nil
    }

    static func json(_ object: [String: Any]) -> String {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

import BitGet
import Foundation
import HummingbirdWebSocket
import MarketModel

/// One private WebSocket connection, as BitGet's `/v2/ws/private`: `login` (signature over
/// `timestamp + "GET/user/verify"`, seconds), then `subscribe` to any of `orders`, `positions`,
/// `orders-algo` and `account` (`instType` `USDT-FUTURES`). Each channel answers with a snapshot, then
/// pushes on change: every order update, every TP/SL plan update (with the WebSocket's plan-type codes,
/// `psl`/`ptp`, not REST's `pos_loss`/`pos_profit`), and the positions and the account after either.
/// Updates are taken from the account's queues, so one trader connection per account sees them all.
struct PrivateSession {
    static let channels: Set<String> = ["orders", "positions", "orders-algo", "account"]
    let simulator: ExchangeSimulator

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let state = Shared(LoginState())
        let generation = simulator.connectionGeneration.withLock { $0 }
        let number = simulator.privateSessions.withLock { sessions in
            sessions.opened += 1
            return sessions.opened
        }
        let silenced = { @Sendable in number <= simulator.privateSessions.withLock { $0.silencedBelow } }
        // BitGet does not replay what it pushed while no one listened: a new connection starts from now.
        _ = await simulator.accounts.drainUpdates()
        _ = await simulator.accounts.drainPlanUpdates()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if silenced() { continue }  // half-open: nothing is answered any more
                    guard case let .text(text) = message else { continue }
                    if text == "ping" {
                        try await outbound.write(.text("pong"))
                        continue
                    }
                    for (answer, subscribed) in handle(text, state: state) {
                        try await outbound.write(.text(answer))
                        if let subscribed { try await push(subscribed, action: "snapshot", outbound: outbound) }
                    }
                }
            }
            group.addTask {
                let opened = Date()
                while !Task.isCancelled {
                    try await Task.sleep(nanoseconds: 100_000_000)
                    if silenced() { continue }
                    // The `ws-close` fault and a test's `dropWebSocketConnections()` cut private connections too.
                    if let every = simulator.options.faults.closeWebSocketsEverySeconds, Date().timeIntervalSince(opened) >= every {
                        try await outbound.close(.goingAway, reason: "simulated disconnect")
                        return
                    }
                    if simulator.connectionGeneration.withLock({ $0 }) != generation {
                        try await outbound.close(.goingAway, reason: "dropped by the test")
                        return
                    }
                    let channels = state.withLock { $0.loggedIn ? $0.channels : [] }
                    guard !channels.isEmpty else { continue }
                    let orders = channels.contains("orders") ? await simulator.accounts.drainUpdates() : []
                    let plans = channels.contains("orders-algo") ? await simulator.accounts.drainPlanUpdates() : []
                    guard !orders.isEmpty || !plans.isEmpty else { continue }
                    if !orders.isEmpty { try await outbound.write(.text(message("orders", action: "update", rows: orders.map(orderRow)))) }
                    if !plans.isEmpty { try await outbound.write(.text(message("orders-algo", action: "update", rows: plans.map(planRow)))) }
                    for channel in ["positions", "account"] where channels.contains(channel) {
                        try await push(channel, action: "snapshot", outbound: outbound)
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func push(_ channel: String, action: String, outbound: WebSocketOutboundWriter) async throws {
        let rows: [[String: Any]]
        switch channel {
        case "positions": rows = await simulator.positionRows(nil).map { row in
            var row = row
            row["instId"] = row["symbol"]
            return row
        }
        case "account": rows = await simulator.accountRows()
        case "orders": rows = await simulator.accounts.openOrders(symbol: nil).map(orderRow)
        default: rows = await simulator.accounts.livePlans(symbol: nil).map(planRow)
        }
        try await outbound.write(.text(message(channel, action: action, rows: rows)))
    }

    private func message(_ channel: String, action: String, rows: [[String: Any]]) -> String {
        let key = channel == "account" ? "coin" : "instId"
        return json(["action": action, "arg": ["instType": "USDT-FUTURES", "channel": channel, key: "default"], "data": rows,
                     "ts": simulator.clock.now()])
    }

    private func orderRow(_ order: SimulatedAccounts.Order) -> [String: Any] {
        var fields = ExchangeSimulator.orderFields(order)
        fields["instId"] = order.symbol.name
        fields["accBaseVolume"] = fields["baseVolume"]
        fields["fillPrice"] = fields["priceAvg"]
        // The push has no `fee`: the last fill's `fillFee` and the order's total in `feeDetail` (negative: paid).
        fields["fillFee"] = fields["fee"]
        fields["feeDetail"] = [["feeCoin": "USDT", "totalFee": fields["fee"] ?? "0"]]
        fields["fee"] = nil
        return fields
    }

    private func planRow(_ plan: SimulatedAccounts.PlanOrder) -> [String: Any] {
        [
            "instId": plan.symbol.name, "orderId": plan.id, "clientOid": plan.clientID, "triggerPrice": ExchangeSimulator.text(plan.triggerPrice),
            "triggerType": plan.triggerType, "planType": plan.planType == "pos_loss" ? "psl" : "ptp", "price": "0", "executePrice": "0",
            "size": "", "orderType": "market", "side": plan.holdSide == "long" ? "sell" : "buy", "tradeSide": "close", "posSide": plan.holdSide,
            "marginCoin": "USDT", "status": plan.status, "posMode": "one_way_mode", "enterPointSource": "API",
            "cTime": String(plan.created), "uTime": String(plan.updated),
        ]
    }

    /// The answers to one client message (one per argument, as BitGet answers), each with the channel it
    /// subscribed, if any (its snapshot follows).
    private func handle(_ text: String, state: Shared<LoginState>) -> [(String, String?)] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let op = object["op"] as? String, let args = object["args"] as? [[String: Any]], !args.isEmpty
        else { return [(json(["event": "error", "code": 30002, "msg": "illegal request"]), nil)] }
        return args.map { answer(op, $0, state: state) }
    }

    private func answer(_ op: String, _ arg: [String: Any], state: Shared<LoginState>) -> (String, String?) {
        let options = simulator.options
        switch op {
        case "login":
            guard arg["apiKey"] as? String == options.apiKey else { return (json(["event": "error", "code": 30011, "msg": "Invalid ACCESS_KEY"]), nil) }
            guard arg["passphrase"] as? String == options.passphrase else {
                return (json(["event": "error", "code": 30012, "msg": "Invalid passphrase"]), nil)
            }
            guard let timestamp = arg["timestamp"] as? String, let seconds = Int64(timestamp),
                  abs(Int64(Date().timeIntervalSince1970) - seconds) <= 30
            else { return (json(["event": "error", "code": 30014, "msg": "Timestamp expired"]), nil) }
            guard arg["sign"] as? String == BitGetSigner.webSocketLoginSignature(secret: options.secret, timestampSeconds: timestamp) else {
                return (json(["event": "error", "code": 30015, "msg": "Invalid sign"]), nil)
            }
            state.withLock { $0.loggedIn = true }
            return (json(["event": "login", "code": 0]), nil)
        case "subscribe":
            guard state.withLock({ $0.loggedIn }) else { return (json(["event": "error", "code": 30004, "msg": "User not logged in"]), nil) }
            guard let channel = arg["channel"] as? String, Self.channels.contains(channel) else {
                return (json(["event": "error", "code": 30001, "msg": "channel doesn't exist"]), nil)
            }
            state.withLock { _ = $0.channels.insert(channel) }
            let key = channel == "account" ? "coin" : "instId"
            return (json(["event": "subscribe", "arg": ["instType": "USDT-FUTURES", "channel": channel, key: "default"]]), channel)
        default:
            return (json(["event": "error", "code": 30003, "msg": "invalid op"]), nil)
        }
    }
}

struct LoginState: Sendable {
    var loggedIn = false
    var channels: Set<String> = []
}

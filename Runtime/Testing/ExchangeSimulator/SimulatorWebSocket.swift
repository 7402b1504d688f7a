import BitGet
import Foundation
import HummingbirdWebSocket
import MarketModel
import Synchronization

/// One public WebSocket connection: `subscribe` to `candle{tf}` channels gets an ack and a snapshot,
/// then an `update` every push interval with the bar in progress — and, when a bar has closed since the
/// last push, its final row first. Text `ping` gets `pong`.
struct PublicCandleSession {
    let simulator: ExchangeSimulator

    struct Subscription: Hashable, Sendable {
        var symbol: Symbol
        var timeframe: Timeframe
        var channel: String
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let subscriptions = Shared<[Subscription: Int64]>([:])  // → open time of the last bar pushed
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case let .text(text) = message else { continue }
                    if text == "ping" {
                        try await outbound.write(.text("pong"))
                        continue
                    }
                    for reply in handle(text, subscriptions: subscriptions) { try await outbound.write(.text(reply)) }
                }
            }
            group.addTask { try await push(outbound: outbound, subscriptions: subscriptions) }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Answers one client message; new subscriptions get their ack and snapshot.
    private func handle(_ text: String, subscriptions: Shared<[Subscription: Int64]>) -> [String] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let op = object["op"] as? String, let args = object["args"] as? [[String: Any]]
        else { return [json(["event": "error", "code": 30002, "msg": "illegal request"])] }
        var replies: [String] = []
        for arg in args {
            let channel = arg["channel"] as? String ?? ""
            let instId = (arg["instId"] as? String ?? "").uppercased()
            guard channel.hasPrefix("candle"), let timeframe = ExchangeSimulator.timeframe(String(channel.dropFirst(6))),
                  let symbol = Symbol(instId), simulator.market.minuteBars[symbol] != nil
            else {
                replies.append(json(["event": "error", "code": 30001,
                                     "msg": "instType:\(arg["instType"] ?? ""),channel:\(channel),instId:\(instId) doesn't exist"]))
                continue
            }
            let subscription = Subscription(symbol: symbol, timeframe: timeframe, channel: channel)
            replies.append(json(["event": op, "arg": ["instType": "USDT-FUTURES", "channel": channel, "instId": symbol.name]]))
            if op == "subscribe" {
                let now = simulator.clock.now()
                let recent = simulator.market.bars(symbol, timeframe, from: now - 3 * timeframe.milliseconds, to: now, now: now)
                subscriptions.withLock { $0[subscription] = recent.last?.openTime ?? now }
                replies.append(push(subscription, bars: recent, action: "snapshot", now: now))
            } else {
                _ = subscriptions.withLock { $0.removeValue(forKey: subscription) }
            }
        }
        return replies
    }

    private func push(outbound: WebSocketOutboundWriter, subscriptions: Shared<[Subscription: Int64]>) async throws {
        let opened = Date()
        let generation = simulator.connectionGeneration.withLock { $0 }
        let faults = simulator.options.faults
        while !Task.isCancelled {
            try await Task.sleep(nanoseconds: UInt64(simulator.options.pushInterval * 1e9))
            if let every = faults.closeWebSocketsEverySeconds, Date().timeIntervalSince(opened) >= every {
                try await outbound.close(.goingAway, reason: "simulated disconnect")
                return
            }
            if simulator.connectionGeneration.withLock({ $0 }) != generation {
                try await outbound.close(.goingAway, reason: "dropped by the test")
                return
            }
            let now = simulator.clock.now()
            for (subscription, lastPushed) in subscriptions.withLock({ $0 }) {
                let timeframe = subscription.timeframe
                // The final row of every bar that closed since the last push, then the bar in progress.
                let bars = simulator.market.bars(subscription.symbol, timeframe, from: lastPushed, to: now, now: now)
                guard let newest = bars.last else { continue }
                if simulator.dice.roll() < faults.malformedFraction {
                    try await outbound.write(.text("{\"action\":\"update\",\"arg\":{\"channel\":\"\(subscription.channel)\"},\"data\":[[\"oops\""))
                    continue
                }
                try await outbound.write(.text(push(subscription, bars: bars, action: "update", now: now)))
                subscriptions.withLock { $0[subscription] = newest.openTime }
            }
        }
    }

    private func push(_ subscription: Subscription, bars: [Bar], action: String, now: Int64) -> String {
        let rows = bars.map { bar in
            [String(bar.openTime), ExchangeSimulator.text(bar.open), ExchangeSimulator.text(bar.high), ExchangeSimulator.text(bar.low),
             ExchangeSimulator.text(bar.close), ExchangeSimulator.text(bar.volume), ExchangeSimulator.text(bar.volume * bar.close),
             ExchangeSimulator.text(bar.volume * bar.close)]
        }
        return json(["action": action, "arg": ["instType": "USDT-FUTURES", "channel": subscription.channel, "instId": subscription.symbol.name],
                     "data": rows, "ts": now])
    }
}

/// A value shared by the tasks of one connection.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }
}

func json(_ object: [String: Any]) -> String {
    (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}

import BitGet
import Foundation
import Logging
import MarketModel
import ServiceLifecycle

/// The live account's private WebSocket as a trigger: any push about a traded symbol (an order, a TP/SL
/// order, the positions) asks the desk to reconcile that symbol at its next tick, and every (re)subscribe
/// asks for all of them (pushes missed while disconnected are not replayed). The REST reconciliation stays
/// the one source of what is booked, so a push that is malformed, late or lost costs only time: while the
/// stream is down the desk reconciles on its interval.
struct ExchangeWatcher: Service {
    let stream: BitGetPrivateStream
    let symbols: Set<Symbol>
    let inputs: AsyncStream<TraderInput>.Continuation
    let health: HealthBoard
    let logger: Logger

    func run() async throws {
        var stream = self.stream
        let health = self.health, inputs = self.inputs, logger = self.logger
        stream.logger = logger
        stream.onEvent = { event in
            switch event {
            case .subscribed:
                health.service("exchange_stream", "running")
                inputs.yield(.exchange(nil))
            case let .disconnected(reason): health.service("exchange_stream", "reconnecting: \(reason)")
            case let .loginRefused(reason): health.service("exchange_stream", "login refused: \(reason)")
            case .malformedMessage: break
            }
        }
        let symbols = self.symbols, configured = stream
        health.service("exchange_stream", "connecting")
        try await untilGracefulShutdown {
            try await configured.run { update in
                switch update {
                case let .order(order): if let symbol = Self.traded(order.symbol, symbols) { inputs.yield(.exchange(symbol)) }
                case let .planOrder(plan): if let symbol = Self.traded(plan.symbol, symbols) { inputs.yield(.exchange(symbol)) }
                case let .positions(positions):
                    for symbol in Set(positions.compactMap { Self.traded($0.symbol, symbols) }) { inputs.yield(.exchange(symbol)) }
                case .account: break
                }
            }
        }
        health.service("exchange_stream", "stopped")
    }

    static func traded(_ name: String, _ symbols: Set<Symbol>) -> Symbol? {
        Symbol(name.uppercased()).flatMap { symbols.contains($0) ? $0 : nil }
    }

    /// The private stream's URL beside the public one (`…/v2/ws/public` → `…/v2/ws/private`); BitGet's demo
    /// account streams from `wspap.bitget.com`.
    static func privateURL(publicURL: String, demoTrading: Bool) -> String {
        let url = publicURL.hasSuffix("/public") ? String(publicURL.dropLast("/public".count)) + "/private" : publicURL
        return demoTrading ? demoURL(url) : url
    }

    /// BitGet's WebSocket host of its demo environment for `url` on the real one (any other host, such as a
    /// simulator's, is kept).
    static func demoURL(_ url: String) -> String { url.replacingOccurrences(of: "wss://ws.bitget.com/", with: "wss://wspap.bitget.com/") }
}

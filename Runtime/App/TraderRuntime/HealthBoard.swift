import Foundation
import MarketModel
import Synchronization

/// What `/health` reports: each service's state, and per symbol the last bar, staleness, risk state,
/// agent and position. Written by the services, read by the HTTP handler.
public final class HealthBoard: Sendable {
    public struct SymbolHealth: Sendable, Codable, Equatable {
        /// Close time of the last bar traded, UTC ms (exchange time).
        public var lastBarClose: Int64?
        /// Wall-clock seconds since a bar last arrived.
        public var secondsSinceLastBar: Double?
        public var stale: Bool
        public var riskState: String
        public var riskReason: String?
        public var agentVersion: String?
        /// long, short or flat; size in the base asset; the stop-loss, USDT.
        public var position: String
        public var positionSize: Double
        public var stopLoss: Double?
        public var equity: Double
        /// Why entries are blocked, if they are.
        public var entriesBlocked: String?
    }

    public struct Report: Sendable, Codable, Equatable {
        /// `ok` when every service runs and no symbol is stale, else `degraded`.
        public var status: String
        public var mode: String
        public var version: String
        public var services: [String: String]
        public var symbols: [String: SymbolHealth]
    }

    private struct State {
        var services: [String: String] = [:]
        var symbols: [String: SymbolHealth] = [:]
        var lastArrival: [String: ContinuousClock.Instant] = [:]
    }

    public let mode: String
    public let version: String
    private let state = Mutex(State())

    public init(mode: String, version: String) {
        self.mode = mode
        self.version = version
    }

    /// Sets a service's state (`starting`, `running`, `stopping`, `stopped`, or a failure).
    public func service(_ name: String, _ status: String) { state.withLock { $0.services[name] = status } }

    public func update(_ symbol: Symbol, _ change: (inout SymbolHealth) -> Void) {
        state.withLock { state in
            var health = state.symbols[symbol.name] ?? SymbolHealth(stale: false, riskState: "ACTIVE", position: "flat", positionSize: 0,
                                                                  equity: 0)
            change(&health)
            state.symbols[symbol.name] = health
        }
    }

    /// A bar of `symbol` arrived now.
    public func barArrived(_ symbol: Symbol) {
        state.withLock { $0.lastArrival[symbol.name] = .now }
    }

    /// Recomputes the seconds since the last bar and the stale flags; returns the symbols that became stale
    /// and those that recovered.
    public func refreshStaleness(staleAfter: Double) -> (stale: [String], recovered: [String]) {
        state.withLock { state in
            var stale: [String] = [], recovered: [String] = []
            for (name, arrived) in state.lastArrival {
                let elapsed = ContinuousClock.now - arrived
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                var health = state.symbols[name] ?? SymbolHealth(stale: false, riskState: "ACTIVE", position: "flat", positionSize: 0, equity: 0)
                let isStale = seconds > staleAfter
                if isStale, !health.stale { stale.append(name) }
                if !isStale, health.stale { recovered.append(name) }
                health.secondsSinceLastBar = (seconds * 10).rounded() / 10
                health.stale = isStale
                state.symbols[name] = health
            }
            return (stale, recovered)
        }
    }

    public func isStale(_ symbol: Symbol) -> Bool { state.withLock { $0.symbols[symbol.name]?.stale ?? false } }

    public var report: Report {
        state.withLock { state in
            let healthy = state.services.values.allSatisfy { $0 == "running" } && !state.symbols.values.contains { $0.stale }
            return Report(status: healthy ? "ok" : "degraded", mode: mode, version: version, services: state.services, symbols: state.symbols)
        }
    }

    /// The report as JSON.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(report)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

import AgentArtifacts
import Dispatch
import Foundation
import Logging
import MarketModel
import Policy
import ServiceLifecycle
import TradingEngine

/// Loads `agents/{SYMBOL}/current` (a symbolic link the pipeline switches atomically on promotion or
/// rollback): the artifact with its feature-spec check, and its loser filter when one was enabled.
struct AgentLoader: Sendable {
    let agentsDirectory: String
    let featureSpecHash: String

    func currentVersion(_ symbol: Symbol) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "\(agentsDirectory)/\(symbol.name)/current")
    }

    /// The update for `symbol` now, and the version it concerns ("" when there is none).
    func load(_ symbol: Symbol) -> (version: String, update: AgentUpdate) {
        guard let target = currentVersion(symbol) else { return ("", .none) }
        let version = (target as NSString).lastPathComponent
        let directory = target.hasPrefix("/") ? target : "\(agentsDirectory)/\(symbol.name)/\(target)"
        do {
            let artifact = try AgentFiles.load(directory: directory, expectedFeatureSpecHash: featureSpecHash)
            guard artifact.manifest.symbol == symbol.name else {
                return (version, .refused(version: version, reason: "it was trained for \(artifact.manifest.symbol), not \(symbol)"))
            }
            var filter: LoserSimilarityFilter?
            if let data = FileManager.default.contents(atPath: directory + "/loser_filter.json") {
                do {
                    filter = try JSONDecoder().decode(LoserSimilarityFilter.self, from: data)
                } catch {
                    return (version, .refused(version: version, reason: "loser_filter.json is not a valid filter: \(error)"))
                }
            }
            return (version, .loaded(artifact, filter, directory: directory))
        } catch {
            return (version, .refused(version: version, reason: "\(error)"))
        }
    }
}

/// Watches every traded symbol's `current` and hands a changed agent to the decision loop, which swaps it
/// in between two bars: a promotion or rollback takes effect without a restart, and a broken new agent is
/// refused with its reason while the old one keeps trading. Reads files on its own queue, not on the
/// cooperative pool.
struct AgentWatcher: Service {
    let loader: AgentLoader
    let symbols: [Symbol]
    /// The version each symbol trades at start ("" for none).
    let initial: [Symbol: String]
    let interval: Duration
    let inputs: AsyncStream<TraderInput>.Continuation
    let health: HealthBoard
    private static let queue = DispatchQueue(label: "trader.agents")

    init(loader: AgentLoader, symbols: [Symbol], initial: [Symbol: String], interval: Duration,
         inputs: AsyncStream<TraderInput>.Continuation, health: HealthBoard) {
        self.loader = loader
        self.symbols = symbols
        self.initial = initial
        self.interval = interval
        self.inputs = inputs
        self.health = health
    }

    func run() async throws {
        health.service("agent_watcher", "running")
        defer { health.service("agent_watcher", "stopped") }
        try await untilGracefulShutdown {
            var seen = initial
            var refusedAt: [Symbol: ContinuousClock.Instant] = [:]
            var refusals: [Symbol: String] = [:]
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                for symbol in symbols {
                    let loader = self.loader
                    let version = await Self.onQueue { loader.currentVersion(symbol).map { ($0 as NSString).lastPathComponent } ?? "" }
                    // A refused version is tried again after a minute (it may have been half copied by hand).
                    let retry = refusedAt[symbol].map { ContinuousClock.now - $0 > .seconds(60) } ?? false
                    guard version != seen[symbol] || retry else { continue }
                    let (loaded, update) = await Self.onQueue { loader.load(symbol) }
                    seen[symbol] = loaded
                    if case let .refused(version, reason) = update {
                        refusedAt[symbol] = .now
                        // A retry that fails the same way says nothing new.
                        guard refusals[symbol] != version + reason else { continue }
                        refusals[symbol] = version + reason
                    } else {
                        refusedAt[symbol] = nil
                        refusals[symbol] = nil
                    }
                    inputs.yield(.agent(symbol, update))
                }
            }
        }
    }

    static func onQueue<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in queue.async { continuation.resume(returning: body()) } }
    }
}

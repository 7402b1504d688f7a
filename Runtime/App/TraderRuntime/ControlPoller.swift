import Logging
import MarketModel
import ServiceLifecycle
import Storage

/// Takes operator requests from `control_requests` (queued by `trader resume` and `trader halt`, also
/// while the trader is down) and hands each once, in order, to the decision loop.
struct ControlPoller: Service {
    let store: AsyncStore
    let mode: String
    let interval: Duration
    let inputs: AsyncStream<TraderInput>.Continuation
    let health: HealthBoard
    let logger: Logger

    func run() async throws {
        health.service("control", "running")
        defer { health.service("control", "stopped") }
        let journal = TraderJournal(store: store.store, mode: mode)
        try await untilGracefulShutdown {
            var handed: Set<Int64> = []
            while !Task.isCancelled {
                do {
                    for row in try await store.run({ _ in try journal.pendingRequests() }) where !handed.contains(row.id) {
                        handed.insert(row.id)
                        guard let command = ControlRequest.Command(rawValue: row.command) else {
                            try await store.run { _ in
                                try journal.finishRequest(row.id, status: "failed", result: "unknown command \(row.command) (use resume, halt, pause or start)",
                                                          at: TraderClock.now())
                            }
                            continue
                        }
                        let symbol = row.symbol.flatMap { Symbol($0) }
                        inputs.yield(.control(ControlRequest(id: row.id, command: command, symbol: symbol, reason: row.result)))
                    }
                } catch {
                    logger.warning("cannot read operator requests", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}

import ChildProcesses
import Foundation
import Logging
import MarketModel
import ServiceLifecycle
import Storage
import TraderConfiguration

/// The rolling live Sharpe of a symbol: daily returns of its equity (the last snapshot of each UTC day),
/// mean over standard deviation (population), annualised with √365. Nil with fewer than two returns or
/// no variation.
public enum LiveSharpe {
    public static func annualised(equity: [(time: Int64, equity: Double)]) -> Double? {
        var closes: [Double] = []
        var day: Int64?
        for point in equity.sorted(by: { $0.time < $1.time }) {
            let today = (point.time - 1) / 86_400_000  // a snapshot at 00:00 closes the day before
            if today == day { closes[closes.count - 1] = point.equity } else { closes.append(point.equity) }
            day = today
        }
        let returns = zip(closes, closes.dropFirst()).compactMap { $0 > 0 ? $1 / $0 - 1 : nil }
        guard returns.count >= 2 else { return nil }
        let mean = returns.reduce(0, +) / Double(returns.count)
        let variance = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(returns.count)
        guard variance > 0 else { return nil }
        return mean / variance.squareRoot() * 365.0.squareRoot()
    }
}

/// Every `check` interval, each symbol's live Sharpe over the window; under the threshold, it starts
/// `pipeline run --reason sharpe --symbols X --live-sharpe S --live-trades N` (the pipeline itself declines
/// with too few trades or within the cooldown) and records that it did. One retrain at a time; a trader
/// that stops terminates the run it started (the pipeline resumes it next time).
struct RetrainTrigger: Service {
    let store: AsyncStore
    let mode: String
    let symbols: [Symbol]
    let settings: LiveSharpeSettings
    let retrain: RetrainSettings
    let pipeline: ChildProcess
    let metrics: TraderMetrics
    let health: HealthBoard
    let logger: Logger

    func run() async throws {
        health.service("retrain_trigger", "running")
        defer { health.service("retrain_trigger", "stopped") }
        let journal = TraderJournal(store: store.store, mode: mode)
        let interval = Duration.milliseconds(Int64(settings.checkHours * 3_600_000))
        try await untilGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                for symbol in symbols { try await check(symbol, journal: journal) }
            }
        }
    }

    func check(_ symbol: Symbol, journal: TraderJournal) async throws {
        // The window ends at the last traded bar (market time: the same whether live or replayed).
        guard let (equity, trades) = try? await store.run({ _ -> ([(time: Int64, equity: Double)], Int)? in
            guard let last = try journal.state(symbol: symbol)?.lastBarOpenTime, last > 0 else { return nil }  // 0: no bar traded yet
            let since = last + 60_000 - Int64(settings.windowDays) * 86_400_000
            return (try journal.equity(symbol: symbol, since: since), try journal.trades(symbol: symbol, since: since).count)
        }) ?? nil, let sharpe = LiveSharpe.annualised(equity: equity) else { return }
        metrics.liveSharpe(symbol, sharpe)
        guard sharpe < retrain.sharpeThreshold else { return }
        var command = pipeline
        command.arguments += ["run", "--reason", "sharpe", "--symbols", symbol.name, "--live-sharpe", String(format: "%.4f", sharpe),
                              "--live-trades", "\(trades)"]
        let message = String(format: "live Sharpe %.2f under %.2f over %d days (%d trades): started `pipeline %@`", sharpe,
                             retrain.sharpeThreshold, settings.windowDays, trades, command.arguments.joined(separator: " "))
        logger.notice("\(message)", metadata: ["symbol": "\(symbol)"])
        _ = try? await store.run { _ in try journal.event(symbol: symbol, kind: "retrain", message: message, at: TraderClock.now()) }
        metrics.retrain(symbol, result: "started")
        let result: ChildProcessResult
        do {
            result = try await command.run()
        } catch {
            metrics.retrain(symbol, result: "failed")
            logger.error("cannot start the pipeline", metadata: ["symbol": "\(symbol)", "error": "\(error)", "executable": "\(pipeline.executable)"])
            return
        }
        let outcome = result.succeeded ? "finished" : "failed"
        metrics.retrain(symbol, result: outcome)
        let last = result.standardOutput.split(separator: "\n").last.map(String.init) ?? result.failure
        _ = try? await store.run { _ in
            try journal.event(symbol: symbol, kind: "retrain", message: "the Sharpe-triggered run \(outcome): \(last)", at: TraderClock.now())
        }
    }
}

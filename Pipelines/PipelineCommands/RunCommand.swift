import ArgumentParser
import Evaluation
import Foundation
import MarketModel
import Storage
import TraderConfiguration

/// Why a run was started.
enum RunReason: String, CaseIterable, ExpressibleByArgument {
    case manual, cronNightly = "cron-nightly", cronWeekly = "cron-weekly", telegram, sharpe
}

/// `pipeline run [--stages …] [--symbols …] [--reason …]`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the offline pipeline: download → backup → align → train → evaluate → rank → publish.",
        discussion: """
            Stages (in this order; --stages picks some):
            \(StageName.allCases.map { "  \($0.rawValue): \($0.summary)" }.joined(separator: "\n"))
            Each stage runs per symbol as a `pipeline` child process (in parallel up to --workers where \
            independent). A stage whose inputs (content hashes of its data, the configuration that shapes it \
            and the code version) match its last success is skipped. Every run and stage is recorded in the \
            store (`pipeline status`). One run at a time: a second exits at once naming the active one (exit \
            status 75). Killed, the next run redoes only the unfinished stages (training resumes from its \
            checkpoint). --reason sharpe is the live runtime's trigger: it needs --symbols, --live-sharpe \
            and --live-trades, and declines (status 0, with the reason) above the threshold, under the \
            minimum trade count or within the cooldown.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Comma-separated stages (default: all).") var stages: String?
    @Option(help: "Comma-separated symbols (default: every enabled symbol).") var symbols: String?
    @Option(help: "manual, cron-nightly, cron-weekly, telegram or sharpe.") var reason: RunReason = .manual
    @Option(help: "Parallel symbols per stage (default: the number of cores).") var workers: Int?
    @Option(help: "First bar to download when the store has none (YYYY-MM-DD; default 30 days ago).") var since: String?
    @Option(help: "Training steps per symbol (default: ml/training.yaml timesteps).") var timesteps: Int?
    @Option(help: "With --reason sharpe: the symbol's rolling live Sharpe.") var liveSharpe: Double?
    @Option(help: "With --reason sharpe: live trades in that window.") var liveTrades: Int?

    var stageNames: [StageName] {
        get throws {
            guard let stages else { return StageName.allCases }
            let chosen = try stages.split(separator: ",").map { text in
                let name = text.trimmingCharacters(in: .whitespaces)
                guard let stage = StageName(rawValue: name) else {
                    throw ValidationError("--stages \(name): use \(StageName.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return stage
            }
            return StageName.allCases.filter(chosen.contains)
        }
    }

    func validate() throws {
        _ = try stageNames
        if reason == .sharpe, symbols == nil || liveSharpe == nil || liveTrades == nil {
            throw ValidationError("--reason sharpe needs --symbols, --live-sharpe and --live-trades")
        }
        if let since, UTCDateParser.milliseconds(since) == nil { throw ValidationError("--since \(since): use YYYY-MM-DD") }
    }

    func run() async throws {
        let context = try CommandContext.load(global, label: "pipeline.run")
        let configuration = context.configuration
        let selected = try SeriesSelection(symbols: symbols, timeframes: nil).symbols(in: configuration)
        let (store, _) = try context.openStore()
        let records = PipelineRecords(store: store)
        let lock: RunLock
        do {
            lock = try RunLock(path: "\(configuration.paths.data)/pipeline.lock")
        } catch let busy as RunLock.Busy {
            printError(busy.description)
            throw ExitCode(75)  // EX_TEMPFAIL
        }
        defer { lock.release() }
        if reason == .sharpe, let decline = try sharpeTriggerDeclines(selected, records: records, retrain: configuration.runtime.retrain) {
            print("not retraining: \(decline)")
            context.logger.notice("sharpe trigger declined", metadata: ["reason": "\(decline)"])
            return
        }
        for abandoned in try records.abandonInterruptedRuns(at: PipelineRunner.now()) {
            print("run \(abandoned) was interrupted; recorded as abandoned (its finished stages will be skipped)")
        }
        let stages = try stageNames
        let runID = try records.startRun(reason: reason.rawValue, symbols: selected.map(\.name), stages: stages.map(\.rawValue),
                                         codeVersion: CodeVersion.current, at: PipelineRunner.now())
        lock.describe("run \(runID) (reason \(reason.rawValue), started \(UTCTime.nowISO8601), pid \(getpid()))")
        print("pipeline run \(runID) (\(reason.rawValue)): \(stages.map(\.rawValue).joined(separator: " → ")) for \(selected.map(\.name).joined(separator: ", "))")
        fflush(nil)
        context.logger.info("pipeline run started", metadata: ["run": "\(runID)", "reason": "\(reason.rawValue)"])
        let catalog = StageCatalog(configuration: configuration, store: store, records: records,
                                   registry: AgentRegistry(directory: configuration.paths.agents, records: records),
                                   configDirectory: global.configDirectory, since: since, timesteps: timesteps)
        let definitions = catalog.definitions()
        let runner = PipelineRunner(records: records, database: AsyncStore(store, label: "pipeline-run"),
                                    stages: stages.compactMap { definitions[$0] }, symbols: selected,
                                    workers: workers ?? ProcessInfo.processInfo.activeProcessorCount, codeVersion: CodeVersion.current)
        let started = Date()
        let results = await runner.run(runID: runID)
        let failed = results.filter { $0.status == "failed" }
        try records.finishRun(runID, status: failed.isEmpty ? "succeeded" : "failed",
                              error: failed.isEmpty ? nil : failed.map { "\($0.stage.rawValue) \($0.symbol): \($0.detail)" }.joined(separator: "; "),
                              at: PipelineRunner.now())
        RunSummary(configuration: configuration, results: results, registry: catalog.registry).print()
        print(String(format: "run %lld %@ in %.0f s; reports under %@/evaluation/, agents under %@/", runID,
                     failed.isEmpty ? "succeeded" : "failed (\(failed.count) stage runs)", Date().timeIntervalSince(started),
                     configuration.paths.reports, configuration.paths.agents))
        context.logger.info("pipeline run finished", metadata: ["run": "\(runID)", "failed": "\(failed.count)"])
        if !failed.isEmpty { throw ExitCode.failure }
    }

    /// Why a Sharpe-triggered retrain must not start, or nil when it may.
    func sharpeTriggerDeclines(_ symbols: [Symbol], records: PipelineRecords, retrain: TraderConfiguration.RetrainSettings) throws -> String? {
        guard let liveSharpe, let liveTrades else { return "missing live figures" }
        if liveSharpe >= retrain.sharpeThreshold {
            return String(format: "live Sharpe %.2f is not under the threshold %.2f", liveSharpe, retrain.sharpeThreshold)
        }
        if liveTrades < retrain.minimumTrades {
            return "\(liveTrades) live trades are fewer than the \(retrain.minimumTrades) a Sharpe needs (retrain.minimum_trades)"
        }
        let cooldown = Int64(retrain.cooldownHours * 3_600_000)
        for symbol in symbols {
            if let last = try records.runs(reason: RunReason.sharpe.rawValue, symbol: symbol.name, limit: 1).first,
               PipelineRunner.now() - last.startedAt < cooldown {
                return "\(symbol) was retrained for its Sharpe in run \(last.id) at \(UTCTime(milliseconds: last.startedAt).iso8601); cooldown until \(UTCTime(milliseconds: last.startedAt + cooldown).iso8601)"
            }
        }
        return nil
    }
}

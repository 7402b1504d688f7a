import AgentArtifacts
import ArgumentParser
import ChildProcesses
import Foundation
import MarketModel
import Storage

extension TrainingEnvironmentKind: ExpressibleByArgument {}

/// `pipeline train [--symbols …] [--env trading|cartpole] [--timesteps N] [--envs N] [--seed S …] [--resume]`.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train one PPO agent per symbol (and seed) in parallel worker processes; write agents/{SYMBOL}/{version}/.",
        discussion: """
            Each run is a worker process with one OpenBLAS thread; up to --workers run at once (default: the \
            core count). Every update prints a progress line and appends a JSON line to \
            logs/training/{SYMBOL}-{version}.jsonl; each finished run prints one JSON summary line. A \
            checkpoint is written every `checkpoint_every_updates` updates; after a crash or kill, the same \
            command with --resume continues from it. The trading environment trains on the training rows of \
            datasets/{SYMBOL}/features-{spec}.h5 (from `pipeline align`); the held-out rows are never read. \
            `--env cartpole` trains the learner on CartPole-v1 to validate it against stable-baselines3.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Comma-separated symbols (default: every enabled symbol; ignored for cartpole).") var symbols: String?
    @Option(help: "Environment: trading or cartpole.") var env: TrainingEnvironmentKind = .trading
    @Option(help: "Environment steps per run (default: ml/training.yaml timesteps).") var timesteps: Int?
    @Option(help: "Environments stepped together per run (default: ml/training.yaml environments).") var envs: Int?
    @Option(name: .customLong("seed"), help: "Seed; repeat for several runs per symbol (default: ml/training.yaml seeds).")
    var seeds: [UInt64] = []
    @Option(help: "Runs at once (default: the number of cores).") var workers: Int?
    @Flag(help: "Continue each run from its last checkpoint.") var resume = false

    func validate() throws {
        if let timesteps, timesteps < 1 { throw ValidationError("--timesteps must be >= 1") }
        if let envs, !(1...256).contains(envs) { throw ValidationError("--envs must be within 1...256") }
        if let workers, workers < 1 { throw ValidationError("--workers must be >= 1") }
    }

    func run() async throws {
        let context = try CommandContext.load(global, label: "pipeline.train")
        let configuration = context.configuration
        let names = env == .cartpole ? [TrainingJob.cartPoleSymbol]
            : try SeriesSelection(symbols: symbols, timeframes: nil).symbols(in: configuration).map(\.name)
        let runSeeds = seeds.isEmpty ? configuration.training.seeds.map { UInt64($0) } : seeds
        let jobs = names.flatMap { name in
            runSeeds.map { TrainingJob(symbol: name, environment: env, seed: $0, timesteps: timesteps ?? configuration.training.timesteps,
                                       environments: envs ?? configuration.training.environments, resume: resume) }
        }
        let parallel = min(workers ?? ProcessInfo.processInfo.activeProcessorCount, jobs.count)
        print("training \(jobs.count) run(s) (\(jobs.map(\.label).joined(separator: ", "))) on the \(env.rawValue) environment, \(parallel) at a time")
        let outcomes = await WorkerPool(jobs: jobs, parallel: parallel, global: global).run()
        var failed: [String] = []
        for (job, outcome) in zip(jobs, outcomes) {
            switch outcome {
            case let .finished(summary): print(summary)
            case let .failed(reason): failed.append("\(job.label): \(reason)")
            }
        }
        // Recorded before a failure is reported: every finished run is a trial, and only the selected one is a candidate.
        if env == .trading { try recordSelection(outcomes: outcomes, context: context) }
        guard failed.isEmpty else {
            for line in failed { printError("failed: \(line)") }
            throw ExitCode.failure
        }
    }

    /// Of each symbol's runs, the one with the best mean return over its last 100 training episodes (never
    /// held-out data) is the candidate `pipeline evaluate` judges; the others are recorded as `unselected`
    /// (every run is a trial the promotion gate's deflated Sharpe counts).
    func recordSelection(outcomes: [WorkerPool.Outcome], context: CommandContext) throws {
        struct Run { var symbol, version, path: String; var seed: String; var meanReturn: Double }
        let runs: [Run] = outcomes.compactMap { outcome in
            guard case let .finished(summary) = outcome,
                  let fields = try? JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any],
                  let symbol = fields["symbol"] as? String, let version = fields["version"] as? String,
                  let path = fields["artifact"] as? String
            else { return nil }
            return Run(symbol: symbol, version: version, path: path, seed: "\(fields["seed"] ?? "?")",
                       meanReturn: (fields["mean_return_last100"] as? Double) ?? -.infinity)
        }
        let registry = try context.registry()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for symbol in Set(runs.map(\.symbol)).sorted() {
            let mine = runs.filter { $0.symbol == symbol }
            guard let best = mine.max(by: { $0.meanReturn < $1.meanReturn }) else { continue }
            // A candidate of an earlier training that was never judged (its run was killed after training) is
            // replaced by this one; it stays on record as a trial.
            for stale in try registry.records.agents(symbol: symbol) where stale.status == "candidate" && !mine.contains(where: { $0.version == stale.version }) {
                var superseded = stale
                superseded.status = "superseded"
                superseded.reason = "replaced by \(best.version), trained before this one was judged"
                try registry.records.saveAgent(superseded)
            }
            for run in mine {
                let selected = run.version == best.version
                let reason = selected
                    ? (mine.count > 1 ? "selected in sample among \(mine.count) seeds (mean return of the last 100 training episodes)" : nil)
                    : String(format: "seed %@ lost the in-sample selection to %@ (mean return of the last 100 training episodes %.3f vs %.3f)",
                             run.seed, best.version, run.meanReturn, best.meanReturn)
                let hash = (try? AgentFiles.load(directory: registry.path(symbol: symbol, version: run.version), expectedFeatureSpecHash: nil))?
                    .manifest.featureSpecHash ?? ""
                try registry.records.saveAgent(AgentRecord(symbol: symbol, version: run.version, status: selected ? "candidate" : "unselected",
                                                           path: registry.path(symbol: symbol, version: run.version), featureSpecHash: hash,
                                                           createdAt: now, metrics: nil, reason: reason))
            }
            if mine.count > 1 { print("\(symbol): candidate \(best.version) (seed \(best.seed)); \(mine.count - 1) unselected seed(s) recorded") }
        }
    }
}

/// Runs jobs as `pipeline train-worker` child processes, at most `parallel` at once, relaying their
/// output line by line with the run's label.
struct WorkerPool {
    enum Outcome: Sendable {
        case finished(summary: String)
        case failed(reason: String)
    }

    let jobs: [TrainingJob]
    let parallel: Int
    let global: GlobalOptions

    func run() async -> [Outcome] {
        let arguments = jobs.map(workerArguments)
        return await boundedConcurrentMap(arguments, width: parallel) { await Self.runWorker(arguments: $0) }
    }

    func workerArguments(_ job: TrainingJob) -> [String] {
        var arguments = ["train-worker", "--symbol", job.symbol, "--env", job.environment.rawValue, "--timesteps", "\(job.timesteps)",
                         "--envs", "\(job.environments)", "--seed", "\(job.seed)"]
        if let directory = global.configDirectory { arguments += ["--config", directory] }
        if job.resume { arguments.append("--resume") }
        return arguments
    }

    static func runWorker(arguments: [String]) async -> Outcome {
        let result = await StageProcess.run(arguments, label: "", relayErrors: true)
        if result.succeeded, let summary = result.summaries.last { return .finished(summary: summary) }
        return .failed(reason: result.failure)
    }
}

/// `pipeline train-worker`: one run, started by `pipeline train` (hidden).
struct TrainWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train-worker", abstract: "One training run (started by `pipeline train`).",
                                                    shouldDisplay: false)

    @OptionGroup var global: GlobalOptions
    @Option var symbol: String
    @Option var env: TrainingEnvironmentKind
    @Option var timesteps: Int
    @Option var envs: Int
    @Option var seed: UInt64
    @Flag var resume = false

    func run() throws {
        let context = try CommandContext.load(global, label: "pipeline.train")
        let job = TrainingJob(symbol: symbol, environment: env, seed: seed, timesteps: timesteps, environments: envs, resume: resume)
        let store = env == .trading ? try context.openStore().0 : nil
        let session = TrainingSession(configuration: context.configuration, job: job, store: store) { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        do {
            let summary = try session.run()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(summary) + Data("\n".utf8))
            context.logger.info("trained", metadata: ["symbol": "\(symbol)", "seed": "\(seed)", "artifact": "\(summary.artifact)"])
        } catch {
            printError("\(error)")
            context.logger.error("training failed", metadata: ["symbol": "\(symbol)", "seed": "\(seed)", "error": "\(error)"])
            throw ExitCode.failure
        }
    }
}

/// A worker whose parent `pipeline train` died (e.g. killed with -9) stops within a second rather than
/// training on as an orphan that would race the resumed run for the checkpoint.
enum ParentWatch {
    static func start() {
        let parent = getppid()
        Thread.detachNewThread {
            while true {
                Thread.sleep(forTimeInterval: 0.5)
                if getppid() != parent { exit(3) }
            }
        }
    }
}

import AgentArtifacts
import ArgumentParser
import Evaluation
import Features
import Foundation
import MarketModel
import Policy
import Storage
import TensorStore
import TradingEngine

/// `pipeline walk-forward --symbols … --folds K`: real walk-forward retraining. The bars after the
/// features' warm-up are cut into K + 1 equal segments; fold i trains a new agent on everything before
/// segment i less a purge (its tensor, statistics and episodes end there: nothing later exists for it)
/// and tests it on segment i after an embargo, next to the baselines; then the window rolls on.
struct WalkForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "walk-forward",
        abstract: "Retrain on the past and test on the next fold, fold after fold; report every fold and the concatenated out-of-sample equity.",
        discussion: """
            Fold i of K trains on the bars before its boundary less --purge-minutes (a trade or an episode \
            that began before the boundary cannot reach into the test) and tests from the boundary plus \
            --embargo-minutes to the next boundary. Training uses ml/training.yaml (one seed, the first of \
            `seeds`); tests use the configuration's costs, risk rules and confirmation at the equal capital \
            share, and resume after a drawdown halt as evaluations do. Writes \
            reports/walk-forward/{SYMBOL}-{stamp}.json and .svg; the fold agents and tensors are scratch and \
            removed at the end (--keep keeps them under data/walk-forward/).
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Comma-separated symbols (default: every enabled symbol).") var symbols: String?
    @Option(help: "Test folds (the bars are cut into folds + 1 segments; the first only trains).") var folds = 3
    @Option(help: "Environment steps per fold's training (default: ml/training.yaml timesteps).") var timesteps: Int?
    @Option(help: "Minutes before each boundary left out of that fold's training.") var purgeMinutes = 1_440
    @Option(help: "Minutes after each boundary left out of that fold's test.") var embargoMinutes = 60
    @Option(help: "Seed of the random baseline.") var seed: UInt64 = 1
    @Flag(help: "Keep the fold agents and tensors under data/walk-forward/.") var keep = false

    func validate() throws {
        guard (1...20).contains(folds) else { throw ValidationError("--folds must be within 1...20") }
        if let timesteps, timesteps < 1 { throw ValidationError("--timesteps must be >= 1") }
        guard purgeMinutes >= 0, embargoMinutes >= 0 else { throw ValidationError("--purge-minutes and --embargo-minutes must be >= 0") }
    }

    func run() throws {
        let context = try CommandContext.load(global, label: "pipeline.walk-forward")
        let selected = try SeriesSelection(symbols: symbols, timeframes: nil).symbols(in: context.configuration)
        var failures = 0
        for symbol in selected {
            do { try walkForward(symbol, context: context) } catch {
                failures += 1
                printError("\(symbol): \(error)")
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }

    func walkForward(_ symbol: Symbol, context: CommandContext) throws {
        let configuration = context.configuration
        let (store, _) = try context.openStore()
        let plan = try WalkForwardPlan(store: store, symbol: symbol, folds: folds, warmUpMinutes: FeatureSpec.standard.warmUpMinutes,
                                       purgeMinutes: purgeMinutes, embargoMinutes: embargoMinutes)
        guard let parameters = configuration.engineParameters(for: symbol) else { throw RegistryError(description: "not in trading/symbols.yaml") }
        var setup = BacktestSetup(symbol: symbol, parameters: parameters, confirmation: configuration.confirmationRules,
                                  initialCapital: configuration.capitalPerSymbol, tradingTimeframe: configuration.symbols.tradingTimeframe,
                                  stopTimeframe: configuration.risk.atr.timeframe, confirmationTimeframes: configuration.symbols.confirmationTimeframes)
        setup.afterHalt = configuration.training.evaluation.afterHalt
        let stamp = UTCTime.nowISO8601.filter { $0.isNumber }.prefix(14)
        let scratch = "\(configuration.paths.data)/walk-forward/\(symbol.name)-\(stamp)"
        defer { if !keep { try? FileManager.default.removeItem(atPath: scratch) } }
        print("\(symbol): \(folds) fold(s), purge \(purgeMinutes) min, embargo \(embargoMinutes) min")
        var foldResults: [WalkForwardFold] = []
        for (index, fold) in plan.folds.enumerated() {
            let directory = "\(scratch)/fold-\(index + 1)"
            var foldConfiguration = configuration
            foldConfiguration.trading.paths.datasets = directory + "/datasets"
            foldConfiguration.trading.paths.agents = directory + "/agents"
            let align = AlignStage(store: store, datasetsDirectory: foldConfiguration.paths.datasets, dataDirectory: directory,
                                   heldOutFraction: 0, codeVersion: CodeVersion.current)
            _ = try align.run(symbol: symbol, force: true, through: fold.trainTo)
            let job = TrainingJob(symbol: symbol.name, environment: .trading, seed: UInt64(configuration.training.seeds.first ?? 0),
                                  timesteps: timesteps ?? configuration.training.timesteps, environments: configuration.training.environments,
                                  resume: false)
            let summary = try TrainingSession(configuration: foldConfiguration, job: job, store: store) { _ in }.run()
            let artifact = try AgentFiles.load(directory: summary.artifact)
            let result = try WalkForwardFold.test(fold: fold, number: index + 1, artifact: artifact, store: store, setup: setup, seed: seed)
            print(result.line)
            foldResults.append(result)
        }
        let report = WalkForwardReport(symbol: symbol.name, createdAt: UTCTime.nowISO8601, codeVersion: CodeVersion.current, folds: foldResults,
                                       purgeMinutes: purgeMinutes, embargoMinutes: embargoMinutes)
        let base = "\(configuration.paths.reports)/walk-forward/\(symbol.name)-\(stamp)"
        try report.write(to: base + ".json")
        try report.chart().write(to: base + ".svg")
        for line in report.summaryLines { print(line) }
        try printSummaryLine(["symbol": symbol.name, "folds": foldResults.count, "report": base + ".json", "chart": base + ".svg",
                              "agent_return": report.concatenated.first { $0.policy == "agent" }?.totalReturn ?? 0])
    }
}

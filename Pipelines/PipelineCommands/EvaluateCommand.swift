import ArgumentParser
import Evaluation
import Features
import Foundation
import MarketModel
import Policy
import Storage
import TradingEngine
import Training

/// `pipeline evaluate [--symbols …] [--candidate VERSION]`.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Backtest a candidate agent (and the current one) out of sample next to the baselines; write the report and chart.",
        discussion: """
            The out-of-sample range starts at the candidate's held-out range (recorded in its manifest, never \
            trained on) and runs to the last stored bar; it is also cut into `walk_forward.windows` windows. \
            Costs, risk rules and confirmation are the configuration's. Without --candidate, the newest \
            version the training recorded as its candidate (the in-sample winner among its seeds) and not yet \
            judged is the candidate; with none, the current agent \
            is re-evaluated on the latest data. Writes reports/evaluation/{SYMBOL}-{version}.json and .svg, \
            the strategy records (.records.json) for `pipeline rank`, and the loser filter when it helps.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Comma-separated symbols (default: every enabled symbol).") var symbols: String?
    @Option(help: "The candidate version (with one symbol).") var candidate: String?
    @Option(help: "Seed of the random baseline and the bootstrap.") var seed: UInt64 = 1

    func run() throws {
        let context = try CommandContext.load(global, label: "pipeline.evaluate")
        let configuration = context.configuration
        let selected = try SeriesSelection(symbols: symbols, timeframes: nil).symbols(in: configuration)
        if candidate != nil, selected.count != 1 { throw ValidationError("--candidate needs exactly one symbol in --symbols") }
        let registry = try context.registry()
        var failures = 0
        for symbol in selected {
            do {
                try evaluate(symbol, context: context, registry: registry)
            } catch {
                failures += 1
                printError("\(symbol): \(error)")
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }

    func evaluate(_ symbol: Symbol, context: CommandContext, registry: AgentRegistry) throws {
        let configuration = context.configuration
        let name = symbol.name
        let currentVersion = registry.currentVersion(symbol: name)
        var current: AgentArtifact?
        if let currentVersion {
            do { current = try registry.load(symbol: name, version: currentVersion) } catch {
                print("\(name): the current agent \(currentVersion) cannot be loaded (\(error)); evaluating without it")
            }
        }
        // Only the training's candidate is judged: a seed that lost the in-sample selection is never a
        // candidate (judging it after a lucky window would select on the held-out data).
        let records = try registry.records.agents(symbol: name)
        let status = Dictionary(records.map { ($0.version, $0.status) }) { $1 }
        if let candidate, let recorded = status[candidate], recorded != "candidate" {
            let reason = records.first { $0.version == candidate }?.reason ?? recorded
            throw RegistryError(description: recorded == "unselected"
                ? "--candidate \(candidate) was not selected by its training (\(reason)); evaluate the training's candidate"
                : "--candidate \(candidate) was already judged (\(recorded): \(reason)); a judged agent is not judged again on a new window")
        }
        let candidateVersion = candidate ?? registry.versions(symbol: name).last { $0 != currentVersion && status[$0] == "candidate" }
        let candidateArtifact = try candidateVersion.map { try registry.load(symbol: name, version: $0) }
        guard let subject = candidateArtifact ?? current else {
            print("\(name): no agent to evaluate (train one with `pipeline train`)")
            try printSummaryLine(["symbol": name, "outcome": "no agent"])
            return
        }
        guard let parameters = configuration.engineParameters(for: symbol) else {
            throw RegistryError(description: "not in trading/symbols.yaml")
        }
        var setup = BacktestSetup(
            symbol: symbol, parameters: parameters, confirmation: configuration.confirmationRules,
            initialCapital: configuration.capitalPerSymbol,
            tradingTimeframe: configuration.symbols.tradingTimeframe, stopTimeframe: configuration.risk.atr.timeframe,
            confirmationTimeframes: configuration.symbols.confirmationTimeframes, from: nil, to: nil)
        setup.afterHalt = configuration.training.evaluation.afterHalt
        let (store, _) = try context.openStore()
        let data = try BacktestData.load(from: store, setup: setup)
        setup.capitalSchedule = try AllocationSchedule.build(store: store, rules: configuration.allocationRules(), symbol: symbol,
                                                             stopTimeframe: configuration.risk.atr.timeframe,
                                                             atrPeriod: configuration.risk.atr.period, data: data)
        let settings = configuration.training.evaluation, promotion = configuration.training.promotion
        let plan = EvaluationPlan(
            windows: configuration.training.walkForward.windows, bootstrapSamples: settings.bootstrapSamples, seed: seed,
            filterNeighbours: settings.loserFilterNeighbours, filterBlockingShare: settings.loserFilterBlockingShare,
            rules: PromotionRules(minimumTrades: promotion.minimumTrades, returnMarginOverFlat: promotion.returnMarginOverFlat,
                                  sharpeMarginOverCurrent: promotion.sharpeMarginOverCurrent,
                                  minimumProbabilisticSharpe: promotion.minimumProbabilisticSharpe,
                                  minimumDeflatedSharpe: promotion.minimumDeflatedSharpe, maximumDrawdown: parameters.risk.haltDrawdown,
                                  drawdownRoom: promotion.drawdownRoom),
            trials: max(1, records.count + (candidateVersion.map { status[$0] == nil ? 1 : 0 } ?? 0)))
        let evaluation = try AgentEvaluator(setup: setup, data: data, plan: plan)
            .evaluate(candidate: candidateArtifact, current: current, codeVersion: CodeVersion.current, createdAt: UTCTime.nowISO8601)
        let version = subject.manifest.version
        let base = "\(configuration.paths.reports)/evaluation/\(name)-\(version)"
        try evaluation.report.write(to: base + ".json")
        try evaluation.chart.write(to: base + ".svg")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AgentDirectory.writeSynced(try encoder.encode(evaluation.records), to: base + ".records.json")
        let filterPath = registry.path(symbol: name, version: version) + "/loser_filter.json"
        // The filter is decided once, for a candidate, on its training range; re-evaluating the current agent
        // reports the filter's figures and leaves what was published as it is.
        if candidateArtifact != nil {
            if let filter = evaluation.filter {
                try AgentDirectory.writeSynced(try encoder.encode(filter), to: filterPath)
            } else {
                try? FileManager.default.removeItem(atPath: filterPath)
            }
        }
        let agent = evaluation.report.policy("agent")!
        let metrics: [String: Any] = [
            "total_return": agent.metrics.totalReturn, "sharpe": agent.metrics.sharpe, "max_drawdown": agent.metrics.maxDrawdown,
            "trades": agent.metrics.trades, "sharpe_ci95": [agent.confidence?.sharpe.lower ?? 0, agent.confidence?.sharpe.upper ?? 0],
            "max_drawdown_ci95": [agent.confidence?.maxDrawdown.lower ?? 0, agent.confidence?.maxDrawdown.upper ?? 0],
            "range": "\(evaluation.report.from) → \(evaluation.report.to)", "report": base + ".json",
        ]
        let metricsJSON = String(decoding: try JSONSerialization.data(withJSONObject: metrics, options: [.sortedKeys]), as: UTF8.self)
        let existing = try registry.records.agents(symbol: name).first { $0.version == version }
        try registry.records.saveAgent(AgentRecord(
            symbol: name, version: version, status: existing?.status ?? (candidateArtifact != nil ? "candidate" : "promoted"),
            path: registry.path(symbol: name, version: version), featureSpecHash: subject.manifest.featureSpecHash,
            createdAt: existing?.createdAt ?? Int64(Date().timeIntervalSince1970 * 1000), metrics: metricsJSON, reason: existing?.reason))
        printSummary(evaluation.report)
        let summary: [String: Any] = [
            "symbol": name, "version": version, "role": candidateArtifact != nil ? "candidate" : "current", "report": base + ".json",
            "chart": base + ".svg", "records": base + ".records.json", "bars": evaluation.report.bars,
            "promotion": evaluation.report.promotion.map { $0.promote ? "promote" : "reject" } ?? "none",
            "verdict": evaluation.report.promotion?.summary ?? "re-evaluated the current agent",
            "loser_filter": FileManager.default.fileExists(atPath: filterPath) ? "enabled" : "disabled",
        ]
        try printSummaryLine(summary)
    }

    func printSummary(_ report: EvaluationReport) {
        print("\(report.symbol): out of sample \(report.from) → \(report.to) (\(report.bars) bars), capital \(String(format: "%.2f", report.initialCapital)) USDT")
        print(MetricsTable.header)
        for policy in report.policies {
            print(MetricsTable.row(policy.name, policy.metrics))
            if let live = policy.liveRule, policy.metrics.halts > 0 {
                print(String(format: "             %d drawdown halt(s), each resumed after the cooling-off; under the live rule (halted for good): return %+.2f%%, %d trades",
                             policy.metrics.halts, live.totalReturn * 100, live.trades))
            }
            if let confidence = policy.confidence {
                print(String(format: "             Sharpe 95%% [%.2f, %.2f], max dd 95%% [%.2f%%, %.2f%%] — %@", confidence.sharpe.lower,
                             confidence.sharpe.upper, confidence.maxDrawdown.lower * 100, confidence.maxDrawdown.upper * 100, confidence.note))
            }
        }
        if let filter = report.loserFilter {
            print("  loser filter: \(filter.reason)")
            print(String(format: "  loser filter out of sample (reported, not deciding): Sharpe %.2f → %.2f, return %+.2f%% → %+.2f%%, %d entries skipped",
                         filter.without.sharpe, filter.with.sharpe, filter.without.totalReturn * 100, filter.with.totalReturn * 100,
                         filter.filteredEntries))
        }
        for line in report.analysis.worstDominated { print("  losers concentrate in: \(line)") }
        if let promotion = report.promotion { print("  \(promotion.summary)") }
        for note in report.notes.dropLast(2) { print("  note: \(note)") }
    }
}

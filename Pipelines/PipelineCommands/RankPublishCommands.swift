import ArgumentParser
import Evaluation
import Foundation
import MarketModel
import Storage
import TradingEngine

/// The newest evaluation of a symbol's `version` (or of its newest evaluated version).
func evaluationBase(reports: String, symbol: String, version: String?) -> String? {
    let directory = "\(reports)/evaluation"
    if let version { return "\(directory)/\(symbol)-\(version)" }
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        .filter { $0.hasPrefix(symbol + "-") && $0.hasSuffix(".records.json") }.sorted()
    return names.last.map { "\(directory)/" + $0.replacingOccurrences(of: ".records.json", with: "") }
}

/// `pipeline rank [--symbols …] [--version V]`.
struct RankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rank",
        abstract: "Store an evaluated agent's trades as strategy records, keep its best and worst N, and report which contexts losers share.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Comma-separated symbols (default: every enabled symbol).") var symbols: String?
    @Option(help: "The evaluated version (with one symbol; default: the newest evaluation).") var version: String?

    func run() throws {
        let context = try CommandContext.load(global, label: "pipeline.rank")
        let configuration = context.configuration
        let selected = try SeriesSelection(symbols: symbols, timeframes: nil).symbols(in: configuration)
        if version != nil, selected.count != 1 { throw ValidationError("--version needs exactly one symbol in --symbols") }
        let registry = try context.registry()
        var failures = 0
        for symbol in selected {
            guard let base = evaluationBase(reports: configuration.paths.reports, symbol: symbol.name, version: version) else {
                print("\(symbol): nothing evaluated yet")
                try printSummaryLine(["symbol": symbol.name, "outcome": "nothing evaluated"])
                continue
            }
            do {
                let records = try JSONDecoder().decode([StrategyRecord].self, from: Data(contentsOf: URL(fileURLWithPath: base + ".records.json")))
                let agentVersion = records.first?.agentVersion ?? (base as NSString).lastPathComponent.replacingOccurrences(of: symbol.name + "-", with: "")
                let keep = configuration.training.evaluation.keepStrategies
                let counts = try registry.records.storeStrategies(records, agentVersion: agentVersion, symbol: symbol.name, keep: keep)
                let kept = try registry.records.strategies(agentVersion: agentVersion, symbol: symbol.name)
                let analysis = ContextAnalysis(records: kept)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                try encoder.encode(analysis).write(to: URL(fileURLWithPath: base + ".strategies.json"), options: .atomic)
                print("\(symbol) \(agentVersion): \(records.count) evaluated trades → kept \(counts.best) best and \(counts.worst) worst (at most \(keep) each)")
                for line in analysis.worstDominated { print("  losers concentrate in: \(line)") }
                for line in analysis.bestDominated { print("  winners concentrate in: \(line)") }
                let summary = ["symbol": symbol.name, "version": agentVersion, "best": "\(counts.best)", "worst": "\(counts.worst)",
                               "analysis": base + ".strategies.json"]
                try printSummaryLine(summary)
            } catch {
                failures += 1
                printError("\(symbol): \(error)")
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }
}

/// `pipeline publish [--symbols …] [--version V]`: the promotion gate.
struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Apply the promotion gate to an evaluated candidate: make it current, or keep it as rejected with the reason.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Comma-separated symbols (default: every enabled symbol).") var symbols: String?
    @Option(help: "The evaluated candidate (with one symbol; default: the newest evaluation).") var version: String?

    func run() throws {
        let context = try CommandContext.load(global, label: "pipeline.publish")
        let configuration = context.configuration
        let selected = try SeriesSelection(symbols: symbols, timeframes: nil).symbols(in: configuration)
        if version != nil, selected.count != 1 { throw ValidationError("--version needs exactly one symbol in --symbols") }
        let registry = try context.registry()
        var failures = 0
        for symbol in selected {
            let name = symbol.name
            guard let base = evaluationBase(reports: configuration.paths.reports, symbol: name, version: version),
                  let report = try? EvaluationReport.read(from: base + ".json")
            else {
                print("\(name): no evaluation report; nothing to publish")
                try printSummaryLine(["symbol": name, "decision": "none"])
                continue
            }
            guard let candidate = report.candidateVersion, let promotion = report.promotion else {
                print("\(name): the last evaluation re-evaluated the current agent; nothing to publish")
                try printSummaryLine(["symbol": name, "decision": "none"])
                continue
            }
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            do {
                let decision: String
                if promotion.promote {
                    let previous = try registry.promote(symbol: name, version: candidate, kind: "promote", reason: promotion.summary, now: now)
                    print("\(name): \(candidate) is now current" + (previous.map { " (was \($0))" } ?? "") + " — \(promotion.summary)")
                    decision = "promoted"
                } else {
                    var record = try registry.records.agents(symbol: name).first { $0.version == candidate }
                        ?? AgentRecord(symbol: name, version: candidate, status: "rejected", path: registry.path(symbol: name, version: candidate),
                                       featureSpecHash: "", createdAt: now, metrics: nil, reason: nil)
                    record.status = "rejected"
                    record.reason = promotion.summary
                    try registry.records.saveAgent(record)
                    print("\(name): \(candidate) kept as rejected — \(promotion.summary)")
                    decision = "rejected"
                }
                context.logger.notice("promotion gate", metadata: ["symbol": "\(name)", "version": "\(candidate)", "decision": "\(decision)"])
                let summary = ["symbol": name, "version": candidate, "decision": decision, "reason": promotion.summary,
                               "current": registry.currentVersion(symbol: name) ?? ""]
                try printSummaryLine(summary)
            } catch {
                failures += 1
                printError("\(name): \(error)")
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }
}

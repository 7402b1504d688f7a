import ArgumentParser
import Evaluation
import Foundation
import MarketModel
import Storage
import TraderConfiguration

/// The table `pipeline run` ends with: per symbol, data, training, out-of-sample figures and the verdict.
struct RunSummary {
    let configuration: PipelineConfiguration
    let results: [PipelineRunner.StageResult]
    let registry: AgentRegistry

    func print() {
        let symbols = Array(Set(results.map(\.symbol.name))).sorted()
        guard !symbols.isEmpty else { return }
        Swift.print("")
        let baselines = [("flat", 6), ("buy-and-hold", 12), ("always-long", 11), ("ema-cross", 10), ("random", 7)]
        let baselineHeader = baselines.map { pad($0.0, $0.1, right: true) }.joined(separator: " ")
        Swift.print("symbol      1m bars  valid rows  train steps | agent return  sharpe  max dd | \(baselineHeader)  (return) | outcome")
        for symbol in symbols {
            let mine = Dictionary(results.filter { $0.symbol.name == symbol }.map { ($0.stage, $0) }) { $1 }
            func output(_ stage: StageName, _ key: String) -> String? { mine[stage]?.outputs[key].flatMap { $0.isEmpty ? nil : $0 } }
            let bars = output(.download, "bars_1m") ?? output(.backup, "bars_1m")
            let barCount = bars.flatMap { $0.split(separator: ":").first.map(String.init) } ?? output(.align, "rows") ?? "-"
            var line = pad(symbol, 10) + " " + pad(barCount, 8, right: true) + " " + pad(output(.align, "valid_rows") ?? "-", 11, right: true)
                + " " + pad(output(.train, "env_steps") ?? "-", 12, right: true) + " |"
            if let path = output(.evaluate, "report"), let report = try? EvaluationReport.read(from: path), let agent = report.policy("agent") {
                line += " " + pad(percent(agent.metrics.totalReturn), 12, right: true) + " " + pad(String(format: "%.2f", agent.metrics.sharpe), 7, right: true)
                    + " " + pad(String(format: "%.2f%%", agent.metrics.maxDrawdown * 100), 7, right: true) + " |"
                for (name, width) in baselines {
                    line += " " + pad(report.policy(name).map { percent($0.metrics.totalReturn) } ?? "-", width, right: true)
                }
                line += "           |"
            } else {
                line += pad("-", 29, right: true) + " |" + pad("-", baselineHeader.count + 1, right: true) + "           |"
            }
            line += " " + outcome(mine)
            Swift.print(line)
        }
    }

    func outcome(_ mine: [StageName: PipelineRunner.StageResult]) -> String {
        if let failure = mine.values.first(where: { $0.status == "failed" }) { return "failed at \(failure.stage.rawValue): \(failure.detail)" }
        if let publish = mine[.publish]?.outputs, let decision = publish["decision"], decision != "none" {
            return decision == "promoted" ? "promoted (\(publish["version"] ?? "")) — " + (publish["reason"] ?? "").replacingOccurrences(of: "promoted: ", with: "")
                : "rejected — " + (publish["reason"] ?? "").replacingOccurrences(of: "rejected: ", with: "")
        }
        if let verdict = mine[.evaluate]?.outputs["verdict"] { return verdict }
        return mine.values.contains { $0.status == "blocked" } ? "not finished" : "done"
    }

    func percent(_ value: Double) -> String { String(format: "%+.2f%%", value * 100) }

    func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}

/// `pipeline status [--runs N]`.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Recent pipeline runs, stage by stage, with durations and results.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "How many recent runs.") var runs = 5

    func run() throws {
        let context = try CommandContext.load(global, label: "pipeline.status")
        let (store, _) = try context.openStore()
        let records = PipelineRecords(store: store)
        let recent = try records.recentRuns(limit: runs)
        if recent.isEmpty { print("no pipeline runs recorded yet") }
        for run in recent.reversed() {
            let duration = run.finishedAt.map { String(format: "%.0f s", Double($0 - run.startedAt) / 1_000) } ?? "running"
            print("run \(run.id)  \(run.reason)  \(run.status)  started \(UTCTime(milliseconds: run.startedAt).iso8601)  \(duration)  code \(run.codeVersion)")
            print("  symbols: \(run.symbols.joined(separator: ", "))")
            for stage in try records.stages(runID: run.id) {
                let seconds = stage.finishedAt.map { String(format: "%7.1f s", Double($0 - stage.startedAt) / 1_000) } ?? "   running"
                var line = "  \(stage.stage.padding(toLength: 9, withPad: " ", startingAt: 0)) \((stage.symbol ?? "-").padding(toLength: 10, withPad: " ", startingAt: 0)) \(stage.status.padding(toLength: 9, withPad: " ", startingAt: 0)) \(seconds)"
                if let error = stage.error { line += "  \(error)" }
                else if let verdict = stage.outputs["verdict"] ?? stage.outputs["decision"] { line += "  \(verdict)" }
                print(line)
            }
            if let error = run.error { print("  error: \(error)") }
        }
    }
}

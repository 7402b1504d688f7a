import ArgumentParser
import Evaluation
import Foundation
import MarketModel

/// `pipeline report [--symbols …]`: every symbol's newest evaluation, agent against every baseline.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print and write each symbol's out-of-sample edge: the agent against every baseline, with trades, fees, funding and the gate.",
        discussion: """
            Reads each symbol's newest reports/evaluation/{SYMBOL}-{version}.json (what `pipeline evaluate` \
            wrote: out of sample, costs included) and prints one table: the agent's return (the candidate \
            judged, else the current agent), its trades, fees and net funding, the return of flat, \
            buy-and-hold, always-long, EMA cross and random on the same bars, and the promotion gate's \
            verdict with its statistics. Writes reports/summary/edge-{stamp}.json and .svg (a bar chart). \
            Nothing is re-run.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Comma-separated symbols (default: every enabled symbol).") var symbols: String?

    func run() throws {
        let context = try CommandContext.load(global, label: "pipeline.report")
        let configuration = context.configuration
        let selected = try SeriesSelection(symbols: symbols, timeframes: nil).symbols(in: configuration)
        let directory = "\(configuration.paths.reports)/evaluation"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var found: [(path: String, report: EvaluationReport)] = []
        var missing: [String] = []
        for symbol in selected {
            var newest: (path: String, report: EvaluationReport)?
            for file in files where file.hasPrefix(symbol.name + "-") && file.hasSuffix(".json")
                && !file.hasSuffix(".records.json") && !file.hasSuffix(".strategies.json") {
                let path = "\(directory)/\(file)"
                do {
                    let report = try EvaluationReport.read(from: path)
                    if report.symbol == symbol.name, report.createdAt > (newest?.report.createdAt ?? "") { newest = (path, report) }
                } catch {
                    printError("\(path): not an evaluation report this version reads (\(error)); skipped")
                }
            }
            if let newest { found.append(newest) } else { missing.append(symbol.name) }
        }
        let report = EdgeReport(createdAt: UTCTime.nowISO8601, reports: found, missing: missing)
        for line in report.lines { print(line) }
        guard !report.rows.isEmpty else {
            printError("no evaluation report for \(missing.joined(separator: ", ")): run `pipeline evaluate` (or `pipeline run`) first")
            throw ExitCode.failure
        }
        let base = "\(configuration.paths.reports)/summary/edge-\(UTCTime.nowISO8601.filter { $0.isNumber }.prefix(17))"
        do {
            try report.write(json: base + ".json")
            try report.svg.write(toFile: base + ".svg", atomically: true, encoding: .utf8)
        } catch {
            printError("the report cannot be written to \(base).json/.svg: \(error)")
            throw ExitCode.failure
        }
        print("written: \(base).json, \(base).svg")
    }
}

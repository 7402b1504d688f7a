import AgentArtifacts
import ArgumentParser
import TraderConfiguration
import Evaluation
import Features
import Foundation
import MarketModel
import Policy
import TradingEngine

/// `pipeline backtest --symbol BTCUSDT --policy flat|buy-and-hold|always-long|ema-cross|random [--from --to]`.
struct BacktestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Replay stored 1m bars through the trading engine with an agent or baseline policies; print metrics, write a JSON report and an SVG chart.",
        discussion: """
            Several policies (comma-separated, or `all`) run on the same bars and share one chart; --agent adds \
            an agent (with its loser filter when one was enabled), exactly as the trader runs it. Costs \
            (fees, slippage, funding), the risk manager and entry confirmation are those of the \
            configuration; funding settlements without data use the configured constant and the report \
            says how many did.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Symbol, e.g. BTCUSDT.") var symbol: String
    @Option(help: "Policies: \(BacktestRun.baselineNames.joined(separator: ", ")), comma-separated, or all (default: all, or none with --agent).")
    var policy: String?
    @Option(help: "An agent: current, a version, SYMBOL/VERSION or a directory.") var agent: String?
    @Option(help: "First bar to trade: YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC).") var from: String?
    @Option(help: "Last bar to trade: YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC), inclusive.") var to: String?
    @Option(help: "Capital allocated to the symbol, USDT (default: the allocator's share of initial_capital across the enabled symbols, re-balanced on its schedule).")
    var capital: Double?
    @Option(help: "Seed of the random policy.") var seed: UInt64 = 1
    @Flag(help: "Enter without the higher-timeframe confirmation.") var noConfirmation = false
    @Option(help: "Minutes after a drawdown halt at which the backtest's operator resumes a flat account (0: stay halted, the live rule; default: ml/training.yaml evaluation.resume_after_halt_minutes).")
    var resumeAfterHalt: Int?

    func validate() throws {
        guard Symbol(symbol) != nil else { throw ValidationError("--symbol \(symbol): upper-case letters and digits, e.g. BTCUSDT") }
        for name in policyNames where !BacktestRun.baselineNames.contains(name) {
            throw ValidationError("--policy \(name): use \(BacktestRun.baselineNames.joined(separator: ", ")) or all")
        }
        for (option, text) in [("--from", from), ("--to", to)] {
            if let text, UTCDateParser.milliseconds(text) == nil {
                throw ValidationError("\(option) \(text): use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)")
            }
        }
        if let capital, capital <= 0 { throw ValidationError("--capital must be > 0 USDT") }
        if let resumeAfterHalt, resumeAfterHalt < 0 { throw ValidationError("--resume-after-halt must be >= 0 minutes (0: stay halted)") }
    }

    var policyNames: [String] {
        guard let policy else { return agent == nil ? BacktestRun.baselineNames : [] }
        return policy == "all" ? BacktestRun.baselineNames : policy.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The agent directory `--agent` names.
    func agentDirectory(_ text: String, symbol: Symbol, agents: String) -> String {
        if text == "current" { return "\(agents)/\(symbol.name)/current" }
        if FileManager.default.fileExists(atPath: text + "/" + AgentArtifact.manifestFile) { return text }
        if text.contains("/") { return "\(agents)/\(text)" }
        return "\(agents)/\(symbol.name)/\(text)"
    }

    func run() async throws {
        let context = try CommandContext.load(global, label: "pipeline.backtest")
        let configuration = context.configuration
        let symbol = Symbol(symbol)!
        guard let parameters = configuration.engineParameters(for: symbol) else {
            printError("--symbol \(symbol): not in trading/symbols.yaml, so there is no contract data for it; add it there")
            throw ExitCode.validationFailure
        }
        let (store, _) = try context.openStore()
        var end = to.flatMap(UTCDateParser.milliseconds)
        if let to, !to.contains("T"), let day = end { end = day + 86_400_000 - 60_000 }  // a date includes its whole day
        var setup = BacktestSetup(
            symbol: symbol, parameters: parameters, confirmation: noConfirmation ? .off : configuration.confirmationRules,
            initialCapital: capital ?? configuration.capitalPerSymbol,
            tradingTimeframe: configuration.symbols.tradingTimeframe, stopTimeframe: configuration.risk.atr.timeframe,
            confirmationTimeframes: configuration.symbols.confirmationTimeframes,
            from: from.flatMap(UTCDateParser.milliseconds), to: end)
        setup.afterHalt = resumeAfterHalt.map(HaltHandling.init(resumeAfterMinutes:)) ?? configuration.training.evaluation.afterHalt
        let data: BacktestData
        do {
            data = try BacktestData.load(from: store, setup: setup)
            if capital == nil {
                setup.capitalSchedule = try AllocationSchedule.build(
                    store: store, rules: configuration.allocationRules(), symbol: symbol, stopTimeframe: configuration.risk.atr.timeframe,
                    atrPeriod: configuration.risk.atr.period, data: data)
                setup.initialCapital = setup.capitalSchedule[0].capital
            }
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        let traded = data.bars.count - data.firstTraded
        print("\(symbol): \(traded) 1m bars \(UTCTime.format(data.bars[data.firstTraded].openTime)) → \(UTCTime.format(data.bars.last!.openTime)) UTC, capital \(String(format: "%.2f", setup.initialCapital)) USDT, confirmation \(setup.confirmation.enabled ? "on" : "off"), after a drawdown halt: \(setup.afterHalt.label)")
        print(MetricsTable.header)
        var chart: [EquityChart.Series] = [], markers: [EquityChart.Marker] = []
        let stamp = UTCTime(milliseconds: data.bars[data.firstTraded].openTime).dayString + "_" + UTCTime(milliseconds: data.bars.last!.openTime).dayString
        var runs: [(name: String, run: () throws -> BacktestResult?)] = policyNames.map { name in
            (name, { try BacktestRun.runBaseline(name, seed: seed, data: data, setup: setup) })
        }
        if let agent {
            let directory = agentDirectory(agent, symbol: symbol, agents: configuration.paths.agents)
            let artifact: AgentArtifact
            var filter: LoserSimilarityFilter?
            do {
                artifact = try AgentFiles.load(directory: directory, expectedFeatureSpecHash: FeatureSpec.standard.hash)
                if let data = FileManager.default.contents(atPath: directory + "/loser_filter.json") {
                    filter = try JSONDecoder().decode(LoserSimilarityFilter.self, from: data)
                }
            } catch {
                printError("--agent \(agent): \(error)")
                throw ExitCode.failure
            }
            print("agent \(artifact.manifest.version)" + (filter == nil ? "" : " with its loser filter"))
            runs.insert(("agent", { [filter] in
                try BacktestRun.runDetailed(AgentPolicy(artifact: artifact, name: "agent"), data: data, setup: setup, entryFilter: filter).result
            }), at: 0)
        }
        for (name, run) in runs {
            guard let result = try run() else {
                print("\(name): skipped (the capital buys less than the contract's minimum size)")
                continue
            }
            let metrics = BacktestMetrics(result: result, barsPerYear: 525_600 / Double(setup.tradingTimeframe.milliseconds / 60_000))
            print(MetricsTable.row(name, metrics))
            let report = BacktestReport(symbol: symbol, result: result, metrics: metrics, fallbackRate: parameters.fallbackFundingRate)
            let path = "\(configuration.paths.reports)/backtest/\(symbol.name)-\(name)-\(stamp).json"
            try report.write(to: path)
            for note in report.notes.dropLast() { print("  note (\(name)): \(note)") }
            if metrics.halts > 0 { print("  note (\(name)): \(metrics.halts) drawdown halt(s), \(metrics.resumes) resumed after the cooling-off") }
            chart.append(EquityChart.Series(label: name, times: result.equityTimes, equity: result.equityCurve))
            markers += EquityChart.haltMarkers(result).map { EquityChart.Marker(time: $0.time, label: "\(name) \($0.label)", kind: $0.kind) }
        }
        let chartPath = "\(configuration.paths.reports)/backtest/\(symbol.name)-\(stamp).svg"
        var equityChart = EquityChart(title: "\(symbol) backtest \(stamp.replacingOccurrences(of: "_", with: " → ")) (after fees, slippage and funding)",
                                      series: chart)
        equityChart.markers = markers
        try equityChart.write(to: chartPath)
        print("reports: \(configuration.paths.reports)/backtest/\(symbol.name)-*-\(stamp).json; chart: \(chartPath)")
    }
}

/// The metrics as aligned text rows.
enum MetricsTable {
    static let header = "policy       return   sharpe  sortino   calmar   max dd  trades   win%  profit f.  expectancy  exposure  avg lev    fees  funding"

    static func row(_ name: String, _ metrics: BacktestMetrics) -> String {
        let profitFactor = metrics.profitFactor.map { String(format: "%9.2f", $0) } ?? "        -"
        let label = name.count >= 10 ? name : name + String(repeating: " ", count: 10 - name.count)
        return label + String(format: " %7.2f%% %8.2f %8.2f %8.2f %7.2f%% %7d %6.1f %@ %11.2f %8.1f%% %8.1f %7.2f %8.2f",
                      metrics.totalReturn * 100, metrics.sharpe, metrics.sortino, metrics.calmar,
                      metrics.maxDrawdown * 100, metrics.trades, metrics.winRate * 100, profitFactor as NSString,
                      metrics.expectancy, metrics.exposure * 100, metrics.averageLeverage, metrics.feesPaid,
                      metrics.fundingPaid - metrics.fundingReceived)
    }
}

/// `2025-05-10` or `2025-05-10T12:30` (UTC) to milliseconds.
enum UTCDateParser {
    static func milliseconds(_ text: String) -> Int64? {
        let parts = text.split(separator: "T")
        let date = parts[0].split(separator: "-").compactMap { Int($0) }
        guard date.count == 3, (1...12).contains(date[1]), (1...31).contains(date[2]), parts.count <= 2 else { return nil }
        var minutes = 0
        if parts.count == 2 {
            let time = parts[1].split(separator: ":").compactMap { Int($0) }
            guard time.count == 2, (0..<24).contains(time[0]), (0..<60).contains(time[1]) else { return nil }
            minutes = time[0] * 60 + time[1]
        }
        // Days from civil (Howard Hinnant's algorithm).
        let year = date[1] <= 2 ? date[0] - 1 : date[0]
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let monthPrime = (date[1] + 9) % 12
        let dayOfYear = (153 * monthPrime + 2) / 5 + date[2] - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return (Int64(days) * 1_440 + Int64(minutes)) * 60_000
    }
}

import AgentArtifacts
import ChildProcesses
import Evaluation
import ExchangeSimulator
import Foundation
import MarketModel
import Policy
import Storage
import TraderConfiguration
import TradingEngine

/// One market of `bench planted-edge`: generated, stored, run through the pipeline, replayed with the
/// agent and the oracle.
struct PlantedEdgeTrial: Sendable {
    var seed: UInt64
    var edge: Double
    var days: Int
    var timesteps: Int
    /// The repository's config directory.
    var configuration: String

    static let symbol: Symbol = "BTCUSDT"
    /// 2026-01-05 00:00 UTC: the markets start on a day boundary.
    static let start: Int64 = 1_767_571_200_000

    var label: String { edge > 0 ? "planted seed \(seed)" : "random walk seed \(seed)" }

    struct Outcome: Sendable {
        var label = ""
        var signs = ""
        var promoted = false
        var verdict = ""
        var trades = 0
        var agentReturn = 0.0
        var oracleReturn = 0.0
        var oracleTrades = 0
        /// Zero-edge random strategies judged on a random walk's held-out range: how many, how many made
        /// money (luck), how many the old point-estimate gate (≥ 5 trades, return > 0, drawdown ≤ the halt)
        /// and the new gate would promote.
        var luck = LuckCount()
        var failure: String?

        init(failure: String) { self.failure = failure }
        init(label: String, signs: String, promoted: Bool, verdict: String, trades: Int, agentReturn: Double, oracleReturn: Double,
             oracleTrades: Int) {
            self.oracleTrades = oracleTrades
            self.label = label
            self.signs = signs
            self.promoted = promoted
            self.verdict = verdict
            self.trades = trades
            self.agentReturn = agentReturn
            self.oracleReturn = oracleReturn
        }

        /// The agent's out-of-sample return as a share of the oracle's (0 when the oracle earned nothing).
        var oracleShare: Double { oracleReturn > 0 ? agentReturn / oracleReturn : 0 }

        var line: String {
            String(format: "%@ (blocks %@): agent %+.2f%% (%d trades), oracle %+.2f%% (%d trades), share %.0f%% — %@", label, signs, agentReturn * 100,
                   trades, oracleReturn * 100, oracleTrades, oracleShare * 100, verdict)
        }
    }

    struct LuckCount: Sendable {
        var judged = 0, profitable = 0, oldGatePromoted = 0, promoted = 0
        static func + (a: LuckCount, b: LuckCount) -> LuckCount {
            LuckCount(judged: a.judged + b.judged, profitable: a.profitable + b.profitable,
                      oldGatePromoted: a.oldGatePromoted + b.oldGatePromoted, promoted: a.promoted + b.promoted)
        }
    }

    /// Ten seeded random bracket strategies (an entry about every 1,000 bars, under the risk manager) on
    /// the held-out range, each judged alone by the gate (one trial).
    static func judgeLuck(data: BacktestData, setup: BacktestSetup, rules: PromotionRules) throws -> LuckCount {
        let flat = BacktestMetrics(result: try BacktestRun.run(FlatPolicy(), data: data, setup: setup), barsPerYear: 525_600)
        var count = LuckCount()
        for seed in 1...10 as ClosedRange<UInt64> {
            let result = try BacktestRun.run(RandomPolicy(seed: seed, holdProbability: 0.999), data: data, setup: setup)
            let metrics = BacktestMetrics(result: result, barsPerYear: 525_600)
            let evidence = PromotionEvidence(returns: PromotionEvidence.periodReturns(equity: result.equityCurve, initial: result.initialCapital),
                                             trades: result.trades.count, barsPerYear: 525_600, trials: 1, samples: 1_000, seed: seed)
            let decision = PromotionDecision(candidate: metrics, evidence: evidence, flat: flat, current: nil, rules: rules)
            count.judged += 1
            if metrics.totalReturn > 0 { count.profitable += 1 }
            if metrics.trades >= 5, metrics.totalReturn > 0, metrics.maxDrawdown <= rules.maximumDrawdown { count.oldGatePromoted += 1 }
            if decision.promote { count.promoted += 1 }
        }
        return count
    }

    func run() async throws -> Outcome {
        let workspace = NSTemporaryDirectory() + "planted-edge-\(getpid())-\(seed)-\(edge)"
        try? FileManager.default.removeItem(atPath: workspace)
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        try prepare(workspace)
        let generator = MarketGenerator(seed: seed, edge: edge)
        let market = generator.generate(symbol: Self.symbol, start: Self.start, minutes: days * 1_440)
        let store = try SQLiteStore(path: workspace + "/data/trader.sqlite")
        _ = try store.migrate(MigrationCatalog.embedded(backend: .sqlite))
        _ = try store.upsertCandles(market.bars, symbol: Self.symbol, timeframe: .oneMinute)
        _ = try store.upsertFundingRates(market.funding, symbol: Self.symbol)

        let binaries = URL(fileURLWithPath: ChildProcess.currentExecutable).deletingLastPathComponent().path
        let pipeline = try await ChildProcess(
            binaries + "/pipeline",
            ["run", "--stages", "align,train,evaluate", "--symbols", Self.symbol.name, "--timesteps", "\(timesteps)", "--config", workspace + "/config"],
            environment: .inherit(["DB_URL": "sqlite:" + workspace + "/data/trader.sqlite"]), workingDirectory: workspace).run()
        guard pipeline.succeeded else { throw BenchError("pipeline run failed (status \(pipeline.status)): \(pipeline.combined.suffix(3_000))") }

        let reports = try FileManager.default.contentsOfDirectory(atPath: workspace + "/reports/evaluation").filter { $0.hasSuffix(".json") && !$0.contains(".records") && !$0.contains(".strategies") }
        guard let file = reports.first else { throw BenchError("no evaluation report: \(pipeline.combined.suffix(2_000))") }
        let report = try EvaluationReport.read(from: workspace + "/reports/evaluation/" + file)
        guard let version = report.candidateVersion, let promotion = report.promotion else { throw BenchError("the evaluation judged no candidate") }
        let artifact = try AgentFiles.load(directory: workspace + "/agents/\(Self.symbol.name)/\(version)")

        // The held-out range replayed with the agent and the oracle, through the same setup.
        let settings = try PipelineConfiguration.load(directory: workspace + "/config", environment: [:])
        guard let parameters = settings.engineParameters(for: Self.symbol), let heldOut = artifact.manifest.heldOutRange else {
            throw BenchError("no BTCUSDT parameters or held-out range")
        }
        var setup = BacktestSetup(symbol: Self.symbol, parameters: parameters, confirmation: settings.confirmationRules,
                                  initialCapital: settings.capitalPerSymbol, stopTimeframe: settings.risk.atr.timeframe,
                                  confirmationTimeframes: settings.symbols.confirmationTimeframes, from: heldOut.firstOpenTime, to: nil)
        setup.afterHalt = settings.training.evaluation.afterHalt
        let data = try BacktestData.load(from: store, setup: setup)
        let agent = try BacktestRun.run(AgentPolicy(artifact: artifact), data: data, setup: setup)
        let oracle = try BacktestRun.run(PlantedEdgeOracle(schedule: generator.schedule(symbol: Self.symbol)), data: data, setup: setup)
        var outcome = Outcome(label: label, signs: generator.schedule(symbol: Self.symbol).signText, promoted: promotion.promote,
                              verdict: promotion.summary, trades: agent.trades.count, agentReturn: agent.finalEquity / agent.initialCapital - 1,
                              oracleReturn: oracle.finalEquity / oracle.initialCapital - 1, oracleTrades: oracle.trades.count)
        if edge == 0 {
            let gate = settings.training.promotion
            outcome.luck = try Self.judgeLuck(data: data, setup: setup, rules: PromotionRules(
                minimumTrades: gate.minimumTrades, returnMarginOverFlat: gate.returnMarginOverFlat, sharpeMarginOverCurrent: gate.sharpeMarginOverCurrent,
                minimumProbabilisticSharpe: gate.minimumProbabilisticSharpe, minimumDeflatedSharpe: gate.minimumDeflatedSharpe,
                maximumDrawdown: parameters.risk.haltDrawdown, drawdownRoom: gate.drawdownRoom))
        }
        return outcome
    }

    /// The repository's configuration with BTCUSDT as the only symbol.
    func prepare(_ workspace: String) throws {
        let manager = FileManager.default
        for directory in ["config", "data", "agents", "reports"] {
            try manager.createDirectory(atPath: workspace + "/" + directory, withIntermediateDirectories: true)
        }
        for part in ["trading", "system", "ml"] { try manager.copyItem(atPath: configuration + "/" + part, toPath: workspace + "/config/" + part) }
        let symbols = workspace + "/config/trading/symbols.yaml"
        let text = try String(contentsOfFile: symbols, encoding: .utf8)
        guard let list = text.range(of: "\nsymbols:\n") else { throw BenchError("\(symbols) has no symbols: list") }
        try (String(text[..<list.upperBound]) + "  - symbol: BTCUSDT\n    leverage: {min: 5, max: 80}\n").write(toFile: symbols, atomically: true, encoding: .utf8)
    }
}

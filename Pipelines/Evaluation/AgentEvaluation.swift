import Foundation
import MarketModel
import Policy
import Storage
import TradingEngine

/// How an agent is evaluated.
public struct EvaluationPlan: Sendable {
    public var windows: Int
    public var bootstrapSamples: Int
    public var seed: UInt64
    public var filterNeighbours: Int
    public var filterBlockingShare: Double
    public var rules: PromotionRules
    /// Candidates tried for the symbol so far (every trained seed, this candidate included): the deflated
    /// Sharpe's trial count.
    public var trials: Int

    public init(windows: Int, bootstrapSamples: Int, seed: UInt64, filterNeighbours: Int, filterBlockingShare: Double, rules: PromotionRules,
                trials: Int = 1) {
        self.trials = trials
        self.windows = windows
        self.bootstrapSamples = bootstrapSamples
        self.seed = seed
        self.filterNeighbours = filterNeighbours
        self.filterBlockingShare = filterBlockingShare
        self.rules = rules
    }
}

/// One policy's out-of-sample figures: the whole held-out range, each walk-forward window, the
/// bootstrap intervals.
public struct PolicyEvaluation: Codable, Sendable {
    public struct Window: Codable, Sendable {
        public var from: String
        public var to: String
        public var metrics: BacktestMetrics
    }

    public var name: String
    /// candidate, current or baseline.
    public var role: String
    public var version: String?
    public var metrics: BacktestMetrics
    public var finalEquity: Double
    public var windows: [Window]
    public var confidence: BootstrapResult?
    public var refusals: [String: Int]
    /// The same policy under the live rule (a drawdown halt stays to the end), when `metrics` come from a
    /// run whose operator resumed after halts: the account's path as it would have been live.
    public var liveRule: BacktestMetrics?
}

/// Everything the evaluation of one symbol produced.
public struct AgentEvaluation {
    public var report: EvaluationReport
    public var records: [StrategyRecord]
    public var filter: LoserSimilarityFilter?
    public var chart: EquityChart
}

/// Backtests a candidate (and the current agent) on the held-out range through the one engine, next to
/// the baselines on the same bars with costs; builds strategy records, the loser filter and the verdict.
public struct AgentEvaluator {
    public let setup: BacktestSetup
    public let data: BacktestData
    public let plan: EvaluationPlan

    public init(setup: BacktestSetup, data: BacktestData, plan: EvaluationPlan) {
        self.setup = setup
        self.data = data
        self.plan = plan
    }

    var barsPerYear: Double { 525_600 / Double(setup.tradingTimeframe.milliseconds / 60_000) }

    /// Evaluates `candidate` (or, without one, re-evaluates `current`) from its held-out start to the last bar.
    public func evaluate(candidate: AgentArtifact?, current: AgentArtifact?, codeVersion: String, createdAt: String) throws -> AgentEvaluation {
        guard let subject = candidate ?? current else { throw BacktestError(description: "\(setup.symbol): no agent to evaluate") }
        guard let heldOut = subject.manifest.heldOutRange, let last = data.bars.last else {
            throw BacktestError(description: "\(setup.symbol) \(subject.manifest.version): the manifest records no held-out range")
        }
        guard let outOfSample = data.window(from: heldOut.firstOpenTime, to: last.openTime) else {
            throw BacktestError(description: "\(setup.symbol): no stored bars from \(UTCTime.format(heldOut.firstOpenTime)) on")
        }
        let layout = EntryContextLayout(featureNames: setup.spec.names)
        let barMilliseconds = setup.tradingTimeframe.milliseconds
        var notes: [String] = []
        let windowRanges = windows(from: heldOut.firstOpenTime, to: last.openTime)

        func evaluatePolicy(_ policy: any TradingPolicy, role: String, version: String?, bootstrap: Bool,
                            wholeRange: BacktestResult? = nil, windowed: Bool = true) throws -> (PolicyEvaluation, BacktestResult) {
            let result = try wholeRange ?? BacktestRun.run(any: policy, data: outOfSample, setup: setup)
            let metrics = BacktestMetrics(result: result, barsPerYear: barsPerYear)
            var perWindow: [PolicyEvaluation.Window] = []
            if windowed, windowRanges.count > 1 {
                for range in windowRanges {
                    guard let slice = data.window(from: range.from, to: range.to) else { continue }
                    let windowResult = try BacktestRun.run(any: policy, data: slice, setup: setup)
                    perWindow.append(.init(from: UTCTime.format(range.from), to: UTCTime.format(range.to),
                                           metrics: BacktestMetrics(result: windowResult, barsPerYear: barsPerYear)))
                }
            }
            let confidence = bootstrap ? ReturnBootstrap.run(equity: result.equityCurve, times: result.equityTimes, initial: result.initialCapital,
                                                             trades: result.trades.count, samples: plan.bootstrapSamples, seed: plan.seed) : nil
            return (PolicyEvaluation(name: policy.name, role: role, version: version, metrics: metrics, finalEquity: result.finalEquity,
                                     windows: perWindow, confidence: confidence, refusals: result.refusals, liveRule: nil), result)
        }

        // The subject out of sample, recording entry contexts.
        let ranking = StrategyRanking(layout: layout, setup: setup)
        let recorded = try BacktestRun.runDetailed(
            ContextRecordingPolicy(base: AgentPolicy(artifact: subject), layout: layout, barMilliseconds: barMilliseconds),
            data: outOfSample, setup: setup, entryFilter: nil)
        var (subjectEvaluation, subjectResult) = try evaluatePolicy(AgentPolicy(artifact: subject), role: candidate == nil ? "current" : "candidate",
                                                                    version: subject.manifest.version, bootstrap: true,
                                                                    wholeRange: recorded.result)
        subjectEvaluation.name = "agent"
        var records = ranking.records(trades: recorded.result.trades, contexts: recorded.policy.contexts,
                                      agentVersion: subject.manifest.version, phase: "held_out", filterEnabled: false)
        var series = [EquityChart.Series(label: "agent \(subject.manifest.version)", times: subjectResult.equityTimes, equity: subjectResult.equityCurve)]
        if setup.afterHalt != .stayHalted {
            var liveSetup = setup
            liveSetup.afterHalt = .stayHalted
            let live = try BacktestRun.run(AgentPolicy(artifact: subject), data: outOfSample, setup: liveSetup)
            subjectEvaluation.liveRule = BacktestMetrics(result: live, barsPerYear: barsPerYear)
            if live.operatorHalts > 0 {
                series.append(EquityChart.Series(label: "agent, live rule (halted for good)", times: live.equityTimes, equity: live.equityCurve))
            }
        }
        var evaluations = [subjectEvaluation]

        var currentMetrics: BacktestMetrics?
        if let current, candidate != nil, current.manifest.version != subject.manifest.version {
            var (evaluation, result) = try evaluatePolicy(AgentPolicy(artifact: current), role: "current", version: current.manifest.version, bootstrap: true)
            evaluation.name = "current"
            currentMetrics = evaluation.metrics
            evaluations.append(evaluation)
            series.append(EquityChart.Series(label: "current \(current.manifest.version)", times: result.equityTimes, equity: result.equityCurve))
            if let training = current.manifest.trainingRange, training.lastOpenTime >= heldOut.firstOpenTime {
                notes.append("the current agent \(current.manifest.version) was trained on bars up to \(UTCTime.format(training.lastOpenTime)), inside this range: its figures there are in-sample and flatter it")
            }
        }
        var flatMetrics: BacktestMetrics?
        for name in BacktestRun.baselineNames {
            let (evaluation, result): (PolicyEvaluation, BacktestResult)
            if let policy = BacktestRun.baseline(name, seed: plan.seed) {
                (evaluation, result) = try evaluatePolicy(policy, role: "baseline", version: nil, bootstrap: false)
            } else if let run = try BacktestRun.runBaseline(name, seed: plan.seed, data: outOfSample, setup: setup) {
                (evaluation, result) = try evaluatePolicy(FlatPolicy(), role: "baseline", version: nil, bootstrap: false, wholeRange: run,
                                                          windowed: false)
            } else { continue }
            var named = evaluation
            named.name = name
            if name == "flat" { flatMetrics = evaluation.metrics }
            evaluations.append(named)
            series.append(EquityChart.Series(label: name, times: result.equityTimes, equity: result.equityCurve))
        }

        // The loser-similarity filter: switched on or off on an inner validation split of the training range
        // (never on these held-out bars), then only reported out of sample.
        var filterEvaluation: LoserFilterEvaluation?
        var enabledFilter: LoserSimilarityFilter?
        // What the gate judges: the agent as it would trade, its loser filter applied when (in sample) it is on.
        var gated = (metrics: subjectEvaluation.metrics, result: subjectResult)
        if let training = subject.manifest.trainingRange, let inSample = data.window(from: training.firstOpenTime, to: training.lastOpenTime) {
            let decided = try decideLoserFilter(subject: subject, inSample: inSample, training: training, outOfSample: outOfSample,
                                                withoutOutOfSample: subjectEvaluation.metrics)
            records += decided.trainingRecords
            filterEvaluation = decided.evaluation
            enabledFilter = decided.enabled
            if decided.enabled != nil { gated = (decided.evaluation.with, decided.filteredOutOfSample) }
        } else {
            notes.append("no training range in the manifest: the loser filter was not evaluated")
        }

        var decision: PromotionDecision?
        if candidate != nil, let flatMetrics {
            let evidence = PromotionEvidence(
                returns: PromotionEvidence.periodReturns(equity: gated.result.equityCurve, initial: gated.result.initialCapital),
                trades: gated.result.trades.count, barsPerYear: barsPerYear, trials: plan.trials, samples: plan.bootstrapSamples, seed: plan.seed)
            decision = PromotionDecision(candidate: gated.metrics, evidence: evidence, flat: flatMetrics, current: currentMetrics,
                                         rules: plan.rules)
            if enabledFilter != nil { notes.append("the gate judged the agent with its loser filter, which it trades with (switched on in sample)") }
        }
        let report = EvaluationReport(
            symbol: setup.symbol.name, createdAt: createdAt, codeVersion: codeVersion, candidateVersion: candidate?.manifest.version,
            currentVersion: current?.manifest.version, from: UTCTime.format(heldOut.firstOpenTime), to: UTCTime.format(last.openTime),
            bars: outOfSample.bars.count - outOfSample.firstTraded, initialCapital: setup.initialCapital, policies: evaluations,
            loserFilter: filterEvaluation, promotion: decision, analysis: ContextAnalysis(records: records),
            strategyRecords: records.count, notes: notes + [
                "held out: never trained on (the agent's manifest records the split); costs: fees, slippage and funding as configured",
                "Sharpe is annualised from per-bar returns; the intervals come from resampled \(subjectEvaluation.confidence?.period == "hour" ? "hourly" : "daily") returns",
            ])
        var chart = EquityChart(title: "\(setup.symbol) out of sample \(report.from) → \(report.to): agent vs baselines (after costs)", series: series)
        chart.markers = EquityChart.haltMarkers(subjectResult)
        return AgentEvaluation(report: report, records: records, filter: enabledFilter, chart: chart)
    }

    /// `plan.windows` consecutive, equal time windows of `[from, to]`.
    func windows(from: Int64, to: Int64) -> [(from: Int64, to: Int64)] {
        let count = max(1, plan.windows)
        let span = (to - from + 60_000) / Int64(count)
        return (0..<count).map { index in
            let start = from + Int64(index) * span
            return (start, index == count - 1 ? to : start + span - 60_000)
        }
    }
}

/// The evaluation of one symbol as written to `reports/evaluation/{SYMBOL}-{version}.json`.
public struct EvaluationReport: Codable, Sendable {
    public var symbol: String
    public var createdAt: String
    public var codeVersion: String
    public var candidateVersion: String?
    public var currentVersion: String?
    /// The out-of-sample range, UTC.
    public var from: String
    public var to: String
    public var bars: Int
    public var initialCapital: Double
    public var policies: [PolicyEvaluation]
    public var loserFilter: LoserFilterEvaluation?
    public var promotion: PromotionDecision?
    public var analysis: ContextAnalysis
    public var strategyRecords: Int
    public var notes: [String]

    public func policy(_ name: String) -> PolicyEvaluation? { policies.first { $0.name == name } }

    public func write(to path: String) throws { try Self.writeReport(self, to: path) }

    /// Writes a report as pretty JSON with snake_case keys (non-finite numbers as text), atomically, creating
    /// its directory: the evaluation's and the walk-forward's format.
    static func writeReport(_ report: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try encoder.encode(report).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    public static func read(from path: String) throws -> EvaluationReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(EvaluationReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

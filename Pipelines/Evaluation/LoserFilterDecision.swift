import Foundation
import MarketModel
import Policy
import TradingEngine

/// The loser-similarity filter's figures: how it was decided (in sample) and what it does out of sample
/// (reported only).
public struct LoserFilterEvaluation: Codable, Sendable {
    public var trainingTrades: Int
    public var examples: Int
    /// Where the training range was split: the filter learned before it and was judged after it, UTC.
    public var validationFrom: String
    /// The agent on the inner validation split without and with the filter learned before it.
    public var validationWithout: BacktestMetrics
    public var validationWith: BacktestMetrics
    /// Out of sample with the filter learned on the whole training range: reported, never used to decide.
    public var without: BacktestMetrics
    public var with: BacktestMetrics
    public var filteredEntries: Int
    public var enabled: Bool
    public var reason: String
}

extension AgentEvaluator {
    /// Share of the training range that teaches the filter in its on/off decision; the rest judges it.
    static let filterLearningShare = 0.7

    /// Decides the loser filter without the held-out bars: it learns from the agent's trades in the first
    /// 70% of the training range and is switched on only if, on the last 30%, it improves both Sharpe and
    /// return. The filter kept (when on) learns from the whole training range; its out-of-sample effect is
    /// reported next to the decision and changes nothing.
    func decideLoserFilter(subject: AgentArtifact, inSample: BacktestData, training: AgentManifest.RowRange, outOfSample: BacktestData,
                           withoutOutOfSample: BacktestMetrics)
        throws -> (evaluation: LoserFilterEvaluation, enabled: LoserSimilarityFilter?, trainingRecords: [StrategyRecord],
                   filteredOutOfSample: BacktestResult)
    {
        let layout = EntryContextLayout(featureNames: setup.spec.names)
        let ranking = StrategyRanking(layout: layout, setup: setup)
        let trainingRun = try BacktestRun.runDetailed(
            ContextRecordingPolicy(base: AgentPolicy(artifact: subject), layout: layout, barMilliseconds: setup.tradingTimeframe.milliseconds),
            data: inSample, setup: setup, entryFilter: nil)
        let trainingRecords = ranking.records(trades: trainingRun.result.trades, contexts: trainingRun.policy.contexts,
                                              agentVersion: subject.manifest.version, phase: "training", filterEnabled: false)
        let span = training.lastOpenTime - training.firstOpenTime
        let split = training.firstOpenTime + Int64(Double(span) * Self.filterLearningShare) / 60_000 * 60_000
        // Trades closed before the split: an outcome after it would be the validation period's.
        let learning = trainingRecords.filter { ($0.exitTime ?? .max) < split }
        let innerFilter = ranking.filter(from: learning, neighbours: plan.filterNeighbours, blockingShare: plan.filterBlockingShare)
        var validationWithout = withoutOutOfSample, validationWith = withoutOutOfSample, validationSkipped = 0
        if let validation = inSample.window(from: split, to: training.lastOpenTime) {
            validationWithout = BacktestMetrics(result: try BacktestRun.run(AgentPolicy(artifact: subject), data: validation, setup: setup),
                                                barsPerYear: barsPerYear)
            let filtered = try BacktestRun.runDetailed(AgentPolicy(artifact: subject), data: validation, setup: setup, entryFilter: innerFilter)
            validationWith = BacktestMetrics(result: filtered.result, barsPerYear: barsPerYear)
            validationSkipped = filtered.filteredEntries
        }
        let better = validationWith.sharpe > validationWithout.sharpe && validationWith.totalReturn >= validationWithout.totalReturn
        let enough = learning.count >= plan.filterNeighbours * 2
        let enabled = enough && validationSkipped > 0 && better
        let reason: String
        if !enough {
            reason = "too few trades (\(learning.count)) before the validation split to learn from"
        } else if validationSkipped == 0 {
            reason = "it skipped no entry on the validation split"
        } else {
            reason = String(format: "on the training range's validation split it %@ Sharpe %.2f → %.2f and return %+.2f%% → %+.2f%% (%d entries skipped); decided in sample and frozen at publish",
                            better ? "improves" : "does not improve", validationWithout.sharpe, validationWith.sharpe,
                            validationWithout.totalReturn * 100, validationWith.totalReturn * 100, validationSkipped)
        }
        let kept = ranking.filter(from: trainingRecords, neighbours: plan.filterNeighbours, blockingShare: plan.filterBlockingShare)
        let outOfSampleRun = try BacktestRun.runDetailed(AgentPolicy(artifact: subject), data: outOfSample, setup: setup, entryFilter: kept)
        let evaluation = LoserFilterEvaluation(
            trainingTrades: trainingRun.result.trades.count, examples: kept.examples.count, validationFrom: UTCTime.format(split),
            validationWithout: validationWithout, validationWith: validationWith, without: withoutOutOfSample,
            with: BacktestMetrics(result: outOfSampleRun.result, barsPerYear: barsPerYear), filteredEntries: outOfSampleRun.filteredEntries,
            enabled: enabled, reason: (enabled ? "enabled: " : "disabled: ") + reason)
        return (evaluation, enabled ? kept : nil, trainingRecords, outOfSampleRun.result)
    }
}

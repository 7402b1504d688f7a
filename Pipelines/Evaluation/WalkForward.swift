import Foundation
import MarketModel
import Policy
import Storage
import TradingEngine

/// The folds of a walk-forward run: the stored 1m bars after the features' warm-up cut into `folds + 1`
/// equal segments by time. Fold i trains on every bar before boundary i less the purge and tests from
/// boundary i plus the embargo to the bar before boundary i + 1 (the last fold to the last bar).
public struct WalkForwardPlan: Sendable {
    public struct Fold: Sendable, Codable, Equatable {
        /// Last bar open time the fold's training may see, UTC ms.
        public var trainTo: Int64
        /// The test range, bar open times, UTC ms (inclusive).
        public var testFrom: Int64
        public var testTo: Int64
    }

    public var folds: [Fold]

    public init(store: any Store, symbol: Symbol, folds count: Int, warmUpMinutes: Int, purgeMinutes: Int, embargoMinutes: Int) throws {
        guard let coverage = try store.candleCoverage(symbol: symbol, timeframe: .oneMinute) else {
            throw BacktestError(description: "\(symbol): no 1m bars in the store")
        }
        let first = coverage.firstOpenTime + Int64(warmUpMinutes) * 60_000, last = coverage.lastOpenTime
        let segment = (last - first + 60_000) / Int64(count + 1) / 60_000 * 60_000
        let purge = Int64(purgeMinutes) * 60_000, embargo = Int64(embargoMinutes) * 60_000
        guard segment > purge + embargo + 60 * 60_000 else {
            throw BacktestError(description: "\(symbol): \((last - first) / 86_400_000) days after the warm-up are too few for \(count) folds with a purge of \(purgeMinutes) min and an embargo of \(embargoMinutes) min")
        }
        folds = (1...count).map { index in
            let boundary = first + Int64(index) * segment
            return Fold(trainTo: boundary - purge - 60_000, testFrom: boundary + embargo,
                        testTo: index == count ? last : boundary + segment - 60_000)
        }
    }
}

/// One fold's test: the fold's agent and the baselines on its test range.
public struct WalkForwardFold: Codable, Sendable {
    public var number: Int
    public var fold: WalkForwardPlan.Fold
    public var agentVersion: String
    /// Each policy's metrics, equity curve and times on the test range (the agent first).
    public var policies: [Run]

    public struct Run: Codable, Sendable {
        public var policy: String
        public var metrics: BacktestMetrics
        public var initialCapital: Double
        public var equity: [Double]
        public var times: [Int64]
    }

    public var line: String {
        let agent = policies[0].metrics
        let others = policies.dropFirst().map { String(format: "%@ %+.2f%%", $0.policy, $0.metrics.totalReturn * 100) }.joined(separator: ", ")
        return String(format: "fold %d: trained to %@, tested %@ → %@: agent %+.2f%% (Sharpe %.2f, %d trades, max dd %.2f%%); %@", number,
                      UTCTime.format(fold.trainTo), UTCTime.format(fold.testFrom), UTCTime.format(fold.testTo), agent.totalReturn * 100,
                      agent.sharpe, agent.trades, agent.maxDrawdown * 100, others)
    }

    /// Backtests `artifact` and the baselines on the fold's test range (features from the history before
    /// it) with `setup` (costs, rules, capital; its range is set here).
    public static func test(fold: WalkForwardPlan.Fold, number: Int, artifact: AgentArtifact, store: any Store, setup base: BacktestSetup,
                            seed: UInt64) throws -> WalkForwardFold {
        var setup = base
        setup.from = fold.testFrom
        setup.to = fold.testTo
        let data = try BacktestData.load(from: store, setup: setup)
        let barsPerYear = 525_600 / Double(setup.tradingTimeframe.milliseconds / 60_000)
        func run(_ name: String, _ result: BacktestResult) -> Run {
            Run(policy: name, metrics: BacktestMetrics(result: result, barsPerYear: barsPerYear), initialCapital: result.initialCapital,
                equity: result.equityCurve, times: result.equityTimes)
        }
        var policies = [run("agent", try BacktestRun.run(AgentPolicy(artifact: artifact), data: data, setup: setup))]
        for name in BacktestRun.baselineNames {
            if let result = try BacktestRun.runBaseline(name, seed: seed, data: data, setup: setup) { policies.append(run(name, result)) }
        }
        return WalkForwardFold(number: number, fold: fold, agentVersion: artifact.manifest.version, policies: policies)
    }
}

/// `reports/walk-forward/{SYMBOL}-{stamp}.json`: every fold and each policy's concatenated out-of-sample
/// equity (each fold's returns compounded onto the previous fold's end).
public struct WalkForwardReport: Codable, Sendable {
    public var symbol: String
    public var createdAt: String
    public var codeVersion: String
    public var purgeMinutes: Int
    public var embargoMinutes: Int
    public var folds: [WalkForwardFold]
    public var concatenated: [Summary]

    public struct Summary: Codable, Sendable {
        public var policy: String
        public var totalReturn: Double
        /// Annualised from the concatenated per-bar returns.
        public var sharpe: Double
        public var maxDrawdown: Double
        public var trades: Int
        public var equity: [Double]
        public var times: [Int64]
    }

    public init(symbol: String, createdAt: String, codeVersion: String, folds: [WalkForwardFold], purgeMinutes: Int, embargoMinutes: Int) {
        self.symbol = symbol
        self.createdAt = createdAt
        self.codeVersion = codeVersion
        self.purgeMinutes = purgeMinutes
        self.embargoMinutes = embargoMinutes
        self.folds = folds
        let names = folds.first?.policies.map(\.policy) ?? []
        concatenated = names.map { name in Self.concatenate(name, folds: folds) }
    }

    /// The policy's fold curves chained: each fold's per-bar returns applied to the equity the previous fold ended with.
    static func concatenate(_ name: String, folds: [WalkForwardFold]) -> Summary {
        let start = folds.first?.policies.first { $0.policy == name }?.initialCapital ?? 1
        var equity: [Double] = [], times: [Int64] = [], returns: [Double] = [], trades = 0
        var level = start, peak = start, drawdown = 0.0
        for fold in folds {
            guard let run = fold.policies.first(where: { $0.policy == name }) else { continue }
            trades += run.metrics.trades
            var previous = run.initialCapital
            for (value, time) in zip(run.equity, run.times) {
                let change = previous > 0 ? value / previous - 1 : 0
                previous = value
                level *= 1 + change
                returns.append(change)
                equity.append(level)
                times.append(time)
                peak = max(peak, level)
                drawdown = max(drawdown, (peak - level) / peak)
            }
        }
        let moments = SharpeStatistics.moments(returns)
        return Summary(policy: name, totalReturn: level / start - 1, sharpe: SharpeStatistics.sharpe(moments) * 525_600.0.squareRoot(),
                       maxDrawdown: drawdown, trades: trades, equity: equity, times: times)
    }

    public var summaryLines: [String] {
        ["concatenated out of sample (\(folds.count) folds):"] + concatenated.map {
            "  " + $0.policy.padding(toLength: 13, withPad: " ", startingAt: 0)
                + String(format: "return %+7.2f%%  Sharpe %7.2f  max dd %6.2f%%  trades %d", $0.totalReturn * 100, $0.sharpe, $0.maxDrawdown * 100, $0.trades)
        }
    }

    public func chart() -> EquityChart {
        var chart = EquityChart(title: "\(symbol) walk-forward: \(folds.count) folds retrained, concatenated out of sample (after costs)",
                                series: concatenated.map { EquityChart.Series(label: $0.policy, times: $0.times, equity: $0.equity) })
        chart.markers = folds.map { EquityChart.Marker(time: $0.fold.testFrom, label: "fold \($0.number)", kind: "fold") }
        return chart
    }

    public func write(to path: String) throws { try EvaluationReport.writeReport(self, to: path) }
}

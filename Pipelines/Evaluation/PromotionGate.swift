import Foundation
import TradingEngine

/// What a candidate must show out of sample to become `current` (`ml/training.yaml` `promotion:`). Every
/// threshold is about evidence, not a point estimate: luck must not pass it.
public struct PromotionRules: Sendable, Equatable {
    /// Fewest out-of-sample trades a Sharpe can rest on.
    public var minimumTrades: Int
    /// Total return must beat the flat baseline's by more than this (fraction).
    public var returnMarginOverFlat: Double
    /// Annualised Sharpe must beat the current agent's (same range) by more than this.
    public var sharpeMarginOverCurrent: Double
    /// P[true Sharpe > 0] (probabilistic Sharpe ratio) must be at least this.
    public var minimumProbabilisticSharpe: Double
    /// The deflated Sharpe ratio (the PSR against the best Sharpe expected from that many trials of luck)
    /// must be at least this.
    public var minimumDeflatedSharpe: Double
    /// The risk limit: `trading/risk.yaml` `halt_drawdown`.
    public var maximumDrawdown: Double
    /// Share of the halt threshold the drawdown must stay clear of (0.2: at most 80% of it).
    public var drawdownRoom: Double

    public init(minimumTrades: Int = 30, returnMarginOverFlat: Double = 0.005, sharpeMarginOverCurrent: Double = 0.5,
                minimumProbabilisticSharpe: Double = 0.95, minimumDeflatedSharpe: Double = 0.95, maximumDrawdown: Double,
                drawdownRoom: Double = 0.2) {
        self.minimumTrades = minimumTrades
        self.returnMarginOverFlat = returnMarginOverFlat
        self.sharpeMarginOverCurrent = sharpeMarginOverCurrent
        self.minimumProbabilisticSharpe = minimumProbabilisticSharpe
        self.minimumDeflatedSharpe = minimumDeflatedSharpe
        self.maximumDrawdown = maximumDrawdown
        self.drawdownRoom = drawdownRoom
    }

    /// The drawdown a candidate may show: (1 − room) × the halt threshold.
    public var drawdownLimit: Double { maximumDrawdown * (1 - drawdownRoom) }
}

/// The statistics the gate rests on, from the candidate's per-bar returns: the same series whose
/// annualised Sharpe the report shows (mean / population std × √bars per year).
public struct PromotionEvidence: Codable, Sendable, Equatable {
    /// Per-bar returns, and trades behind them.
    public var periods: Int
    public var trades: Int
    /// √(bars per year): per-bar Sharpe × this = the annualised Sharpe.
    public var annualisation: Double
    /// Per-bar Sharpe and the shape of the returns.
    public var sharpe: Double
    public var skewness: Double
    public var kurtosis: Double
    /// 95% stationary-bootstrap interval of the per-bar Sharpe (blocks keep the trades' serial dependence).
    public var bootstrap: ConfidenceInterval?
    public var meanBlockLength: Double
    public var bootstrapSamples: Int
    /// P[true Sharpe > 0].
    public var probabilisticSharpe: Double
    /// Candidates tried for the symbol (every trained seed), the per-bar Sharpe the best of that many
    /// zero-edge trials reaches by luck, and P[true Sharpe > that benchmark].
    public var trials: Int
    public var deflatedBenchmark: Double
    public var deflatedSharpe: Double

    /// - Parameters:
    ///   - returns: per-bar returns of the candidate's out-of-sample equity.
    ///   - barsPerYear: 525,600 for 1m bars.
    ///   - trials: candidates tried for the symbol, this one included (at least 1).
    public init(returns: [Double], trades: Int, barsPerYear: Double, trials: Int, samples: Int, seed: UInt64) {
        let moments = SharpeStatistics.moments(returns)
        periods = returns.count
        self.trades = trades
        annualisation = barsPerYear.squareRoot()
        sharpe = SharpeStatistics.sharpe(moments)
        skewness = moments.skewness
        kurtosis = moments.kurtosis
        meanBlockLength = StationaryBootstrap.defaultBlockLength(count: returns.count)
        bootstrapSamples = samples
        bootstrap = StationaryBootstrap.sharpeInterval(returns: returns, meanBlockLength: meanBlockLength, samples: samples, seed: seed)
        probabilisticSharpe = SharpeStatistics.probabilisticSharpeRatio(sharpe: sharpe, benchmark: 0, count: returns.count,
                                                                         skewness: skewness, kurtosis: kurtosis)
        self.trials = max(1, trials)
        (deflatedSharpe, deflatedBenchmark) = SharpeStatistics.deflatedSharpeRatio(
            sharpe: sharpe, count: returns.count, skewness: skewness, kurtosis: kurtosis, trials: self.trials, trialSharpeVariance: nil)
    }

    /// Per-bar returns of an equity curve that starts from `initial`, fractions.
    public static func periodReturns(equity: [Double], initial: Double) -> [Double] {
        var previous = initial
        return equity.map { value in
            defer { previous = value }
            return previous > 0 ? value / previous - 1 : 0
        }
    }
}

/// The gate's verdict with every check, passed or not, each with its number.
public struct PromotionDecision: Codable, Sendable, Equatable {
    public struct Check: Codable, Sendable, Equatable {
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    public var promote: Bool
    public var checks: [Check]
    /// One line: "promoted: …" or "rejected: <the failed checks>".
    public var summary: String
    public var evidence: PromotionEvidence

    /// Judges `candidate` (metrics and `evidence` from the same out-of-sample run) against the flat
    /// baseline and the current agent, all on the same held-out range.
    public init(candidate: BacktestMetrics, evidence: PromotionEvidence, flat: BacktestMetrics, current: BacktestMetrics?,
                rules: PromotionRules) {
        func percent(_ value: Double) -> String { String(format: "%+.2f%%", value * 100) }
        let yearly = evidence.annualisation
        let lower = evidence.bootstrap?.lower ?? -.infinity
        var checks = [
            Check(name: "trades", passed: candidate.trades >= rules.minimumTrades,
                  detail: "\(candidate.trades) out-of-sample trades (minimum \(rules.minimumTrades))"),
            Check(name: "bootstrap", passed: lower > 0,
                  detail: String(format: "Sharpe 95%% block-bootstrap lower bound %.2f (must be > 0; %d resamples, mean block %.0f bars)",
                                 lower * yearly, evidence.bootstrapSamples, evidence.meanBlockLength)),
            Check(name: "probabilistic_sharpe", passed: evidence.probabilisticSharpe >= rules.minimumProbabilisticSharpe,
                  detail: String(format: "probabilistic Sharpe %.3f (P[Sharpe > 0], minimum %.2f)", evidence.probabilisticSharpe,
                                 rules.minimumProbabilisticSharpe)),
            Check(name: "deflated_sharpe", passed: evidence.deflatedSharpe >= rules.minimumDeflatedSharpe,
                  detail: String(format: "deflated Sharpe %.3f over %d trial(s) (P[Sharpe > %.2f, the best of %d by luck], minimum %.2f)",
                                 evidence.deflatedSharpe, evidence.trials, evidence.deflatedBenchmark * yearly, evidence.trials,
                                 rules.minimumDeflatedSharpe)),
            Check(name: "beats_flat", passed: candidate.totalReturn - flat.totalReturn > rules.returnMarginOverFlat,
                  detail: "return \(percent(candidate.totalReturn)) vs flat \(percent(flat.totalReturn)) (margin \(percent(rules.returnMarginOverFlat)))"),
            Check(name: "no_halt", passed: candidate.halts == 0,
                  detail: "\(candidate.halts) drawdown halt(s) out of sample (live, the first would have stopped it)"),
            Check(name: "drawdown", passed: candidate.maxDrawdown <= rules.drawdownLimit,
                  detail: String(format: "max drawdown %.2f%% (limit %.2f%%: the %.2f%% halt less %.0f%% room)", candidate.maxDrawdown * 100,
                                 rules.drawdownLimit * 100, rules.maximumDrawdown * 100, rules.drawdownRoom * 100)),
        ]
        if let current {
            checks.append(Check(name: "beats_current", passed: candidate.sharpe - current.sharpe > rules.sharpeMarginOverCurrent,
                                detail: String(format: "Sharpe %.2f vs current %.2f (margin %.2f)", candidate.sharpe, current.sharpe,
                                               rules.sharpeMarginOverCurrent)))
        } else {
            checks.append(Check(name: "beats_current", passed: true, detail: "no current agent"))
        }
        self.checks = checks
        self.evidence = evidence
        promote = checks.allSatisfy(\.passed)
        summary = promote
            ? "promoted: " + checks.map(\.detail).joined(separator: "; ")
            : "rejected: " + checks.filter { !$0.passed }.map(\.detail).joined(separator: "; ")
    }
}

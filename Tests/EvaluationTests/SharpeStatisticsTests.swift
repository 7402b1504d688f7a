import Evaluation
import Foundation
import MarketModel
import Testing

// Reference values come from Python (numpy 2.4, scipy 1.17): scipy.stats.norm, skew, kurtosis(fisher=False),
// population std (ddof=0), with the formulas of SharpeStatistics written out independently.

/// |actual − expected| ≤ tolerance · max(1, |expected|).
private func isClose(_ actual: Double, _ expected: Double, _ tolerance: Double = 1e-12) -> Bool {
    abs(actual - expected) <= tolerance * max(1, abs(expected))
}

/// Standard normal draws by Box–Muller from a seeded SplitMix64.
private func normalSeries(count: Int, seed: UInt64) -> [Double] {
    var random = SplitMix64(seed: seed)
    return (0..<count).map { _ in (-2 * log(1 - random.unit())).squareRoot() * cos(2 * Double.pi * random.unit()) }
}

@Suite struct SharpeStatisticsTests {
    let series = [0.01, -0.02, 0.03, 0, 0.015]

    @Test func momentsOfASmallSeriesMatchScipy() {
        let moments = SharpeStatistics.moments(series)
        #expect(moments.count == 5)
        #expect(isClose(moments.mean, 0.007))  // 0.035 / 5
        #expect(isClose(moments.standardDeviation, 0.01661324772583615, 1e-13))  // numpy std(ddof=0)
        #expect(isClose(moments.skewness, -0.3192842190535617, 1e-12))  // scipy skew
        #expect(isClose(moments.kurtosis, 2.147290485192186, 1e-12))  // scipy kurtosis(fisher=False)
        #expect(isClose(SharpeStatistics.sharpe(moments), 0.4213504858001922, 1e-12))  // 0.007 / 0.016613
    }

    @Test func aConstantSeriesHasNoSpreadAndTheNormalShape() {
        let moments = SharpeStatistics.moments([0.1, 0.1, 0.1])
        #expect(moments == SharpeStatistics.Moments(count: 3, mean: 0.1, standardDeviation: 0, skewness: 0, kurtosis: 3))
        #expect(SharpeStatistics.sharpe(moments) == 0)
        #expect(SharpeStatistics.moments([]) == SharpeStatistics.Moments(count: 0, mean: 0, standardDeviation: 0, skewness: 0, kurtosis: 3))
    }

    @Test func momentsSurviveALargeConstantOffset() {
        // Spread and shape do not depend on the level; the two-pass sums keep them at 1000 + x.
        let plain = SharpeStatistics.moments(series), shifted = SharpeStatistics.moments(series.map { $0 + 1_000 })
        #expect(isClose(shifted.mean, 1_000.007, 1e-15))
        #expect(abs(shifted.standardDeviation / plain.standardDeviation - 1) < 1e-9)
        #expect(abs(shifted.skewness - plain.skewness) < 1e-7 && abs(shifted.kurtosis - plain.kurtosis) < 1e-7)
    }

    @Test func theNormalCDFIsAccurateInTheCentreAndTheTails() {
        #expect(SharpeStatistics.normalCDF(0) == 0.5)
        #expect(isClose(SharpeStatistics.normalCDF(1.96), 0.9750021048517795))  // norm.cdf(1.96)
        #expect(abs(SharpeStatistics.normalCDF(-8) / 6.22096057427174e-16 - 1) < 1e-12)  // norm.cdf(-8), relative
        for x in stride(from: -6.0, through: 6.0, by: 0.5) {
            #expect(abs(SharpeStatistics.normalCDF(x) + SharpeStatistics.normalCDF(-x) - 1) < 1e-15, "symmetry at \(x)")
        }
    }

    @Test func theInverseNormalCDFInvertsItToMachinePrecision() {
        #expect(isClose(SharpeStatistics.inverseNormalCDF(0.975), 1.959963984540054))  // norm.ppf(0.975)
        #expect(SharpeStatistics.inverseNormalCDF(0.5) == 0)
        #expect(isClose(SharpeStatistics.inverseNormalCDF(1e-10), -6.361340902404056))  // norm.ppf(1e-10)
        #expect(isClose(SharpeStatistics.inverseNormalCDF(1 - 1e-10), 6.361340889697422))  // norm.ppf(1 - 1e-10)
        // Round trips: relative in the lower tail, absolute near 1.
        #expect(abs(SharpeStatistics.normalCDF(SharpeStatistics.inverseNormalCDF(1e-10)) / 1e-10 - 1) < 1e-12)
        #expect(abs(SharpeStatistics.normalCDF(SharpeStatistics.inverseNormalCDF(1 - 1e-10)) - (1 - 1e-10)) < 1e-15)
        for step in 1..<1_000 {
            let p = Double(step) / 1_000
            #expect(abs(SharpeStatistics.normalCDF(SharpeStatistics.inverseNormalCDF(p)) - p) < 1e-15, "round trip at \(p)")
        }
    }

    @Test func theStandardErrorAndPSRFollowMertensForSkewedFatTailedReturns() {
        // SR = 0.1 per period, n = 250, γ3 = −0.5, γ4 = 5: radicand 1 + 0.05 + 0.01 = 1.06,
        // SE = √(1.06 / 249) = 0.0652459; PSR(0) = Φ(0.1 / 0.0652459) = Φ(1.53266) = 0.937321.
        let standardError = SharpeStatistics.sharpeStandardError(sharpe: 0.1, count: 250, skewness: -0.5, kurtosis: 5)
        #expect(isClose(standardError, 0.06524590494774211))
        #expect(isClose(SharpeStatistics.probabilisticSharpeRatio(sharpe: 0.1, benchmark: 0, count: 250, skewness: -0.5, kurtosis: 5),
                        0.937320574390259))
        // Φ(0.05 / 0.0652459) = Φ(0.76633) = 0.778260.
        #expect(isClose(SharpeStatistics.probabilisticSharpeRatio(sharpe: 0.1, benchmark: 0.05, count: 250, skewness: -0.5, kurtosis: 5),
                        0.7782604955766101))
    }

    @Test func forNormalReturnsThePSRReducesToTheTextbookForm() {
        // γ3 = 0, γ4 = 3: PSR(0) = Φ(SR·√(n − 1) / √(1 + SR²/2)) = Φ(0.05·√999 / √1.00125) = Φ(1.57935).
        let ratio = SharpeStatistics.probabilisticSharpeRatio(sharpe: 0.05, benchmark: 0, count: 1_000, skewness: 0, kurtosis: 3)
        #expect(isClose(ratio, 0.9428733922457418))
    }

    @Test func thePSROfTheSmallSeriesMatchesPython() {
        let moments = SharpeStatistics.moments(series)
        let ratio = SharpeStatistics.probabilisticSharpeRatio(sharpe: SharpeStatistics.sharpe(moments), benchmark: 0, count: moments.count,
                                                              skewness: moments.skewness, kurtosis: moments.kurtosis)
        #expect(isClose(ratio, 0.7805296261520005, 1e-11))  // norm.cdf(0.42135 / se(0.42135, 5, −0.31928, 2.14729))
    }

    @Test func aNonPositiveRadicandOrTooFewReturnsAreGuarded() {
        // 1 − 3·1 + 0·1 = −2 ≤ 0, so the null value √(1/100) = 0.1 is used.
        #expect(isClose(SharpeStatistics.sharpeStandardError(sharpe: 1, count: 101, skewness: 3, kurtosis: 1), 0.1))
        #expect(SharpeStatistics.sharpeStandardError(sharpe: 0.1, count: 1, skewness: 0, kurtosis: 3) == .infinity)
        #expect(SharpeStatistics.probabilisticSharpeRatio(sharpe: 0.1, benchmark: 0, count: 1, skewness: 0, kurtosis: 3) == 0.5)
    }

    @Test func theExpectedMaximumSharpeMatchesTheExtremeValueFormula() {
        // √V·((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))): N = 10 → 0.42278·1.28155 + 0.57722·1.78904.
        #expect(isClose(SharpeStatistics.expectedMaximumSharpe(trials: 10, variance: 1), 1.57459830134575))
        #expect(isClose(SharpeStatistics.expectedMaximumSharpe(trials: 100, variance: 1), 2.5306028932016846))
        #expect(isClose(SharpeStatistics.expectedMaximumSharpe(trials: 1_000, variance: 0.25), 1.6275607568263615))
        #expect(SharpeStatistics.expectedMaximumSharpe(trials: 1, variance: 1) == 0)
        #expect(SharpeStatistics.expectedMaximumSharpe(trials: 0, variance: 1) == 0)
    }

    @Test func theDeflatedSharpeFallsAsTrialsRiseAndIsThePSROfZeroForOneTrial() {
        func deflated(_ trials: Int) -> (ratio: Double, benchmark: Double) {
            SharpeStatistics.deflatedSharpeRatio(sharpe: 0.02, count: 10_000, skewness: -0.3, kurtosis: 6, trials: trials,
                                                 trialSharpeVariance: nil)
        }
        let single = deflated(1)
        #expect(single.benchmark == 0)
        #expect(single.ratio == SharpeStatistics.probabilisticSharpeRatio(sharpe: 0.02, benchmark: 0, count: 10_000, skewness: -0.3,
                                                                          kurtosis: 6))
        #expect(isClose(single.ratio, 0.9768929097556444))  // Python psr(0.02, 0, 10000, −0.3, 6)
        // N = 10, V = 1/9999: SR0 = 1.574598 / √9999 = 0.0157468, DSR = 0.664190.
        #expect(isClose(deflated(10).benchmark, 0.01574677037166053) && isClose(deflated(10).ratio, 0.6641901702428201))
        let results = [1, 2, 5, 10, 100, 1_000, 10_000].map(deflated)
        for (fewer, more) in zip(results, results.dropFirst()) {
            #expect(more.ratio < fewer.ratio && more.benchmark > fewer.benchmark)
        }
    }

    @Test func theTrialVarianceIsFlooredAtTheNullVarianceOfTheEstimator() {
        func deflated(_ variance: Double?) -> (ratio: Double, benchmark: Double) {
            SharpeStatistics.deflatedSharpeRatio(sharpe: 0.02, count: 10_000, skewness: -0.3, kurtosis: 6, trials: 10,
                                                 trialSharpeVariance: variance)
        }
        let floor = SharpeStatistics.expectedMaximumSharpe(trials: 10, variance: 1.0 / 9_999)
        for variance in [nil, 0, 1e-6, 1.0 / 9_999] as [Double?] {
            #expect(deflated(variance).benchmark == floor, "variance \(String(describing: variance))")
        }
        // Above the floor the recorded variance counts: V = 1e-3 → SR0 = 0.0497932, DSR = 0.00149127.
        #expect(isClose(deflated(1e-3).benchmark, 0.04979317032084743) && isClose(deflated(1e-3).ratio, 0.001491265271727268, 1e-9))
    }
}

@Suite struct StationaryBootstrapTests {
    /// x_t = φ·x_{t−1} + ε_t with ε standard normal, scaled to fraction-sized returns.
    static func autoregressive(count: Int, coefficient: Double, seed: UInt64) -> [Double] {
        var previous = 0.0
        return normalSeries(count: count, seed: seed).map { shock in
            previous = coefficient * previous + shock
            return 0.001 * previous
        }
    }

    static func width(_ interval: ConfidenceInterval?) -> Double {
        interval.map { $0.upper - $0.lower } ?? .nan
    }

    /// Plain iid bootstrap of the per-period Sharpe (the reference for L = 1): the 95% interval width.
    static func iidWidth(_ returns: [Double], samples: Int, seed: UInt64) -> Double {
        var random = SplitMix64(seed: seed)
        var sharpes: [Double] = []
        for _ in 0..<samples {
            let draw = returns.indices.map { _ in returns[Int(random.next() % UInt64(returns.count))] }
            sharpes.append(SharpeStatistics.sharpe(SharpeStatistics.moments(draw)))
        }
        sharpes.sort()
        return sharpes[Int(Double(samples - 1) * 0.975)] - sharpes[Int(Double(samples - 1) * 0.025)]
    }

    @Test func theSameSeedGivesTheSameInterval() throws {
        let returns = normalSeries(count: 500, seed: 11).map { 0.01 * $0 }
        let first = try #require(StationaryBootstrap.sharpeInterval(returns: returns, meanBlockLength: 8, samples: 300, seed: 5))
        let second = StationaryBootstrap.sharpeInterval(returns: returns, meanBlockLength: 8, samples: 300, seed: 5)
        #expect(first == second)
        #expect(first != StationaryBootstrap.sharpeInterval(returns: returns, meanBlockLength: 8, samples: 300, seed: 6))
        #expect(first.lower < first.upper)
    }

    @Test func tooFewReturnsGiveNoIntervalAndAConstantSeriesGivesZero() {
        #expect(StationaryBootstrap.sharpeInterval(returns: [0.01], meanBlockLength: 1, samples: 100, seed: 1) == nil)
        #expect(StationaryBootstrap.sharpeInterval(returns: [0.01, 0.02], meanBlockLength: 1, samples: 0, seed: 1) == nil)
        let constant = StationaryBootstrap.sharpeInterval(returns: [0.002, 0.002, 0.002], meanBlockLength: 2, samples: 50, seed: 1)
        #expect(constant?.lower == 0 && constant?.upper == 0)
    }

    @Test func theOnePassSharpeMatchesThePlainLoopReferenceResamples() throws {
        // Same seed, same draws: sort the Sharpes of materialised resamples and take the same percentiles.
        let returns = Self.autoregressive(count: 200, coefficient: 0.5, seed: 3).map { $0 + 0.0002 }
        let samples = 101
        var random = SplitMix64(seed: 9)
        let sharpes = (0..<samples).map { _ in
            SharpeStatistics.sharpe(SharpeStatistics.moments(StationaryBootstrap.resample(returns, meanBlockLength: 6, random: &random)))
        }.sorted()
        let interval = try #require(StationaryBootstrap.sharpeInterval(returns: returns, meanBlockLength: 6, samples: samples, seed: 9))
        #expect(isClose(interval.lower, sharpes[2], 1e-12))  // ⌊100 · 0.025⌋ = 2
        #expect(isClose(interval.upper, sharpes[97], 1e-12))  // ⌊100 · 0.975⌋ = 97
    }

    @Test func aStrongPositiveMeanKeepsTheLowerBoundAboveZero() throws {
        // Sharpe ≈ 0.001 / 0.01 = 0.1 per period over 2,000 periods: SE ≈ 1/√1999 = 0.022, so 0.1 − 2·0.022 > 0.
        let returns = normalSeries(count: 2_000, seed: 21).map { 0.001 + 0.01 * $0 }
        let interval = try #require(StationaryBootstrap.sharpeInterval(returns: returns, meanBlockLength: 10, samples: 500, seed: 2))
        let sharpe = SharpeStatistics.sharpe(SharpeStatistics.moments(returns))
        #expect(interval.lower > 0 && interval.lower < sharpe && sharpe < interval.upper)
    }

    @Test func aZeroMeanSeriesHasAnIntervalContainingZero() throws {
        let raw = normalSeries(count: 2_000, seed: 31).map { 0.01 * $0 }
        let mean = raw.reduce(0, +) / Double(raw.count)
        let returns = raw.map { $0 - mean }  // sample Sharpe exactly 0 up to rounding
        let interval = try #require(StationaryBootstrap.sharpeInterval(returns: returns, meanBlockLength: 12, samples: 500, seed: 4))
        #expect(interval.lower < 0 && interval.upper > 0)
    }

    @Test func withMeanBlockLengthOneTheWidthMatchesTheIIDBootstrap() throws {
        // L = 1 jumps at every step, i.e. resamples single returns with replacement. Both widths should be
        // near the normal-theory 2·1.96·SE = 3.92/√2999 = 0.0716 (Monte Carlo error of a 400-sample
        // percentile width is a few percent).
        let returns = normalSeries(count: 3_000, seed: 41).map { 0.0002 + 0.01 * $0 }
        let stationary = Self.width(StationaryBootstrap.sharpeInterval(returns: returns, meanBlockLength: 1, samples: 400, seed: 8))
        let iid = Self.iidWidth(returns, samples: 400, seed: 8)
        #expect(abs(stationary / iid - 1) < 0.15)
        #expect(abs(stationary / (3.92 / 2_999.0.squareRoot()) - 1) < 0.15)
    }

    @Test func blocksWidenTheIntervalOfAnAutocorrelatedSeries() throws {
        // AR(1), φ = 0.8: the Sharpe's variance is inflated by about (1 + φ)/(1 − φ) = 9 (width × 3), which
        // single-return resampling (L = 1) cannot see and blocks of mean length 20 mostly recover.
        let returns = Self.autoregressive(count: 4_000, coefficient: 0.8, seed: 51).map { $0 + 0.0001 }
        let single = Self.width(StationaryBootstrap.sharpeInterval(returns: returns, meanBlockLength: 1, samples: 400, seed: 12))
        let blocks = Self.width(StationaryBootstrap.sharpeInterval(returns: returns, meanBlockLength: 20, samples: 400, seed: 12))
        #expect(blocks > 1.8 * single)
    }

    @Test func theDefaultBlockLengthGrowsAsTheCubeRootOfTheCount() {
        // round(n^(1/3)), at least 1: 70,000^(1/3) = 41.2.
        #expect(StationaryBootstrap.defaultBlockLength(count: 70_000) == 41)
        #expect(StationaryBootstrap.defaultBlockLength(count: 1_000) == 10)
        #expect(StationaryBootstrap.defaultBlockLength(count: 1) == 1 && StationaryBootstrap.defaultBlockLength(count: 0) == 1)
    }
}

import Foundation

/// Statistics for judging a Sharpe ratio honestly: its moments, its standard error under non-normal
/// returns, the probability that it beats a benchmark, and the bar it must clear after many trials.
///
/// Every Sharpe ratio here is **per period** (mean / population standard deviation of the period
/// returns, e.g. per 1m bar), never annualised: the standard error formula counts periods, so an
/// annualised Sharpe must be divided by √(periods per year) before it is passed in.
public enum SharpeStatistics {
    /// Sample moments of a return series, all population (divide by n) estimates.
    public struct Moments: Sendable, Codable, Equatable {
        /// Number of returns.
        public var count: Int
        /// Arithmetic mean, fraction per period.
        public var mean: Double
        /// Population standard deviation √(m₂), fraction per period.
        public var standardDeviation: Double
        /// γ₃ = m₃ / m₂^(3/2); 0 for a symmetric (or constant) series.
        public var skewness: Double
        /// Non-excess kurtosis γ₄ = m₄ / m₂²; 3 for a normal (or constant) series.
        public var kurtosis: Double

        public init(count: Int, mean: Double, standardDeviation: Double, skewness: Double, kurtosis: Double) {
            self.count = count
            self.mean = mean
            self.standardDeviation = standardDeviation
            self.skewness = skewness
            self.kurtosis = kurtosis
        }
    }

    /// The Euler–Mascheroni constant γ.
    public static let eulerMascheroni = 0.577_215_664_901_532_9

    /// Moments of `returns` in two passes: the mean, then the central sums m_k = Σ(x − mean)^k / n, with
    /// the rounding error of the first-pass mean (the residual Σ(x − mean)) shifted out of m₂, m₃, m₄.
    /// A constant series (including the empty one) has standard deviation 0, skewness 0 and kurtosis 3,
    /// its mean the constant itself, so rounding never fakes a spread.
    public static func moments(_ returns: [Double]) -> Moments {
        guard let first = returns.first else { return Moments(count: 0, mean: 0, standardDeviation: 0, skewness: 0, kurtosis: 3) }
        let count = Double(returns.count)
        var sum = 0.0, isConstant = true
        for value in returns {
            sum += value
            if value != first { isConstant = false }
        }
        guard !isConstant else { return Moments(count: returns.count, mean: first, standardDeviation: 0, skewness: 0, kurtosis: 3) }
        let provisionalMean = sum / count
        var firstSum = 0.0, secondSum = 0.0, thirdSum = 0.0, fourthSum = 0.0
        for value in returns {
            let deviation = value - provisionalMean, square = deviation * deviation
            firstSum += deviation
            secondSum += square
            thirdSum += square * deviation
            fourthSum += square * square
        }
        // Σ(x − mean) is only rounding error δ·n; shift the sums from the provisional to the exact mean.
        let shift = firstSum / count, shiftSquared = shift * shift
        let mean = provisionalMean + shift
        let second = secondSum / count - shiftSquared
        let third = thirdSum / count - 3 * shift * secondSum / count + 2 * shiftSquared * shift
        let fourth = fourthSum / count - 4 * shift * thirdSum / count + 6 * shiftSquared * secondSum / count
            - 3 * shiftSquared * shiftSquared
        guard second > 0 else { return Moments(count: returns.count, mean: mean, standardDeviation: 0, skewness: 0, kurtosis: 3) }
        return Moments(count: returns.count, mean: mean, standardDeviation: second.squareRoot(),
                       skewness: third / (second * second.squareRoot()), kurtosis: fourth / (second * second))
    }

    /// Per-period Sharpe ratio mean / standardDeviation (no risk-free rate, not annualised); 0 when the
    /// standard deviation is 0.
    public static func sharpe(_ moments: Moments) -> Double {
        moments.standardDeviation > 0 ? moments.mean / moments.standardDeviation : 0
    }

    /// Standard normal CDF Φ(x) = ½·erfc(−x/√2); erfc keeps full relative accuracy in the lower tail.
    public static func normalCDF(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot())
    }

    /// Standard normal quantile Φ⁻¹(p): Acklam's rational approximation (relative error < 1.15·10⁻⁹)
    /// refined by one Halley step x ← x − u / (1 + x·u/2), u = (Φ(x) − p)·√(2π)·e^(x²/2), which brings it
    /// to near machine precision. Works on the lower tail q = min(p, 1 − p) (1 − p is exact for p ≥ ½)
    /// and reflects, so both tails keep their accuracy.
    /// - Precondition: 0 < p < 1.
    public static func inverseNormalCDF(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "inverseNormalCDF needs 0 < p < 1, got \(p)")
        let tail = min(p, 1 - p)
        var x: Double
        if tail < 0.024_25 {
            let t = (-2 * log(tail)).squareRoot()
            x = (((((-7.784_894_002_430_293e-03 * t - 3.223_964_580_411_365e-01) * t - 2.400_758_277_161_838e+00) * t
                - 2.549_732_539_343_734e+00) * t + 4.374_664_141_464_968e+00) * t + 2.938_163_982_698_783e+00)
                / ((((7.784_695_709_041_462e-03 * t + 3.224_671_290_700_398e-01) * t + 2.445_134_137_142_996e+00) * t
                    + 3.754_408_661_907_416e+00) * t + 1)
        } else {
            let r = tail - 0.5, s = r * r
            x = (((((-3.969_683_028_665_376e+01 * s + 2.209_460_984_245_205e+02) * s - 2.759_285_104_469_687e+02) * s
                + 1.383_577_518_672_690e+02) * s - 3.066_479_806_614_716e+01) * s + 2.506_628_277_459_239e+00) * r
                / (((((-5.447_609_879_822_406e+01 * s + 1.615_858_368_580_409e+02) * s - 1.556_989_798_598_866e+02) * s
                    + 6.680_131_188_771_972e+01) * s - 1.328_068_155_288_572e+01) * s + 1)
        }
        let u = (normalCDF(x) - tail) * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return p > 0.5 ? -x : x
    }

    /// Standard error of the per-period Sharpe estimator for non-normal iid returns (Mertens 2002;
    /// Bailey & López de Prado 2012):
    ///
    ///     SE = √((1 − γ₃·SR + (γ₄ − 1)/4 · SR²) / (n − 1))
    ///
    /// with γ₃ the skewness and γ₄ the non-excess kurtosis. If sampling noise makes the radicand ≤ 0 the
    /// normal null value 1/(n − 1) is used instead. Fewer than two returns carry no information: the
    /// error is +∞.
    public static func sharpeStandardError(sharpe: Double, count: Int, skewness: Double, kurtosis: Double) -> Double {
        guard count >= 2 else { return .infinity }
        let periods = Double(count - 1)
        let radicand = 1 - skewness * sharpe + (kurtosis - 1) / 4 * sharpe * sharpe
        return ((radicand > 0 ? radicand : 1) / periods).squareRoot()
    }

    /// Probabilistic Sharpe ratio (Bailey & López de Prado 2012, "The Sharpe Ratio Efficient Frontier"):
    /// the probability that the true per-period Sharpe exceeds `benchmark` SR*, given the observed SR,
    ///
    ///     PSR(SR*) = Φ((SR − SR*) / SE)
    ///
    /// with SE from `sharpeStandardError` evaluated at the observed SR. ½ when SE is infinite (count < 2).
    public static func probabilisticSharpeRatio(sharpe: Double, benchmark: Double, count: Int, skewness: Double,
                                                kurtosis: Double) -> Double {
        let standardError = sharpeStandardError(sharpe: sharpe, count: count, skewness: skewness, kurtosis: kurtosis)
        guard standardError.isFinite else { return 0.5 }
        return normalCDF((sharpe - benchmark) / standardError)
    }

    /// Expected maximum of `trials` independent per-period Sharpe estimates whose true value is 0 and
    /// whose variance across trials is `variance` (Bailey & López de Prado 2014, "The Deflated Sharpe
    /// Ratio", from extreme value theory):
    ///
    ///     E[max SR] ≈ √V · ((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)))
    ///
    /// γ the Euler–Mascheroni constant. 0 for N ≤ 1 (a single trial is not selected from anything).
    public static func expectedMaximumSharpe(trials: Int, variance: Double) -> Double {
        guard trials > 1 else { return 0 }
        let count = Double(trials)
        return max(0, variance).squareRoot()
            * ((1 - eulerMascheroni) * inverseNormalCDF(1 - 1 / count) + eulerMascheroni * inverseNormalCDF(1 - 1 / (count * M_E)))
    }

    /// Deflated Sharpe ratio (Bailey & López de Prado 2014): the PSR against the Sharpe that the best of
    /// `trials` skill-less strategies would be expected to show,
    ///
    ///     SR₀ = expectedMaximumSharpe(N, V),  V = max(trialSharpeVariance ?? 0, 1/(n − 1)),  DSR = PSR(SR₀)
    ///
    /// `trialSharpeVariance` is the variance of the per-period Sharpe across the trials run. It is floored
    /// at 1/(n − 1), the variance of the Sharpe estimator itself for skill-less normal returns: a handful
    /// of recorded, similar trials would otherwise understate V and lower the bar below what luck alone
    /// clears. With count < 2 the floor is +∞ and the ratio ½ (no information).
    /// - Returns: the DSR (a probability) and the benchmark SR₀ (per period).
    public static func deflatedSharpeRatio(sharpe: Double, count: Int, skewness: Double, kurtosis: Double, trials: Int,
                                           trialSharpeVariance: Double?) -> (ratio: Double, benchmark: Double) {
        let nullVariance = count >= 2 ? 1 / Double(count - 1) : .infinity
        let variance = max(nullVariance, trialSharpeVariance ?? 0)  // floor first: a NaN trial variance falls back to it
        let benchmark = expectedMaximumSharpe(trials: trials, variance: variance)
        let ratio = probabilisticSharpeRatio(sharpe: sharpe, benchmark: benchmark, count: count, skewness: skewness, kurtosis: kurtosis)
        return (ratio, benchmark)
    }
}

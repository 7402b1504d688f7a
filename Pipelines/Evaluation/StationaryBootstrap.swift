import Foundation
import MarketModel

/// The stationary bootstrap of Politis & Romano (1994), "The Stationary Bootstrap", JASA 89(428).
///
/// Per-bar returns of a trading strategy are not independent: positions last many bars, so returns come
/// in runs (and in runs of exact zeros while flat). Resampling single returns (the iid bootstrap of
/// `ReturnBootstrap`) breaks those runs and understates how much the Sharpe ratio can vary. The stationary
/// bootstrap resamples blocks of random, geometrically distributed length with mean L, wrapping around
/// the end of the series, so short-range dependence survives and the resampled series stays stationary.
/// With L = 1 every step jumps and it reduces to the iid bootstrap.
public enum StationaryBootstrap {
    /// Percentile interval of the **per-period** Sharpe ratio (mean / population standard deviation, not
    /// annualised) over `samples` stationary-bootstrap resamples of `returns`.
    ///
    /// Each resample has n = returns.count values. It starts at a uniform random index; at each further
    /// step it jumps to a new uniform index with probability 1/L (L = `meanBlockLength`, values below 1
    /// count as 1), otherwise it moves to the next index, wrapping from n − 1 to 0. Each step draws one
    /// `SplitMix64` word: its high 32 bits decide the jump (probability ⌊2³²/L⌋ / 2³²), its low 32 bits
    /// pick the new index by multiply-high (bias below n / 2³², negligible). Each resample's Sharpe is
    /// accumulated in one pass along the drawn indices (sum and sum of squares of the returns less their
    /// full-sample mean, which keeps the variance free of cancellation), so no resample is stored.
    /// Cost O(samples · n), independent of L: 1,000 resamples of 70,000 returns take about 0.25 s in release.
    ///
    /// Interval: with the sample Sharpes sorted ascending, `lower` is the value at index
    /// ⌊(samples − 1)·(1 − c)/2⌋ and `upper` at ⌊(samples − 1)·(1 + c)/2⌋, c = `confidence` (the convention
    /// of `ReturnBootstrap`). A constant series has Sharpe 0 in every resample, so its interval is [0, 0].
    /// - Parameters:
    ///   - returns: period returns, fraction per period (e.g. per 1m bar).
    ///   - meanBlockLength: L, mean block length in periods; see `defaultBlockLength(count:)`.
    ///   - samples: number of resamples.
    ///   - seed: seeds `SplitMix64(seed:)`; the same seed gives the same interval.
    ///   - confidence: two-sided coverage c, 0 < c < 1.
    /// - Returns: nil when there are fewer than 2 returns or fewer than 1 sample.
    /// - Precondition: fewer than 2³² returns.
    public static func sharpeInterval(returns: [Double], meanBlockLength: Double, samples: Int, seed: UInt64,
                                      confidence: Double = 0.95) -> ConfidenceInterval? {
        precondition(confidence > 0 && confidence < 1, "confidence must lie in (0, 1), got \(confidence)")
        guard returns.count >= 2, samples >= 1 else { return nil }
        precondition(returns.count < 1 << 32, "at most 2³² − 1 returns (32-bit jump indices)")
        let moments = SharpeStatistics.moments(returns)
        guard moments.standardDeviation > 0 else { return ConfidenceInterval(lower: 0, upper: 0) }
        let count = returns.count, periods = Double(returns.count), mean = moments.mean
        let deviations = returns.map { $0 - mean }
        let threshold = Self.jumpThreshold(meanBlockLength: meanBlockLength)
        var random = SplitMix64(seed: seed)
        var sharpes: [Double] = []
        sharpes.reserveCapacity(samples)
        for _ in 0..<samples {
            var sum = 0.0, sumOfSquares = 0.0
            var index = firstIndex(count: count, random: &random)
            for _ in 0..<count {
                let value = deviations[index]
                sum += value
                sumOfSquares += value * value
                index = nextIndex(after: index, count: count, bits: random.next(), jumpThreshold: threshold)
            }
            let meanDeviation = sum / periods
            let variance = sumOfSquares / periods - meanDeviation * meanDeviation
            sharpes.append(variance > 0 ? (mean + meanDeviation) / variance.squareRoot() : 0)
        }
        sharpes.sort()
        let last = Double(samples - 1)
        return ConfidenceInterval(lower: sharpes[Int(last * (1 - confidence) / 2)], upper: sharpes[Int(last * (1 + confidence) / 2)])
    }

    /// One stationary-bootstrap resample of `returns` (n values, n ≥ 1), drawn from `random` exactly as
    /// `sharpeInterval` draws each of its resamples (n + 1 words): the plain-loop reference for its
    /// one-pass accumulation, and a resampler for other statistics of the path.
    public static func resample(_ returns: [Double], meanBlockLength: Double, random: inout SplitMix64) -> [Double] {
        precondition(!returns.isEmpty && returns.count < 1 << 32, "needs 1 to 2³² − 1 returns")
        let threshold = Self.jumpThreshold(meanBlockLength: meanBlockLength)
        var index = firstIndex(count: returns.count, random: &random)
        var path: [Double] = []
        path.reserveCapacity(returns.count)
        for _ in 0..<returns.count {
            path.append(returns[index])
            index = nextIndex(after: index, count: returns.count, bits: random.next(), jumpThreshold: threshold)
        }
        return path
    }

    /// Default mean block length L = max(1, round(n^(1/3))) periods for n returns.
    ///
    /// Politis & White (2004), "Automatic Block-Length Selection for the Dependent Bootstrap", show the
    /// MSE-optimal mean block length of the stationary bootstrap grows as n^(1/3); their constant depends on
    /// the autocovariances of the series, and it is taken as 1 here, a plain data-independent default
    /// (e.g. 70,000 one-minute returns give L = 41 bars, about 40 minutes).
    public static func defaultBlockLength(count: Int) -> Double {
        max(1, cbrt(Double(max(count, 0))).rounded())
    }

    /// A step jumps when the high 32 bits of its random word fall below ⌊2³²/L⌋: 2³², always, for L ≤ 1
    /// (or NaN); 0, never, for L = ∞ (one circular block from a uniform start).
    static func jumpThreshold(meanBlockLength: Double) -> UInt64 {
        UInt64(0x1p32 / max(1, meanBlockLength))
    }

    /// Uniform start index in 0..<count by 64-bit multiply-high.
    @inline(__always) static func firstIndex(count: Int, random: inout SplitMix64) -> Int {
        Int(truncatingIfNeeded: random.next().multipliedFullWidth(by: UInt64(count)).high)
    }

    /// The index after `index`: a uniform jump (multiply-high of the low 32 bits of `bits`) when the high
    /// 32 bits fall below `jumpThreshold`, else the next index, wrapping. Both outcomes are computed so the
    /// choice compiles to a select rather than an unpredictable branch.
    @inline(__always) static func nextIndex(after index: Int, count: Int, bits: UInt64, jumpThreshold: UInt64) -> Int {
        let jumpIndex = Int(truncatingIfNeeded: ((bits & 0xFFFF_FFFF) &* UInt64(count)) >> 32)
        let followingIndex = index + 1 == count ? 0 : index + 1
        return bits >> 32 < jumpThreshold ? jumpIndex : followingIndex
    }
}

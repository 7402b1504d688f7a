import Foundation
import MarketModel

/// A two-sided 95% interval.
public struct ConfidenceInterval: Codable, Sendable, Equatable {
    public var lower: Double
    public var upper: Double
}

/// Confidence intervals for Sharpe and max drawdown from a Monte Carlo bootstrap of period returns, and
/// what they rest on.
public struct BootstrapResult: Codable, Sendable, Equatable {
    /// Annualised Sharpe of the period returns.
    public var sharpe: ConfidenceInterval
    /// Max drawdown of the compounded resampled path, fraction.
    public var maxDrawdown: ConfidenceInterval
    public var samples: Int
    /// `day` or `hour`.
    public var period: String
    public var periods: Int
    public var trades: Int
    public var note: String
}

/// Resamples period returns of an equity curve with replacement (seeded).
public enum ReturnBootstrap {
    /// Period returns of `equity` (sampled at `times`, UTC ms) starting from `initial`: daily when the
    /// curve spans at least `minimumDays` days, else hourly.
    public static func periodReturns(equity: [Double], times: [Int64], initial: Double, minimumDays: Int = 10) -> (returns: [Double], period: String) {
        func returns(bucket: Int64) -> [Double] {
            var result: [Double] = [], previous = initial, current: Int64?
            var last = initial
            for (value, time) in zip(equity, times) {
                let key = (time - 1) / bucket  // a close exactly at midnight belongs to the day before
                if let current, key != current {
                    result.append(previous > 0 ? last / previous - 1 : 0)
                    previous = last
                }
                current = key
                last = value
            }
            if current != nil { result.append(previous > 0 ? last / previous - 1 : 0) }
            return result
        }
        let daily = returns(bucket: 86_400_000)
        return daily.count >= minimumDays ? (daily, "day") : (returns(bucket: 3_600_000), "hour")
    }

    public static func run(equity: [Double], times: [Int64], initial: Double, trades: Int, samples: Int, seed: UInt64) -> BootstrapResult? {
        let (returns, period) = periodReturns(equity: equity, times: times, initial: initial)
        guard returns.count >= 2 else { return nil }
        var random = SplitMix64(state: seed)
        let perYear = period == "day" ? 365.0 : 8_760.0
        var sharpes: [Double] = [], drawdowns: [Double] = []
        var draw = [Double](repeating: 0, count: returns.count)
        for _ in 0..<samples {
            for index in draw.indices { draw[index] = returns[Int(random.next() % UInt64(returns.count))] }
            sharpes.append(sharpe(draw, perYear: perYear))
            drawdowns.append(maxDrawdown(draw))
        }
        func interval(_ values: [Double]) -> ConfidenceInterval {
            let sorted = values.sorted()
            return ConfidenceInterval(lower: sorted[Int(Double(sorted.count - 1) * 0.025)], upper: sorted[Int(Double(sorted.count - 1) * 0.975)])
        }
        let note = "\(samples) resamples of \(returns.count) \(period == "day" ? "daily" : "hourly") returns; \(trades) trades" +
            (trades < 30 ? " — too few for firm conclusions" : "")
        return BootstrapResult(sharpe: interval(sharpes), maxDrawdown: interval(drawdowns), samples: samples, period: period,
                               periods: returns.count, trades: trades, note: note)
    }

    static func sharpe(_ returns: [Double], perYear: Double) -> Double {
        let count = Double(returns.count)
        let mean = returns.reduce(0, +) / count
        let variance = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count
        return variance > 0 ? mean / variance.squareRoot() * perYear.squareRoot() : 0
    }

    static func maxDrawdown(_ returns: [Double]) -> Double {
        var equity = 1.0, peak = 1.0, drawdown = 0.0
        for value in returns {
            equity *= 1 + value
            peak = max(peak, equity)
            drawdown = max(drawdown, (peak - equity) / peak)
        }
        return drawdown
    }
}

/// Wilder's Relative Strength Index as TA-Lib computes it: the first `period` price changes are averaged
/// plainly, then `average = (average * (period - 1) + change) / period` for gains and losses; RSI =
/// 100 · gain / (gain + loss), and 0 for a perfectly flat window. First value after `period + 1` inputs.
public struct RelativeStrengthIndex: Sendable {
    public let period: Int
    private var previous: Double?
    private var averageGain = 0.0
    private var averageLoss = 0.0
    private var changes = 0

    public init(period: Int) {
        precondition(period >= 1, "RSI period must be at least 1")
        self.period = period
    }

    public var isReady: Bool { changes >= period }

    @inline(__always)
    public mutating func update(_ close: Double) -> Double? {
        guard let last = previous else {
            previous = close
            return nil
        }
        previous = close
        let change = close - last
        let n = Double(period)
        if changes < period {
            if change < 0 { averageLoss -= change } else { averageGain += change }
            changes += 1
            guard changes == period else { return nil }
            averageLoss /= n
            averageGain /= n
        } else {
            averageLoss *= n - 1
            averageGain *= n - 1
            if change < 0 { averageLoss -= change } else { averageGain += change }
            averageLoss /= n
            averageGain /= n
        }
        let total = averageGain + averageLoss
        return total == 0 ? 0 : 100 * (averageGain / total)
    }

    public static func series(_ closes: [Double], period: Int) -> [Double] {
        var indicator = RelativeStrengthIndex(period: period)
        return closes.map { indicator.update($0) ?? .nan }
    }
}

/// Moving-average convergence/divergence as TA-Lib computes it: both EMAs are aligned at index
/// `slow - 1` (the fast EMA is seeded with the mean of the `fast` values ending there, not the first
/// ones), the signal is an EMA of the MACD line seeded at its first `signal` values, and all three
/// outputs start at index `slow + signal - 2`.
public struct MovingAverageConvergenceDivergence: Sendable {
    public struct Output: Sendable, Equatable {
        public var macd: Double
        public var signal: Double
        public var histogram: Double
    }

    private var fastAverage: ExponentialMovingAverage
    private var slowAverage: ExponentialMovingAverage
    private var signalAverage: ExponentialMovingAverage
    /// Inputs the fast EMA skips so that it is seeded with the values ending at `slow - 1`.
    private let fastDelay: Int
    private var seen = 0

    public init(fast: Int = 12, slow: Int = 26, signal: Int = 9) {
        precondition(fast >= 1 && slow > fast && signal >= 1, "MACD needs 1 <= fast < slow and signal >= 1")
        fastAverage = ExponentialMovingAverage(period: fast)
        slowAverage = ExponentialMovingAverage(period: slow)
        signalAverage = ExponentialMovingAverage(period: signal)
        fastDelay = slow - fast
    }

    public var isReady: Bool { signalAverage.isReady }

    @inline(__always)
    public mutating func update(_ close: Double) -> Output? {
        let slow = slowAverage.update(close)
        let fast = seen >= fastDelay ? fastAverage.update(close) : nil
        seen += 1
        guard let fast, let slow else { return nil }
        let line = fast - slow
        guard let signal = signalAverage.update(line) else { return nil }
        return Output(macd: line, signal: signal, histogram: line - signal)
    }

    public static func series(_ closes: [Double], fast: Int = 12, slow: Int = 26, signal: Int = 9)
        -> (macd: [Double], signal: [Double], histogram: [Double])
    {
        var indicator = MovingAverageConvergenceDivergence(fast: fast, slow: slow, signal: signal)
        var macd = [Double](), signals = [Double](), histogram = [Double]()
        macd.reserveCapacity(closes.count)
        signals.reserveCapacity(closes.count)
        histogram.reserveCapacity(closes.count)
        for close in closes {
            let output = indicator.update(close)
            macd.append(output?.macd ?? .nan)
            signals.append(output?.signal ?? .nan)
            histogram.append(output?.histogram ?? .nan)
        }
        return (macd, signals, histogram)
    }
}

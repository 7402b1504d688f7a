/// Wilder's Relative Strength Index as TA-Lib computes it: the first `period` price changes are averaged
/// plainly, then `average = (average * (period - 1) + change) / period` for gains and losses; RSI =
/// 100 · gain / (gain + loss), and 0 for a perfectly flat window. First value after `period + 1` inputs.
public struct RelativeStrengthIndex: Sendable {
    public let period: Int
    private let keep: Double
    /// 1 / period: multiplying by it instead of dividing halves the latency of the smoothing chain; the
    /// result differs from TA-Lib's division by at most an ulp per step, and Wilder smoothing does not
    /// amplify it (checked against the golden file).
    private let reciprocal: Double
    /// (period − 1) / period: Wilder's (avg·(n − 1) + x) / n as avg·retention + x/n, so the chain through
    /// the previous average is one multiply and one add.
    private let retention: Double
    private var previous = 0.0
    private var averageGain = 0.0
    private var averageLoss = 0.0
    /// Inputs seen so far, capped at `period + 1`.
    private var seen = 0

    public init(period: Int) {
        precondition(period >= 1, "RSI period must be at least 1")
        self.period = period
        keep = Double(period - 1)
        reciprocal = 1 / Double(period)
        retention = keep / Double(period)
    }

    public var isReady: Bool { seen > period }

    @inline(__always)
    public mutating func update(_ close: Double) -> Double? {
        let change = close - previous
        previous = close
        let n = Double(period)
        // Gains and losses split without branches (random-walk signs defeat branch prediction); both
        // are exact: (c + |c|) / 2 is c or 0.
        let magnitude = change.magnitude
        let gain = (change + magnitude) * 0.5, loss = (magnitude - change) * 0.5
        if seen > period {
            averageLoss = averageLoss * retention + loss * reciprocal
            averageGain = averageGain * retention + gain * reciprocal
        } else {
            seen += 1
            guard seen > 1 else { return nil }  // the first close has no change
            averageLoss += loss
            averageGain += gain
            guard seen > period else { return nil }
            averageLoss /= n
            averageGain /= n
        }
        let total = averageGain + averageLoss
        return total == 0 ? 0 : 100 * (averageGain / total)
    }

    public static func series(_ closes: [Double], period: Int) -> [Double] {
        var indicator = RelativeStrengthIndex(period: period)
        return mapSeries(closes) { indicator.update($0) }
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
        if signalAverage.isReady {  // warmed up: three independent EMA steps, no bookkeeping
            let line = fastAverage.step(close) - slowAverage.step(close)
            let signal = signalAverage.step(line)
            return Output(macd: line, signal: signal, histogram: line - signal)
        }
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
        let (macd, signals, histogram) = makeSeries3(count: closes.count) { macd, signals, histogram in
            closes.withUnsafeBufferPointer { closes in
                for index in 0..<closes.count {
                    let output = indicator.update(closes[index])
                    macd[index] = output?.macd ?? .nan
                    signals[index] = output?.signal ?? .nan
                    histogram[index] = output?.histogram ?? .nan
                }
            }
        }
        return (macd, signals, histogram)
    }
}

/// Bollinger Bands with a simple moving average as the middle band (TA-Lib matype 0): middle = the
/// running-sum SMA, width = `deviations` × the population standard deviation (divide by `period`) of
/// the same window, computed in two passes over the window (the one-pass E[x²] − mean² formula loses
/// about 7 digits at BTC prices).
public struct BollingerBands: Sendable {
    public struct Output: Sendable, Equatable {
        public var upper: Double
        public var middle: Double
        public var lower: Double
    }

    public let period: Int
    public let deviations: Double
    private var window: RingWindow
    /// TA-Lib's running sum for the middle band.
    private var sum = 0.0
    /// Sums of (x − reference) and (x − reference)² over the window, for the variance. The reference is
    /// re-centred on the window's mean and both sums recomputed from the window every `period` inputs,
    /// so the rounding of the running updates never builds up and the cancellation of the one-pass
    /// formula is negligible (the textbook E[x²] − mean² loses ~7 digits at BTC prices; this agrees with
    /// a two-pass standard deviation to ~1e-14 relative at O(1) per bar).
    private var reference = 0.0
    private var shiftedSum = 0.0
    private var shiftedSquares = 0.0
    private var sinceRecentring = 0
    private let reciprocal: Double

    public init(period: Int = 20, deviations: Double = 2) {
        precondition(period >= 1, "Bollinger period must be at least 1")
        self.period = period
        self.deviations = deviations
        reciprocal = 1 / Double(period)
        window = RingWindow(capacity: period)
    }

    public var isReady: Bool { window.isFull }

    @inline(__always)
    public mutating func update(_ close: Double) -> Output? {
        let full = window.isFull
        let leaving = window.push(close)
        sum += close
        guard full else {
            guard window.isFull else { return nil }
            recentre()
            return output()
        }
        let entering = close - reference, exiting = leaving - reference
        shiftedSum += entering - exiting
        shiftedSquares += entering * entering - exiting * exiting
        sinceRecentring += 1
        if sinceRecentring == period { recentre() }
        return output()
    }

    @inline(__always)
    private mutating func output() -> Output {
        let middle = sum / Double(period)  // exactly TA-Lib's running-sum SMA
        sum -= window.oldest
        let shiftedMean = shiftedSum * reciprocal
        let variance = shiftedSquares * reciprocal - shiftedMean * shiftedMean
        let width = (variance > 0 ? variance : 0).squareRoot() * deviations
        return Output(upper: middle + width, middle: middle, lower: middle - width)
    }

    /// Recomputes the shifted sums exactly from the window, around its current mean.
    private mutating func recentre() {
        var total = 0.0
        window.forEach { total += $0 }
        let mean = total / Double(period)
        var deviations = 0.0, squares = 0.0
        window.forEach { value in
            let deviation = value - mean
            deviations += deviation
            squares += deviation * deviation
        }
        reference = mean
        shiftedSum = deviations
        shiftedSquares = squares
        sinceRecentring = 0
    }

    public static func series(_ closes: [Double], period: Int = 20, deviations: Double = 2)
        -> (upper: [Double], middle: [Double], lower: [Double])
    {
        var indicator = BollingerBands(period: period, deviations: deviations)
        let (upper, middle, lower) = makeSeries3(count: closes.count) { upper, middle, lower in
            closes.withUnsafeBufferPointer { closes in
                for index in 0..<closes.count {
                    let output = indicator.update(closes[index])
                    upper[index] = output?.upper ?? .nan
                    middle[index] = output?.middle ?? .nan
                    lower[index] = output?.lower ?? .nan
                }
            }
        }
        return (upper, middle, lower)
    }
}

/// Wilder's Average True Range as TA-Lib computes it: true range from the second bar on
/// (max of high − low, |high − previous close|, |low − previous close|), seeded with the plain mean of
/// the first `period` true ranges, then `atr = (atr * (period - 1) + tr) / period`. First value after
/// `period + 1` bars. Units: the price's.
public struct AverageTrueRange: Sendable {
    public let period: Int
    private let keep: Double
    /// 1 / period and (period − 1) / period (see `RelativeStrengthIndex.retention`).
    private let reciprocal: Double
    private let retention: Double
    private var previousClose = 0.0
    private var current = 0.0
    /// Bars seen so far, capped at `period + 1`.
    private var seen = 0

    public init(period: Int = 14) {
        precondition(period >= 1, "ATR period must be at least 1")
        self.period = period
        keep = Double(period - 1)
        reciprocal = 1 / Double(period)
        retention = keep / Double(period)
    }

    public var isReady: Bool { seen > period }
    /// The latest value, once ready.
    public var value: Double? { isReady ? current : nil }

    @inline(__always)
    public mutating func update(high: Double, low: Double, close: Double) -> Double? {
        let previous = previousClose
        previousClose = close
        // max(high − low, |high − previous|, |low − previous|) is max(high, previous) − min(low, previous),
        // computed the same way in every case, without branches.
        let top = high > previous ? high : previous, bottom = low < previous ? low : previous
        let range = top - bottom
        let n = Double(period)
        if seen > period {
            current = current * retention + range * reciprocal  // see RelativeStrengthIndex.retention
            return current
        }
        seen += 1
        guard seen > 1 else { return nil }  // the first bar has no previous close
        current += range
        guard seen > period else { return nil }
        current /= n
        return current
    }

    public static func series(high: [Double], low: [Double], close: [Double], period: Int = 14) -> [Double] {
        precondition(high.count == close.count && low.count == close.count, "ATR needs equally long series")
        var indicator = AverageTrueRange(period: period)
        return high.withUnsafeBufferPointer { high in
            low.withUnsafeBufferPointer { low in
                var index = 0
                return mapSeries(close) { close in
                    defer { index += 1 }
                    return indicator.update(high: high[index], low: low[index], close: close)
                }
            }
        }
    }
}

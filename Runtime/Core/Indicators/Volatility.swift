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
    private var average: SimpleMovingAverage
    private var window: RingWindow

    public init(period: Int = 20, deviations: Double = 2) {
        precondition(period >= 1, "Bollinger period must be at least 1")
        self.period = period
        self.deviations = deviations
        average = SimpleMovingAverage(period: period)
        window = RingWindow(capacity: period)
    }

    public var isReady: Bool { average.isReady }

    @inline(__always)
    public mutating func update(_ close: Double) -> Output? {
        _ = window.push(close)
        guard let middle = average.update(close) else { return nil }
        let count = period
        let squares = window.withValues { values -> Double in
            // Mean of the window itself, then the sum of squared deviations, in four independent lanes.
            var lanes = SIMD4<Double>(repeating: 0)
            var index = 0
            while index + 4 <= count {
                lanes += SIMD4(values[index], values[index + 1], values[index + 2], values[index + 3])
                index += 4
            }
            var total = lanes.sum()
            while index < count {
                total += values[index]
                index += 1
            }
            let mean = total / Double(count)
            var squareLanes = SIMD4<Double>(repeating: 0)
            index = 0
            while index + 4 <= count {
                let deviation = SIMD4(values[index], values[index + 1], values[index + 2], values[index + 3]) - mean
                squareLanes += deviation * deviation
                index += 4
            }
            var sum = squareLanes.sum()
            while index < count {
                let deviation = values[index] - mean
                sum += deviation * deviation
                index += 1
            }
            return sum
        }
        let width = (squares / Double(count)).squareRoot() * deviations
        return Output(upper: middle + width, middle: middle, lower: middle - width)
    }

    public static func series(_ closes: [Double], period: Int = 20, deviations: Double = 2)
        -> (upper: [Double], middle: [Double], lower: [Double])
    {
        var indicator = BollingerBands(period: period, deviations: deviations)
        var upper = [Double](), middle = [Double](), lower = [Double]()
        upper.reserveCapacity(closes.count)
        middle.reserveCapacity(closes.count)
        lower.reserveCapacity(closes.count)
        for close in closes {
            let output = indicator.update(close)
            upper.append(output?.upper ?? .nan)
            middle.append(output?.middle ?? .nan)
            lower.append(output?.lower ?? .nan)
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
    private var previousClose: Double?
    private var seedSum = 0.0
    private var ranges = 0
    public private(set) var value: Double?

    public init(period: Int = 14) {
        precondition(period >= 1, "ATR period must be at least 1")
        self.period = period
    }

    public var isReady: Bool { value != nil }

    @inline(__always)
    public mutating func update(high: Double, low: Double, close: Double) -> Double? {
        guard let previous = previousClose else {
            previousClose = close
            return nil
        }
        previousClose = close
        var range = high - low
        let fromHigh = abs(previous - high)
        if fromHigh > range { range = fromHigh }
        let fromLow = abs(low - previous)
        if fromLow > range { range = fromLow }
        let n = Double(period)
        if let average = value {
            let next = (average * (n - 1) + range) / n
            value = next
            return next
        }
        seedSum += range
        ranges += 1
        guard ranges == period else { return nil }
        value = seedSum / n
        return value
    }

    public static func series(high: [Double], low: [Double], close: [Double], period: Int = 14) -> [Double] {
        precondition(high.count == close.count && low.count == close.count, "ATR needs equally long series")
        var indicator = AverageTrueRange(period: period)
        return close.indices.map { indicator.update(high: high[$0], low: low[$0], close: close[$0]) ?? .nan }
    }
}

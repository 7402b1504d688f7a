/// Simple moving average with TA-Lib's running sum (add the newest value, emit, subtract the oldest).
/// First value after `period` inputs.
public struct SimpleMovingAverage: Sendable {
    public let period: Int
    private var window: RingWindow
    private var sum = 0.0

    public init(period: Int) {
        precondition(period >= 1, "SMA period must be at least 1")
        self.period = period
        window = RingWindow(capacity: period)
    }

    /// Whether a full window has been seen.
    public var isReady: Bool { window.isFull }

    /// Feeds one value; returns the average once `period` values have been seen.
    @inline(__always)
    public mutating func update(_ value: Double) -> Double? {
        sum += value
        _ = window.push(value)
        guard window.isFull else { return nil }
        let average = sum / Double(period)
        sum -= window.oldest  // the value that leaves the window with the next input
        return average
    }

    /// The average over `values`, NaN before the first full window (index `period - 1`).
    public static func series(_ values: [Double], period: Int) -> [Double] {
        var indicator = SimpleMovingAverage(period: period)
        return mapSeries(values) { indicator.update($0) }
    }
}

/// Exponential moving average as TA-Lib computes it: k = 2 / (period + 1), seeded with the plain mean
/// of the first `period` inputs (not the first price), then `ema = (x - ema) * k + ema`.
public struct ExponentialMovingAverage: Sendable {
    public let period: Int
    public let smoothing: Double
    private let retention: Double
    private var current = 0.0
    private var seen = 0

    public init(period: Int) {
        precondition(period >= 1, "EMA period must be at least 1")
        self.period = period
        smoothing = 2.0 / Double(period + 1)
        retention = 1 - smoothing
    }

    public var isReady: Bool { seen >= period }
    /// The latest value, once ready.
    public var value: Double? { isReady ? current : nil }

    @inline(__always)
    public mutating func update(_ input: Double) -> Double? {
        if seen >= period {
            // x·k + ema·(1 − k): TA-Lib's (x − ema)·k + ema rearranged so the dependency on the previous
            // value is one multiply and one add (8 cycles instead of 12); the results differ by rounding
            // only (an ulp or so, not amplified by the smoothing; checked against the golden file).
            current = input * smoothing + current * retention
            return current
        }
        current += input  // the seed sum
        seen += 1
        guard seen == period else { return nil }
        current /= Double(period)
        return current
    }

    /// The update of a ready EMA, without the warm-up bookkeeping (for composite indicators that know
    /// it is ready).
    @inline(__always)
    mutating func step(_ input: Double) -> Double {
        current = input * smoothing + current * retention
        return current
    }

    /// The EMA of `values`, NaN before index `period - 1`.
    public static func series(_ values: [Double], period: Int) -> [Double] {
        var indicator = ExponentialMovingAverage(period: period)
        return mapSeries(values) { indicator.update($0) }
    }
}

/// Applies an indicator's `update` to every value, NaN where it has no value yet. Loops over raw buffers
/// (no per-element closure context or bounds checks): the batch functions are the incremental code
/// run over an array.
@inline(__always)
func mapSeries(_ values: [Double], _ update: (Double) -> Double?) -> [Double] {
    [Double](unsafeUninitializedCapacity: values.count) { output, initialized in
        values.withUnsafeBufferPointer { input in
            for index in 0..<input.count { output[index] = update(input[index]) ?? .nan }
        }
        initialized = values.count
    }
}

/// Three output arrays of `count` elements, each written exactly once by `body` through uninitialised
/// storage (`Array(repeating: .nan, count:)` of a year of bars costs more than the indicator itself).
@inline(__always)
func makeSeries3(count: Int,
                 _ body: (UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void)
    -> ([Double], [Double], [Double])
{
    var second: [Double] = [], third: [Double] = []
    let first = [Double](unsafeUninitializedCapacity: count) { first, firstCount in
        second = [Double](unsafeUninitializedCapacity: count) { second, secondCount in
            third = [Double](unsafeUninitializedCapacity: count) { third, thirdCount in
                body(first, second, third)
                thirdCount = count
            }
            secondCount = count
        }
        firstCount = count
    }
    return (first, second, third)
}

/// A fixed-capacity window of the most recent values, oldest first.
struct RingWindow: Sendable {
    private var storage: [Double]
    /// Slot of the oldest value once full (and of the next write).
    private var next = 0
    private(set) var count = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        storage = Array(repeating: 0, count: capacity)
    }

    var isFull: Bool { count == capacity }

    /// Adds a value and returns the one it replaced (0 while filling).
    @inline(__always)
    mutating func push(_ value: Double) -> Double {
        let slot = next
        let replaced = storage.withUnsafeMutableBufferPointer { buffer in
            let old = buffer[slot]
            buffer[slot] = value
            return old
        }
        next = slot + 1 == capacity ? 0 : slot + 1
        if count < capacity { count += 1 }
        return replaced
    }

    /// The oldest value in a full window.
    @inline(__always)
    var oldest: Double { storage.withUnsafeBufferPointer { $0[next] } }

    /// Calls `body` with each value of a full window, oldest first.
    @inline(__always)
    func forEach(_ body: (Double) -> Void) {
        storage.withUnsafeBufferPointer { buffer in
            for index in next..<capacity { body(buffer[index]) }
            for index in 0..<next { body(buffer[index]) }
        }
    }
}

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
        return values.map { indicator.update($0) ?? .nan }
    }
}

/// Exponential moving average as TA-Lib computes it: k = 2 / (period + 1), seeded with the plain mean
/// of the first `period` inputs (not the first price), then `ema = (x - ema) * k + ema`.
public struct ExponentialMovingAverage: Sendable {
    public let period: Int
    public let smoothing: Double
    private var seedSum = 0.0
    private var seen = 0
    public private(set) var value: Double?

    public init(period: Int) {
        precondition(period >= 1, "EMA period must be at least 1")
        self.period = period
        smoothing = 2.0 / Double(period + 1)
    }

    public var isReady: Bool { value != nil }

    @inline(__always)
    public mutating func update(_ input: Double) -> Double? {
        if let previous = value {
            let next = (input - previous) * smoothing + previous
            value = next
            return next
        }
        seedSum += input
        seen += 1
        guard seen == period else { return nil }
        value = seedSum / Double(period)
        return value
    }

    /// The EMA of `values`, NaN before index `period - 1`.
    public static func series(_ values: [Double], period: Int) -> [Double] {
        var indicator = ExponentialMovingAverage(period: period)
        return values.map { indicator.update($0) ?? .nan }
    }
}

/// A fixed-capacity window of the most recent values, oldest first.
struct RingWindow: Sendable {
    /// Each value is stored twice, at `i` and `i + capacity`, so the window is always one contiguous
    /// run `storage[start ..< start + capacity]` (vectorisable, no wrap-around).
    private var storage: [Double]
    private var next = 0
    private(set) var count = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        storage = Array(repeating: 0, count: 2 * capacity)
    }

    var isFull: Bool { count == capacity }

    /// Adds a value; returns the value it replaced (0 while filling).
    @inline(__always)
    mutating func push(_ value: Double) -> Double {
        let replaced = storage[next]
        storage[next] = value
        storage[next + capacity] = value
        next += 1
        if next == capacity { next = 0 }
        if count < capacity { count += 1 }
        return replaced
    }

    /// The oldest value in a full window.
    var oldest: Double { storage[next] }

    /// Calls `body` with the window's values, oldest first (the whole window once full).
    @inline(__always)
    func withValues<T>(_ body: (UnsafeBufferPointer<Double>) -> T) -> T {
        storage.withUnsafeBufferPointer { buffer in
            body(UnsafeBufferPointer(rebasing: buffer[next ..< next + capacity]))
        }
    }
}

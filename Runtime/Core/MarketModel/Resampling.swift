
/// A bar of a higher timeframe built from shorter bars, with how many it was built from (fewer than
/// `timeframe.milliseconds / source.milliseconds` means bars were missing).
public struct ResampledBar: Sendable, Equatable {
    public var bar: Bar
    public var parts: Int
    public var source: Timeframe
    public var timeframe: Timeframe

    /// When the bar closes (its data is final), UTC ms.
    public var closeTime: Int64 { bar.openTime + timeframe.milliseconds }
    public var isComplete: Bool { Int64(parts) * source.milliseconds == timeframe.milliseconds }
}

/// Rolls 1m bars up into a higher timeframe on UTC boundaries: open = first open, high = max,
/// low = min, close = last close, volume = sum.
public enum Resampler {
    /// All buckets of `bars` (of timeframe `source`, increasing open times), in order. A bucket's bar is
    /// built from the bars present; missing ones are counted, never filled in.
    public static func resample(_ bars: [Bar], from source: Timeframe = .oneMinute, to timeframe: Timeframe) -> [ResampledBar] {
        var builder = IncrementalResampler(from: source, to: timeframe)
        var output: [ResampledBar] = []
        output.reserveCapacity(bars.count / max(1, Int(timeframe.milliseconds / 60_000)) + 1)
        for bar in bars { builder.update(bar) { output.append($0) } }
        if let last = builder.flush() { output.append(last) }
        return output
    }
}

/// The streaming resampler: feed 1m bars as they close; a bucket is handed out as soon as it is
/// final — when the 1m bar that ends it arrives, or (after missing minutes) when a bar of a later
/// bucket arrives. Never before its close time, so nothing unfinished is ever visible.
public struct IncrementalResampler: Sendable {
    public let source: Timeframe
    public let timeframe: Timeframe
    private var current: ResampledBar?

    public init(from source: Timeframe = .oneMinute, to timeframe: Timeframe) {
        precondition(timeframe.milliseconds % source.milliseconds == 0, "\(timeframe) is not a multiple of \(source)")
        self.source = source
        self.timeframe = timeframe
    }

    /// Adds one source bar and calls `closed` with every bucket this bar makes final, oldest first.
    @inline(__always)
    public mutating func update(_ bar: Bar, closed: (ResampledBar) -> Void) {
        let bucket = timeframe.barOpenTime(containing: bar.openTime)
        if var open = current, open.bar.openTime == bucket {
            open.bar.high = max(open.bar.high, bar.high)
            open.bar.low = min(open.bar.low, bar.low)
            open.bar.close = bar.close
            open.bar.volume += bar.volume
            open.parts += 1
            current = open
        } else {
            if let finished = current { closed(finished) }  // a later bucket began: the old one is over
            current = ResampledBar(bar: Bar(openTime: bucket, open: bar.open, high: bar.high, low: bar.low,
                                            close: bar.close, volume: bar.volume),
                                   parts: 1, source: source, timeframe: timeframe)
        }
        if bar.openTime + source.milliseconds == bucket + timeframe.milliseconds, let finished = current {
            closed(finished)  // this bar ends the bucket
            current = nil
        }
    }

    /// The unfinished bucket at the end of the data, if any (offline use only).
    public mutating func flush() -> ResampledBar? {
        defer { current = nil }
        return current
    }
}

import MarketModel

/// The batch build of the feature rows of a whole series, used offline for the tensors: each higher
/// timeframe is resampled and run through its indicators once, then joined as-of to the 1m closes (a
/// bucket is visible from its close time on). It shares the indicator code and the row layout with
/// `FeatureEngine`, and a parity test proves both give the same rows.
public enum FeatureMatrixBuilder {
    /// Calls `row` for every 1m bar in order with its index, the feature values and whether the row is valid.
    /// `bars` are 1m bars with increasing open times; `funding` settlements in increasing time.
    public static func build(bars: [Bar], funding: [FundingRate], spec: FeatureSpec = .standard,
                             row: (_ index: Int, _ values: [Double], _ isValid: Bool) throws -> Void) rethrows {
        var frames = BatchFrames(spec: spec, bars: bars)
        var composer = RowComposer(spec: spec)
        var fundingCursor = 0
        var values = Array(repeating: 0.0, count: spec.count)
        var previousOpen: Int64?
        for (index, bar) in bars.enumerated() {
            let closeTime = bar.openTime + 60_000
            let gap = previousOpen.map { bar.openTime - $0 > 60_000 } ?? false
            previousOpen = bar.openTime
            frames.advance(to: bar)
            while fundingCursor < funding.count && funding[fundingCursor].time <= closeTime { fundingCursor += 1 }
            let latestFunding = fundingCursor > 0 ? funding[fundingCursor - 1] : nil
            let valid = composer.compose(into: &values, frames: frames, closeTime: closeTime, funding: latestFunding, gap: gap)
            try row(index, values, valid)
        }
    }
}

/// Every timeframe's values as seen at one 1m close: the 1m frame updated bar by bar, each higher
/// timeframe as the values after its last bucket closed at or before that time.
private struct BatchFrames: FrameValueSource {
    private let perFrame = TimeframeFeatures.valueCount
    private var minute: TimeframeFeatures
    /// For each slot: -1 for the 1m frame, else the index into the higher-timeframe tables.
    private let table: [Int]
    /// Per higher timeframe: bucket close times, readiness and values (flat, `perFrame` per bucket).
    private var closeTimes: [[Int64]] = []
    private var readiness: [[Bool]] = []
    private var values: [[Double]] = []
    private var cursors: [Int] = []

    init(spec: FeatureSpec, bars: [Bar]) {
        minute = TimeframeFeatures(parameters: spec.parameters)
        var table: [Int] = []
        for timeframe in spec.timeframes {
            guard timeframe != .oneMinute else {
                table.append(-1)
                continue
            }
            table.append(closeTimes.count)
            var frame = TimeframeFeatures(parameters: spec.parameters)
            var times: [Int64] = [], ready: [Bool] = [], flat: [Double] = []
            for bucket in Resampler.resample(bars, to: timeframe) {
                frame.update(bucket.bar)
                times.append(bucket.closeTime)
                ready.append(frame.isReady)
                flat += frame.values
            }
            closeTimes.append(times)
            readiness.append(ready)
            values.append(flat)
        }
        self.table = table
        cursors = Array(repeating: 0, count: closeTimes.count)
    }

    /// Moves to the close of `bar`: updates the 1m frame and makes visible the buckets closed by then.
    mutating func advance(to bar: Bar) {
        minute.update(bar)
        let closeTime = bar.openTime + 60_000
        for higher in cursors.indices {
            while cursors[higher] < closeTimes[higher].count && closeTimes[higher][cursors[higher]] <= closeTime {
                cursors[higher] += 1
            }
        }
    }

    func isReady(_ slot: Int) -> Bool {
        let higher = table[slot]
        if higher < 0 { return minute.isReady }
        return cursors[higher] > 0 && readiness[higher][cursors[higher] - 1]
    }

    func value(_ slot: Int, _ index: Int) -> Double {
        let higher = table[slot]
        if higher < 0 { return minute.values[index] }
        return values[higher][(cursors[higher] - 1) * perFrame + index]
    }
}

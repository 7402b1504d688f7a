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
        let perFrame = TimeframeFeatures.valueCount
        // Per higher timeframe: the close time of each bucket and the frame state after it.
        var closes: [[Int64]] = [], frameStates: [[TimeframeFeatures]] = []
        for timeframe in spec.timeframes where timeframe != .oneMinute {
            var frame = TimeframeFeatures(parameters: spec.parameters)
            var times: [Int64] = [], states: [TimeframeFeatures] = []
            for bucket in Resampler.resample(bars, to: timeframe) {
                frame.update(bucket.bar)
                times.append(bucket.closeTime)
                states.append(frame)
            }
            closes.append(times)
            frameStates.append(states)
        }
        _ = perFrame
        var composer = RowComposer(spec: spec)
        var minuteFrame = TimeframeFeatures(parameters: spec.parameters)
        let empty = TimeframeFeatures(parameters: spec.parameters)
        var cursors = Array(repeating: 0, count: closes.count)
        var fundingCursor = 0
        var values = Array(repeating: 0.0, count: spec.count)
        var frames = spec.timeframes.map { _ in empty }
        var previousOpen: Int64?
        for (index, bar) in bars.enumerated() {
            let closeTime = bar.openTime + 60_000
            let gap = previousOpen.map { bar.openTime - $0 > 60_000 } ?? false
            previousOpen = bar.openTime
            var higher = 0
            for (slot, timeframe) in spec.timeframes.enumerated() {
                if timeframe == .oneMinute {
                    minuteFrame.update(bar)
                    frames[slot] = minuteFrame
                } else {
                    while cursors[higher] < closes[higher].count && closes[higher][cursors[higher]] <= closeTime {
                        cursors[higher] += 1
                    }
                    frames[slot] = cursors[higher] > 0 ? frameStates[higher][cursors[higher] - 1] : empty
                    higher += 1
                }
            }
            while fundingCursor < funding.count && funding[fundingCursor].time <= closeTime { fundingCursor += 1 }
            let latestFunding = fundingCursor > 0 ? funding[fundingCursor - 1] : nil
            let valid = composer.compose(into: &values, frames: frames, closeTime: closeTime, funding: latestFunding, gap: gap)
            try row(index, values, valid)
        }
    }
}

import Foundation
import MarketModel

/// The incremental feature engine the live runtime runs: feed each 1m bar as it closes (with the latest
/// funding settlement known at its close) and read the feature row. Higher timeframes are resampled
/// from the 1m bars, and a higher-timeframe bar only becomes visible once it has closed.
public struct FeatureEngine: Sendable {
    public let spec: FeatureSpec
    /// The current feature row, in `spec.names` order.
    public private(set) var row: [Double]
    /// Whether the current row may be used: every indicator is past its lookback and no 1m gap occurred
    /// in the last `gapRecoveryBars` bars.
    public private(set) var isValid = false

    private var frames: [TimeframeFeatures]
    private var resamplers: [IncrementalResampler?]
    private var composer: RowComposer
    private var lastOpenTime: Int64?

    public init(spec: FeatureSpec = .standard) {
        self.spec = spec
        row = Array(repeating: 0, count: spec.count)
        frames = spec.timeframes.map { _ in TimeframeFeatures(parameters: spec.parameters) }
        resamplers = spec.timeframes.map { $0 == .oneMinute ? nil : IncrementalResampler(to: $0) }
        composer = RowComposer(spec: spec)
    }

    /// Adds a closed 1m bar. `funding` is the latest funding settlement at or before the bar's close.
    /// Returns whether the new row is valid.
    @discardableResult
    public mutating func update(bar: Bar, funding: FundingRate?) -> Bool {
        let closeTime = bar.openTime + 60_000
        let gap = lastOpenTime.map { bar.openTime - $0 > 60_000 } ?? false
        lastOpenTime = bar.openTime
        for index in frames.indices {
            if resamplers[index] == nil {
                frames[index].update(bar)
            } else {
                var resampler = resamplers[index]!
                resampler.update(bar) { closed in frames[index].update(closed.bar) }
                resamplers[index] = resampler
            }
        }
        isValid = composer.compose(into: &row, frames: EngineFrames(frames: frames), closeTime: closeTime,
                                   funding: funding, gap: gap)
        return isValid
    }
}

/// The latest values of each timeframe, as the row composer reads them.
protocol FrameValueSource {
    func isReady(_ slot: Int) -> Bool
    /// Value `index` (in `TimeframeFeatures.values` order) of timeframe `slot`.
    func value(_ slot: Int, _ index: Int) -> Double
}

private struct EngineFrames: FrameValueSource {
    let frames: [TimeframeFeatures]
    func isReady(_ slot: Int) -> Bool { frames[slot].isReady }
    func value(_ slot: Int, _ index: Int) -> Double { frames[slot].values[index] }
}

/// Lays out one row from the timeframes' values, time of day and funding, and tracks validity. Shared by
/// the streaming engine and the batch builder.
struct RowComposer: Sendable {
    let spec: FeatureSpec
    private let trendSlots: [Int]
    private let optionalSlots: [Int]
    private var barsSinceGap = Int.max / 2

    init(spec: FeatureSpec) {
        self.spec = spec
        optionalSlots = spec.optionalTimeframes.compactMap { spec.timeframes.firstIndex(of: $0) }
        trendSlots = spec.trendTimeframes.map { timeframe in
            guard let slot = spec.timeframes.firstIndex(of: timeframe) else {
                preconditionFailure("trend timeframe \(timeframe) must also be a feature timeframe")
            }
            return slot
        }
    }

    /// Writes the row; returns whether it is valid.
    @inline(__always)
    mutating func compose<Frames: FrameValueSource>(into row: inout [Double], frames: Frames, closeTime: Int64,
                                                    funding: FundingRate?, gap: Bool) -> Bool {
        barsSinceGap = gap ? 0 : barsSinceGap + 1
        let perFrame = FeatureSpec.timeframeFeatures.count
        let slots = spec.timeframes.count
        var ready = true
        for slot in 0..<slots {
            let frameReady = frames.isReady(slot)
            if !optionalSlots.contains(slot) { ready = ready && frameReady }
            for index in 0..<perFrame { row[slot * perFrame + index] = frameReady ? frames.value(slot, index) : 0 }
        }
        var column = slots * perFrame
        for slot in trendSlots {
            row[column] = frames.isReady(slot) ? frames.value(slot, perFrame) : 0
            column += 1
        }
        for slot in optionalSlots {
            row[column] = frames.isReady(slot) ? 1 : 0
            column += 1
        }
        let minuteOfDay = Double((closeTime / 60_000) % 1440)
        let angle = 2 * Double.pi * minuteOfDay / 1440
        row[column] = sin(angle)
        row[column + 1] = cos(angle)
        row[column + 2] = (funding?.rate ?? 0) * 10_000  // basis points per interval
        row[column + 3] = funding == nil ? 0 : 1
        return ready && barsSinceGap >= spec.parameters.gapRecoveryBars
    }
}

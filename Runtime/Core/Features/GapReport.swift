import MarketModel

/// Missing 1m bars in a series: how many gaps, the longest, and where each is.
public struct GapReport: Sendable, Equatable, CustomStringConvertible {
    public struct Gap: Sendable, Equatable {
        /// Open time of the last bar before the gap and of the first bar after it, UTC ms.
        public var after: Int64
        public var before: Int64
        /// Bars missing between them.
        public var missingBars: Int
    }

    public var gaps: [Gap]
    public var missingBars: Int { gaps.reduce(0) { $0 + $1.missingBars } }
    public var longest: Gap? { gaps.max { $0.missingBars < $1.missingBars } }

    /// Finds the gaps in bars of `timeframe` (increasing open times).
    public init(bars: [Bar], timeframe: Timeframe = .oneMinute) {
        gaps = []
        for (previous, next) in zip(bars, bars.dropFirst()) where next.openTime - previous.openTime > timeframe.milliseconds {
            gaps.append(Gap(after: previous.openTime, before: next.openTime,
                            missingBars: Int((next.openTime - previous.openTime) / timeframe.milliseconds) - 1))
        }
    }

    public var description: String {
        guard let longest else { return "no gaps" }
        return "\(gaps.count) gaps, \(missingBars) bars missing; longest \(longest.missingBars) bars after \(UTCTime.format(longest.after))"
    }
}

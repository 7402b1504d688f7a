import CSVArchive
import Features
import Foundation
import MarketModel
import Synchronization

/// The simulator's clock, UTC ms: either simulated time advancing `speed` times faster than the wall
/// clock from `start`, or a manual clock that only moves when a test (or a scripted replay) advances it,
/// so nothing depends on how fast the machine is.
public final class SimulatedClock: Sendable {
    public let start: Int64
    public let speed: Double
    private let wallStart: Double
    /// Whether only `advance` moves the clock.
    public let isManual: Bool
    private let manualNow: Mutex<Int64>

    /// Simulated time at `speed` × the wall clock, from `start`.
    public init(start: Int64, speed: Double) {
        self.start = start
        self.speed = speed
        wallStart = Date().timeIntervalSince1970
        isManual = false
        manualNow = Mutex(start)
    }

    /// A clock standing at `start` until `advance` moves it.
    public init(manualStart start: Int64) {
        self.start = start
        speed = 0
        wallStart = 0
        isManual = true
        manualNow = Mutex(start)
    }

    /// Simulated now, UTC ms.
    public func now() -> Int64 {
        if isManual { return manualNow.withLock { $0 } }
        return start + Int64((Date().timeIntervalSince1970 - wallStart) * 1000 * speed)
    }

    /// Moves a manual clock forward by `milliseconds` (ignored by a wall-speed clock); returns the new now.
    @discardableResult
    public func advance(by milliseconds: Int64) -> Int64 {
        guard isManual else { return now() }
        return manualNow.withLock { now in
            now += max(0, milliseconds)
            return now
        }
    }
}

/// The market the simulator serves: 1m bars (and funding) per symbol, from files or a generator. Higher
/// timeframes are resampled from 1m unless a file provides them. Only what has happened by the
/// simulated clock's now is visible; the current bar is shown in progress.
public final class SimulatedMarket: Sendable {
    public let minuteBars: [Symbol: [Bar]]
    let fileBars: [Symbol: [Timeframe: [Bar]]]
    public let funding: [Symbol: [FundingRate]]

    public init(minuteBars: [Symbol: [Bar]], fileBars: [Symbol: [Timeframe: [Bar]]] = [:], funding: [Symbol: [FundingRate]]) {
        self.minuteBars = minuteBars
        self.fileBars = fileBars
        self.funding = funding
    }

    public var symbols: [Symbol] { minuteBars.keys.sorted() }

    /// Open time of the first 1m bar and close time of the last, over all symbols.
    public var span: (first: Int64, last: Int64)? {
        let firsts = minuteBars.values.compactMap(\.first?.openTime), lasts = minuteBars.values.compactMap(\.last?.openTime)
        guard let first = firsts.min(), let last = lasts.max() else { return nil }
        return (first, last + 60_000)
    }

    /// Reads every file in `directory` named like the shared datasets (`…_{SYMBOL}_{tf}_…csv`,
    /// `…_{SYMBOL}_funding-rate_…csv`). Several files of one series are merged.
    public static func load(directory: String) throws -> SimulatedMarket {
        var minute: [Symbol: [Bar]] = [:], other: [Symbol: [Timeframe: [Bar]]] = [:], funding: [Symbol: [FundingRate]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            guard relative.hasSuffix(".csv") else { continue }
            let name = (relative as NSString).lastPathComponent
            let parts = name.dropLast(4).split(separator: "_").map(String.init)
            guard parts.count >= 3, let symbol = Symbol(parts[1]) else { continue }
            let path = directory + "/" + relative
            if parts[2] == "funding-rate" {
                funding[symbol, default: []] += try FundingFileReader(path: path).readAll().rates
            } else if let timeframe = Timeframe(rawValue: parts[2]) {
                let bars = try BarFileReader(path: path, timeframe: timeframe).readAll().bars
                if timeframe == .oneMinute { minute[symbol, default: []] += bars } else { other[symbol, default: [:]][timeframe, default: []] += bars }
            }
        }
        func merged(_ bars: [Bar]) -> [Bar] {
            var seen = Set<Int64>()
            return bars.sorted { $0.openTime < $1.openTime }.filter { seen.insert($0.openTime).inserted }
        }
        return SimulatedMarket(minuteBars: minute.mapValues(merged), fileBars: other.mapValues { $0.mapValues(merged) },
                               funding: funding.mapValues { rates in
                                   var seen = Set<Int64>()
                                   return rates.sorted { $0.time < $1.time }.filter { seen.insert($0.time).inserted }
                               })
    }

    /// Closed bars of `timeframe` with `from <= openTime <= to` as of `now`, plus the bar in progress at
    /// `now` (partial) when it falls in the range.
    public func bars(_ symbol: Symbol, _ timeframe: Timeframe, from: Int64, to: Int64, now: Int64) -> [Bar] {
        guard let minutes = minuteBars[symbol] else { return [] }
        let end = min(to, now)
        guard from <= end else { return [] }
        // 1m bars from the bucket start of `from` up to now, resampled when needed.
        let firstMinute = timeframe.barOpenTime(containing: from)
        var source = slice(minutes, from: firstMinute, through: min(end + timeframe.milliseconds, now))
        if let last = source.last, last.openTime + 60_000 > now { source[source.count - 1] = partial(last, now: now) }
        var bars = timeframe == .oneMinute ? source : Resampler.resample(source, to: timeframe).map(\.bar)
        bars = bars.filter { $0.openTime >= from && $0.openTime <= end }
        // A file of this timeframe serves what the 1m bars do not cover.
        if timeframe != .oneMinute, let series = fileBars[symbol]?[timeframe], let first = minutes.first, let last = minutes.last {
            let covered = timeframe.barOpenTime(containing: first.openTime)...timeframe.barOpenTime(containing: last.openTime)
            let outside = slice(series, from: from, through: end).filter { !covered.contains($0.openTime) && $0.openTime + timeframe.milliseconds <= now }
            if !outside.isEmpty { bars = (outside + bars).sorted { $0.openTime < $1.openTime } }
        }
        return bars
    }

    /// The last trade price at `now`.
    public func price(_ symbol: Symbol, now: Int64) -> Double? {
        guard let minutes = minuteBars[symbol], let index = lastIndex(minutes, atOrBefore: now) else { return nil }
        let bar = minutes[index]
        return bar.openTime + 60_000 > now ? partial(bar, now: now).close : bar.close
    }

    /// The 1m bar that closed last at or before `now`.
    public func lastClosedMinute(_ symbol: Symbol, now: Int64) -> Bar? {
        guard let minutes = minuteBars[symbol], let index = lastIndex(minutes, atOrBefore: now - 60_000) else { return nil }
        return minutes[index]
    }

    /// A bar `fraction` of the way through: the open, a close moved that far from the open toward the
    /// final close, and the range of what has been seen.
    func partial(_ bar: Bar, now: Int64) -> Bar {
        let fraction = max(0, min(1, Double(now - bar.openTime) / 60_000))
        let close = bar.open + (bar.close - bar.open) * fraction
        return Bar(openTime: bar.openTime, open: bar.open, high: max(bar.open, close, bar.open + (bar.high - bar.open) * fraction),
                   low: min(bar.open, close, bar.open - (bar.open - bar.low) * fraction), close: close, volume: bar.volume * fraction)
    }

    private func slice(_ bars: [Bar], from: Int64, through: Int64) -> [Bar] {
        guard let start = firstIndex(bars, atOrAfter: from) else { return [] }
        var result: [Bar] = []
        var index = start
        while index < bars.count && bars[index].openTime <= through {
            result.append(bars[index])
            index += 1
        }
        return result
    }

    private func firstIndex(_ bars: [Bar], atOrAfter time: Int64) -> Int? {
        var low = 0, high = bars.count
        while low < high {
            let middle = (low + high) / 2
            if bars[middle].openTime < time { low = middle + 1 } else { high = middle }
        }
        return low < bars.count ? low : nil
    }

    private func lastIndex(_ bars: [Bar], atOrBefore time: Int64) -> Int? {
        var low = 0, high = bars.count
        while low < high {
            let middle = (low + high) / 2
            if bars[middle].openTime <= time { low = middle + 1 } else { high = middle }
        }
        return low > 0 ? low - 1 : nil
    }
}

import BitGet
import Features
import Foundation
import MarketModel
import Storage

/// What the download did for one series.
public struct DownloadedSeries: Sendable {
    public var symbol: Symbol
    public var timeframe: Timeframe
    public var stored: Int
    public var alreadyPresent: Int
    public var rejected: Int
    public var requests: Int
    public var gaps: Int
    public var missingBars: Int
}

/// Progress of a download, reported as pages arrive.
public struct DownloadProgress: Sendable {
    public var symbol: Symbol
    public var timeframe: Timeframe
    /// Open time of the newest bar stored so far, and the end of the wanted range, UTC ms.
    public var reached: Int64
    public var target: Int64
    public var start: Int64
    public var stored: Int
}

/// The download stage: pages bars out of the exchange (or the simulator) within its limits, for several
/// symbols at once inside the rate limits, validates them, stores them idempotently and resumes where the
/// store ends, so a killed download continues without gaps or duplicates. Only closed bars are stored.
public struct DownloadStage: Sendable {
    public var client: BitGetRESTClient
    /// The store, called off the cooperative pool (several series download at once in a task group).
    public var store: AsyncStore
    /// Bars per `candles` page (BitGet: up to 1000) and per `history-candles` page (up to 200).
    public var pageSize = 1_000
    public var historyPageSize = 200
    public var onRejectedRow: @Sendable (Symbol, Timeframe, String, String) -> Void = { _, _, _, _ in }

    public init(client: BitGetRESTClient, store: AsyncStore) {
        self.client = client
        self.store = store
    }

    /// Fails (before anything is downloaded) when a symbol is not listed by the exchange.
    public func checkListed(_ symbols: [Symbol]) async throws {
        let listed = Set(try await client.contracts().filter(\.isTradable).map(\.symbol))
        let missing = symbols.filter { !listed.contains($0.name) }
        guard missing.isEmpty else {
            throw BitGetError.unknownSymbol(missing.map(\.name).joined(separator: ", "))
        }
    }

    /// Downloads `[since, until]` of one series (UTC ms; until defaults to the last closed bar), starting
    /// after the newest stored bar when that is later than `since`.
    public func download(symbol: Symbol, timeframe: Timeframe, since: Int64, until: Int64?,
                         progress: @Sendable (DownloadProgress) -> Void = { _ in }) async throws -> DownloadedSeries {
        let serverTime = try await client.serverTime()
        let lastClosed = timeframe.barOpenTime(containing: serverTime) - timeframe.milliseconds
        let target = min(until.map { timeframe.barOpenTime(containing: $0) } ?? lastClosed, lastClosed)
        let stored = try await store.candleCoverage(symbol: symbol, timeframe: timeframe)
        var cursor = max(timeframe.barOpenTime(containing: since + timeframe.milliseconds - 1), (stored?.lastOpenTime).map { $0 + timeframe.milliseconds } ?? .min)
        var result = DownloadedSeries(symbol: symbol, timeframe: timeframe, stored: 0, alreadyPresent: 0, rejected: 0, requests: 0, gaps: 0,
                                      missingBars: 0)
        var validator = BarSequenceValidator(timeframe: timeframe, lastOpenTime: stored?.lastOpenTime)
        let start = cursor
        var useHistory = false
        var historyPages = 0
        while cursor <= target {
            let size = useHistory ? historyPageSize : pageSize
            let end = min(target, cursor + Int64(size - 1) * timeframe.milliseconds)
            let page = try await client.candles(symbol: symbol, timeframe: timeframe, startTime: cursor, endTime: end, limit: size,
                                                history: useHistory)
            result.requests += 1
            for row in page.rejected {
                result.rejected += 1
                onRejectedRow(symbol, timeframe, row.raw, row.reason)
            }
            var good: [Bar] = []
            for bar in page.bars where bar.openTime >= cursor && bar.openTime <= end {
                if let problem = validator.accept(bar) {
                    result.rejected += 1
                    onRejectedRow(symbol, timeframe, "\(bar)", problem.description)
                } else {
                    good.append(bar)
                }
            }
            if good.isEmpty && !useHistory && page.bars.isEmpty {
                useHistory = true  // older than what `candles` serves: page through history-candles instead
                historyPages = 0
                continue
            }
            if useHistory {
                historyPages += 1
                if historyPages % 20 == 0 { useHistory = false }  // probe whether `candles` reaches this far back yet
            }
            let count = try await store.upsertCandles(good, symbol: symbol, timeframe: timeframe)
            result.stored += count.inserted
            result.alreadyPresent += count.alreadyPresent
            cursor = end + timeframe.milliseconds
            progress(DownloadProgress(symbol: symbol, timeframe: timeframe, reached: min(end, target), target: target, start: start,
                                      stored: result.stored))
        }
        if start <= target {
            let gaps = GapReport(bars: try await store.candles(symbol: symbol, timeframe: timeframe, from: start, to: target, limit: nil),
                                 timeframe: timeframe)
            result.gaps = gaps.gaps.count
            result.missingBars = gaps.missingBars
        }
        return result
    }

    /// Downloads the funding history back to `since` (UTC ms), newest first, idempotently.
    public func downloadFunding(symbol: Symbol, since: Int64) async throws -> Int {
        var stored = 0
        var pageNumber = 1
        let newestStored = try await store.fundingRates(symbol: symbol, from: nil, to: nil).last?.time ?? .min
        while true {
            let page = try await client.fundingHistory(symbol: symbol, pageSize: 100, pageNumber: pageNumber)
            let wanted = page.filter { $0.time >= since }
            stored += try await store.upsertFundingRates(wanted.sorted { $0.time < $1.time }, symbol: symbol).inserted
            guard page.count == 100, let oldest = page.map(\.time).min(), oldest > since, oldest > newestStored else { break }
            pageNumber += 1
        }
        return stored
    }
}

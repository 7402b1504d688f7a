import MarketModel

extension BitGetCandleStream {
    /// Fetches and delivers the closed bars of `members` missed since each one's last delivered bar (and
    /// opened before `before`, if given), merged across them in open-time order (ties in `members` order):
    /// after a (re)connect all the symbols, so that a consumer reading them together sees the symbols
    /// advance together, as they do live, however long the gap; one symbol for a gap in its stream. At most
    /// one REST page (1,000 bars) per symbol is held at a time.
    func backfill(_ members: [Symbol], state: StreamState, deliver: @escaping @Sendable (Symbol, ClosedBar) async -> Void,
                  before: Int64? = nil) async throws {
        let step = timeframe.milliseconds
        let serverTime = try await rest.serverTime()
        let lastClosed = timeframe.barOpenTime(containing: serverTime) - step
        let end = min(before.map { $0 - step } ?? lastClosed, lastClosed)
        struct Missed {
            var last: Int64
            var cursor: Int64
            var bars: ArraySlice<Bar> = []
        }
        var missed: [Symbol: Missed] = [:]
        for symbol in members {
            if let last = await state.lastDelivered[symbol] { missed[symbol] = Missed(last: last, cursor: last + step) }
        }
        while true {
            for symbol in members {
                guard var range = missed[symbol] else { continue }
                while range.bars.isEmpty, range.cursor <= end {
                    let pageEnd = min(end, range.cursor + 999 * step)
                    range.bars = try await page(symbol, from: range.cursor, through: pageEnd)[...]
                    range.cursor = pageEnd + step
                }
                missed[symbol] = range
            }
            let waiting = members.filter { missed[$0]?.bars.first != nil }
            guard let next = waiting.min(by: { missed[$0]!.bars.first!.openTime < missed[$1]!.bars.first!.openTime }) else { break }
            let bar = missed[next]!.bars.removeFirst()
            if await state.markDelivered(next, bar.openTime) {
                await deliver(next, ClosedBar(bar: bar, exchangeTime: serverTime, source: .backfill))
            }
        }
        for symbol in members {
            guard let range = missed[symbol], range.cursor > range.last + step else { continue }
            reportBackfill(symbol, after: range.last, through: end)
        }
    }

    /// The closed bars of `symbol` opened in `[from, through]` (at most 1,000), oldest first.
    private func page(_ symbol: Symbol, from: Int64, through: Int64) async throws -> [Bar] {
        let page = try await rest.candles(symbol: symbol, timeframe: timeframe, startTime: from, endTime: through, limit: 1_000)
        return page.bars.filter { $0.openTime >= from && $0.openTime <= through }.sorted { $0.openTime < $1.openTime }
    }

    private func reportBackfill(_ symbol: Symbol, after last: Int64, through end: Int64) {
        onEvent(.backfilled(symbol: symbol, bars: Int((end - last) / timeframe.milliseconds)))
        logger.info("backfilled missed bars", metadata: ["symbol": "\(symbol)", "from": "\(UTCTime.format(last))", "to": "\(UTCTime.format(end))"])
    }
}

import Charts
import Foundation
import MarketModel
import Storage
import Telegram

extension OperatorContext {
    /// How far back `/chart` looks from the latest record (market time: a replay or a fast simulator runs
    /// ahead of the wall clock): the account's equity over 7 days, a symbol's price over 24 hours.
    static let equityWindowMilliseconds: Int64 = 7 * 86_400_000
    static let priceWindowMilliseconds: Int64 = 86_400_000

    /// `/chart` (the account's equity and drawdown) or `/chart SYMBOL` (its 1m closes with its trades).
    func sendChart(_ symbol: Symbol?, chatID: Int64, now: Int64) async {
        do {
            let png: [UInt8], caption: String
            if let symbol {
                (png, caption) = try await priceChart(symbol)
            } else {
                (png, caption) = try await equityChart()
            }
            try await sendPhoto(png, caption: caption, chatID: chatID)
        } catch let error as ChartError {
            await reply(TelegramText.escapeHTML("No chart: \(error.description)."), to: chatID)
        } catch {
            logger.warning("a chart could not be made or sent", metadata: ["error": "\(error)"])
            await reply(TelegramText.escapeHTML("No chart: \(error)"), to: chatID)
        }
    }

    /// The sum of every symbol's equity snapshots (each carried forward to the others' times).
    func equityChart() async throws -> ([UInt8], String) {
        let journal = self.journal, symbols = self.symbols
        let window = Self.equityWindowMilliseconds
        let read = try await store.run { _ -> (last: Int64, series: [[(time: Int64, equity: Double)]])? in
            guard let last = try journal.latestEquityTime(symbols: symbols) else { return nil }
            // From a day before the window, so each symbol has a value to carry into it.
            return (last, try symbols.map { symbol in try journal.equity(symbol: symbol, since: last - window - 86_400_000, limit: 50_000) })
        }
        guard let (last, series) = read else {
            throw ChartError("no equity snapshots yet (the trader records one every few minutes of trading)")
        }
        let since = last - window
        let times = Set(series.flatMap { $0.map(\.time) }.filter { $0 >= since }).sorted()
        var cursors = [Int](repeating: 0, count: series.count), latest = [Double?](repeating: nil, count: series.count)
        var total: [ChartPoint] = []
        for time in times {
            for index in series.indices {
                while cursors[index] < series[index].count, series[index][cursors[index]].time <= time {
                    latest[index] = series[index][cursors[index]].equity
                    cursors[index] += 1
                }
            }
            total.append(ChartPoint(time: time, value: latest.compactMap { $0 }.reduce(0, +)))
        }
        let title = "\(mode) equity, \(symbols.count) symbol\(symbols.count == 1 ? "" : "s"), to \(UTCTime.format(last)) UTC"
        return (try Charts.equityPNG(title: title, equity: total), "<b>equity and drawdown</b>, the last 7 days of trading")
    }

    func priceChart(_ symbol: Symbol) async throws -> ([UInt8], String) {
        guard let coverage = try await store.candleCoverage(symbol: symbol, timeframe: .oneMinute) else {
            throw ChartError("no stored 1m bars of \(symbol.name)")
        }
        let since = coverage.lastOpenTime - Self.priceWindowMilliseconds + 60_000
        let bars = try await store.candles(symbol: symbol, timeframe: .oneMinute, from: since, to: coverage.lastOpenTime, limit: 2_000)
        let journal = self.journal
        let trades = try await store.run { _ in try journal.trades(symbol: symbol, since: since, limit: 500) }
        let marks = trades.compactMap { trade -> ChartTrade? in
            guard let side = ChartTrade.Side(rawValue: trade.side), let entry = Double(trade.entryPrice), let exit = Double(trade.exitPrice) else { return nil }
            return ChartTrade(side: side, entryTime: trade.entryTime, entryPrice: entry, exitTime: trade.exitTime, exitPrice: exit, netPnL: trade.netPnL)
        }
        let png = try Charts.pricePNG(title: "\(symbol.name) 1m close, to \(UTCTime.format(coverage.lastOpenTime)) UTC",
                                      prices: bars.map { ChartPoint(time: $0.openTime + 60_000, value: $0.close) }, trades: marks)
        return (png, "<b>\(symbol.name)</b>, the last 24 hours with \(marks.count) trade\(marks.count == 1 ? "" : "s") marked")
    }

    /// Sends a photo directly (an image is not worth keeping across a restart), waiting out one 429.
    func sendPhoto(_ png: [UInt8], caption: String, chatID: Int64) async throws {
        do {
            _ = try await client.sendPhoto(chatID: chatID, png: png, htmlCaption: caption)
        } catch let .retryAfter(seconds) {
            try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            _ = try await client.sendPhoto(chatID: chatID, png: png, htmlCaption: caption)
        }
    }
}

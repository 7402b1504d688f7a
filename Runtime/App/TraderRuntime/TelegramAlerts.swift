import Foundation
import Logging
import MarketModel
import Storage
import Telegram

/// The alerts: every new line of the trader's journal (events — entries, agents, data staleness, operator
/// actions —, closed trades, risk-state transitions) becomes a message to the operator, taken in order
/// from where the last run stopped (the cursors are stored), and at 00:00 UTC the day's summary. A halt
/// or a failed stop goes first (critical).
struct TelegramAlerts {
    let context: OperatorContext
    let chatID: Int64
    let dailySummary: Bool
    let logger: Logger
    var interval: Duration = .seconds(1)

    /// Event kinds sent before anything else.
    static let criticalKinds: Set<String> = ["stop_failed", "unprotected", "liquidation_risk", "order_unknown", "halted"]

    func run() async {
        let records = context.records
        var cursors: [JournalAlertRow.Source: Int64] = [:]
        for source in JournalAlertRow.Source.allCases {
            do {
                cursors[source] = try await context.store.run { _ in
                    if let stored = try records.value("alerts.\(source.rawValue)").flatMap({ Int64($0) }) { return stored }
                    // A first start: alerts begin now, not with the journal's history.
                    let last = try records.lastID(source)
                    try records.setValue("\(last)", for: "alerts.\(source.rawValue)")
                    return last
                }
            } catch {
                logger.error("the alert cursors cannot be read; alerts wait for the store", metadata: ["error": "\(error)"])
            }
        }
        var summaryDay = (try? await context.store.run { _ in try records.value("daily_summary_day") }).flatMap { Int64($0) }
        while !Task.isCancelled {
            for source in JournalAlertRow.Source.allCases {
                guard let cursor = cursors[source] else {
                    cursors[source] = try? await context.store.run { _ in try records.lastID(source) }
                    continue
                }
                guard let rows = try? await context.store.run({ _ in try records.rows(source, after: cursor) }), !rows.isEmpty else { continue }
                for row in rows {
                    let (text, critical) = Self.message(row)
                    await context.reply(text, to: chatID, critical: critical)
                }
                let last = rows[rows.count - 1].id
                cursors[source] = last
                _ = try? await context.store.run { _ in try records.setValue("\(last)", for: "alerts.\(source.rawValue)") }
            }
            let today = TradingDesk.now() / 86_400_000
            if summaryDay == nil || summaryDay! < today {
                // Every day since the last summary (one message when the trader was down for some).
                if let day = summaryDay, dailySummary { await sendSummary(days: day..<today) }
                summaryDay = today
                _ = try? await context.store.run { _ in try records.setValue("\(today)", for: "daily_summary_day") }
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// The alert of one journal line, and whether it is critical.
    static func message(_ row: JournalAlertRow) -> (String, Bool) {
        let symbol = "<b>\(TelegramText.escapeHTML(row.symbol ?? "trader"))</b>"
        let column = { (index: Int) in TelegramText.escapeHTML(index < row.columns.count ? row.columns[index] : "") }
        let number = { (index: Int) in Double(index < row.columns.count ? row.columns[index] : "") ?? 0 }
        switch row.source {
        case .events:
            return ("\(symbol) \(column(0)): \(column(1))", criticalKinds.contains(row.columns.first ?? ""))
        case .trades:
            let net = number(7)
            return ("\(symbol) \(net >= 0 ? "✅" : "❌") closed \(column(0)) \(OperatorView.price(number(1))) \(String(format: "%.0fx", number(2))): "
                    + "\(OperatorView.price(number(3))) → \(OperatorView.price(number(4))), net <b>\(OperatorView.signed(net))</b> USDT "
                    + "(fees \(OperatorView.money(number(5))), funding \(OperatorView.signed(number(6)))) · \(column(8))", false)
        case .riskEvents:
            let halted = row.columns.count > 1 && row.columns[1] == "HALTED"
            return ("\(halted ? "⛔ " : "")\(symbol) risk \(column(0)) → \(column(1)): \(column(2))", halted)
        }
    }

    /// The summary of UTC days `days` (day numbers since 1970): trades and net PnL per symbol, and the equity now.
    func sendSummary(days: Range<Int64>) async {
        let journal = context.journal, view = context.view
        let from = days.lowerBound * 86_400_000, to = days.upperBound * 86_400_000
        guard let (trades, symbols) = try? await context.store.run({ _ in
            (try journal.trades(since: from, limit: 100_000).filter { $0.exitTime < to }, try view.symbols())
        }) else { return }
        let period = days.count == 1 ? String(UTCTime.format(from).prefix(10)) : "\(UTCTime.format(from).prefix(10)) to \(UTCTime.format(to - 1).prefix(10))"
        var lines = ["<b>daily summary</b> \(period) (UTC)"]
        let net = trades.reduce(0) { $0 + $1.netPnL }
        lines.append("\(trades.count) trades, net <b>\(OperatorView.signed(net))</b> USDT")
        for (symbol, group) in Dictionary(grouping: trades, by: \.symbol).sorted(by: { $0.key < $1.key }) {
            lines.append("\(TelegramText.escapeHTML(symbol)): \(group.count) trades, net \(OperatorView.signed(group.reduce(0) { $0 + $1.netPnL }))")
        }
        let equity = symbols.reduce(0) { $0 + $1.equity }
        lines.append("equity now \(OperatorView.money(equity)) USDT; " + symbols.map { "\(TelegramText.escapeHTML($0.symbol)) \($0.risk)" }.joined(separator: ", "))
        await context.reply(lines.joined(separator: "\n"), to: chatID)
        await context.sendChart(nil, chatID: chatID, now: to)
    }
}

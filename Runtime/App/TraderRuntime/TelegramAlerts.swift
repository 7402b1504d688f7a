import Foundation
import Logging
import MarketModel
import Storage
import Telegram

/// The alerts: every new line of the trader's event log (entries, exits, risk-state transitions, order
/// troubles, agents, data staleness, operator actions) becomes a message to the operator, in the order
/// written, from where the last run stopped (the cursor is stored), and at 00:00 UTC the day's summary.
/// A halt, a failed stop or an order of unknown outcome goes first (critical).
struct TelegramAlerts {
    let context: OperatorContext
    let chatID: Int64
    let dailySummary: Bool
    let logger: Logger
    var interval: Duration = .seconds(1)

    /// Event kinds sent before anything else.
    static let criticalKinds: Set<String> = ["stop_failed", "unprotected", "liquidation_risk", "liquidation", "order_unknown", "halted", "reconcile_failed"]

    func run() async {
        let records = context.records
        var cursor: Int64?
        var summaryDay: Int64?, summaryRead = false
        while !Task.isCancelled {
            if !summaryRead {
                // Retried while the store is down: a missing day must not be taken for a first start.
                do {
                    summaryDay = try await context.store.run { _ in try records.value("daily_summary_day") }.flatMap { Int64($0) }
                    summaryRead = true
                } catch {
                    logger.warning("the day of the last summary cannot be read; the summary waits for the store", metadata: ["error": "\(error)"])
                }
            }
            if cursor == nil {
                do {
                    cursor = try await context.store.run { _ in
                        if let stored = try records.value("alerts.trader_events").flatMap({ Int64($0) }) { return stored }
                        // A first start: alerts begin now, not with the journal's history.
                        let last = try records.lastEventID()
                        try records.setValue("\(last)", for: "alerts.trader_events")
                        return last
                    }
                } catch {
                    logger.error("the alert cursor cannot be read; alerts wait for the store", metadata: ["error": "\(error)"])
                }
            }
            if let from = cursor, let rows = try? await context.store.run({ _ in try records.events(after: from) }), let last = rows.last?.id {
                for row in rows {
                    let (text, critical) = Self.message(row)
                    await context.reply(text, to: chatID, critical: critical)
                }
                cursor = last
                _ = try? await context.store.run { _ in try records.setValue("\(last)", for: "alerts.trader_events") }
            }
            let today = TraderClock.now() / 86_400_000
            if summaryRead, summaryDay == nil || summaryDay! < today {
                // Every day since the last summary (one message when the trader was down for some).
                if let day = summaryDay, dailySummary { await sendSummary(days: day..<today) }
                summaryDay = today
                _ = try? await context.store.run { _ in try records.setValue("\(today)", for: "daily_summary_day") }
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// The alert of one event-log line, and whether it is critical. Exits and risk changes carry their
    /// whole text; other kinds are shown with their kind.
    static func message(_ row: JournalAlertRow) -> (String, Bool) {
        let symbol = "<b>\(TelegramText.escapeHTML(row.symbol ?? "trader"))</b>"
        let text = TelegramText.escapeHTML(row.message)
        let critical = criticalKinds.contains(row.kind)
        switch row.kind {
        case "exit", "risk": return ("\(symbol) \(text)", critical)
        case "halted", "liquidation": return ("⛔ \(symbol) \(text)", critical)
        default: return ("\(symbol) \(TelegramText.escapeHTML(row.kind)): \(text)", critical)
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

import Foundation
import MarketModel
import Storage
import Telegram
import TradingEngine

/// One symbol as the operator sees it, from its stored state and the health board.
struct SymbolView {
    var symbol: String
    /// USDT.
    var equity: Double
    var wallet: Double
    var initialCapital: Double
    /// From the peak, 0…1.
    var drawdown: Double
    var risk: String
    var riskReason: String?
    var position: Position?
    /// The last close the engine saw, and the position's liquidation price at it (USDT).
    var lastClose: Double
    var liquidation: Double?
    var agentVersion: String?
    var lastBarOpenTime: Int64
    var paused: Bool
    var stale: Bool
}

/// The answers to the read-only commands, as Telegram HTML (every value escaped), read from the store
/// and the health board: the same whether the decision loop is busy or not.
struct OperatorView {
    let journal: TraderJournal
    let parameters: [Symbol: EngineParameters]
    let health: HealthBoard
    let mode: String

    func symbols() throws -> [SymbolView] {
        let report = health.report
        return try journal.states().compactMap { row in
            guard let persisted = TraderStateReader.stored(row.state) else { return nil }
            let engine = persisted.trader.engine
            let equity = engine.account.equity(at: engine.lastClose)
            let peak = engine.risk.peakEquity
            let health = report.symbols[row.symbol]
            let liquidation = engine.account.position.flatMap { position in
                Symbol(row.symbol).flatMap { parameters[$0] }?.liquidationPrice(of: position)
            }
            return SymbolView(symbol: row.symbol, equity: equity, wallet: engine.account.walletBalance, initialCapital: engine.account.initialCapital,
                              drawdown: peak > 0 ? max(0, (peak - equity) / peak) : 0, risk: engine.risk.state.rawValue,
                              riskReason: health?.riskReason, position: engine.account.position, lastClose: engine.lastClose,
                              liquidation: liquidation, agentVersion: row.agentVersion, lastBarOpenTime: row.lastBarOpenTime,
                              paused: persisted.paused == true, stale: health?.stale ?? false)
        }
    }

    static func escape(_ text: String) -> String { TelegramText.escapeHTML(text) }
    static func money(_ value: Double) -> String { String(format: "%.2f", value) }
    static func signed(_ value: Double) -> String { String(format: "%+.2f", value) }
    static func price(_ value: Double) -> String { String(format: "%.8g", value) }
    /// Ten significant digits: a fill or a trigger as the exchange has it.
    static func decimal(_ value: Double) -> String { String(format: "%.10g", value) }
    static func percent(_ value: Double) -> String { String(format: "%.2f%%", value * 100) }

    /// A position in one line: side, size, entry, leverage, stop and its distance, liquidation distance.
    static func describe(_ position: Position, at close: Double, liquidation: Double?) -> String {
        var text = "\(position.side.rawValue) \(price(position.size)) @ \(price(position.entryPrice)) \(String(format: "%.0fx", position.leverage))"
        if let stop = position.stopLoss {
            text += ", stop \(price(stop)) (\(percent(abs(close - stop) / max(close, .ulpOfOne))) away)"
        } else {
            text += ", <b>no stop</b>"
        }
        if let target = position.takeProfit { text += ", tp \(price(target))" }
        if let liquidation, liquidation.isFinite, liquidation > 0 {
            text += ", liquidation \(price(liquidation)) (\(percent(abs(close - liquidation) / max(close, .ulpOfOne))) away)"
        }
        return text
    }

    func status() throws -> String {
        let views = try symbols()
        guard !views.isEmpty else { return "<b>\(mode)</b>: nothing traded yet." }
        let report = health.report
        var lines = ["<b>\(Self.escape(mode)) trading</b> · \(Self.escape(report.status)) · version \(Self.escape(report.version))"]
        let equity = views.reduce(0) { $0 + $1.equity }, start = views.reduce(0) { $0 + $1.initialCapital }
        lines.append("equity <b>\(Self.money(equity))</b> USDT, PnL \(Self.signed(equity - start)) (\(Self.percent(start > 0 ? equity / start - 1 : 0)))")
        for view in views {
            var line = "<b>\(Self.escape(view.symbol))</b> \(Self.money(view.equity)) USDT, drawdown \(Self.percent(view.drawdown)), \(Self.escape(view.risk))"
            if let reason = view.riskReason, view.risk != "ACTIVE" { line += " (\(Self.escape(reason)))" }
            if view.paused { line += ", entries stopped" }
            if view.stale { line += ", <b>data stale</b>" }
            line += "\n  " + (view.position.map { Self.describe($0, at: view.lastClose, liquidation: view.liquidation) } ?? "flat")
            line += "\n  agent \(Self.escape(view.agentVersion ?? "none")), last bar " + (view.lastBarOpenTime > 0 ? UTCTime.format(view.lastBarOpenTime) : "none")
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    func positions() throws -> String {
        let open = try symbols().filter { $0.position != nil }
        guard !open.isEmpty else { return "No open positions." }
        return open.map { "<b>\(Self.escape($0.symbol))</b> " + Self.describe($0.position!, at: $0.lastClose, liquidation: $0.liquidation) }
            .joined(separator: "\n")
    }

    func balance() throws -> String {
        let views = try symbols()
        guard !views.isEmpty else { return "No account yet." }
        var lines = views.map {
            "<b>\(Self.escape($0.symbol))</b> wallet \(Self.money($0.wallet)), equity \(Self.money($0.equity)) USDT (started \(Self.money($0.initialCapital)))"
        }
        lines.append("total wallet \(Self.money(views.reduce(0) { $0 + $1.wallet })), equity \(Self.money(views.reduce(0) { $0 + $1.equity })) USDT")
        return lines.joined(separator: "\n")
    }

    /// Realised PnL of the trades closed in the last `days` days before `now` (UTC ms).
    func profit(days: Int, now: Int64) throws -> String {
        let trades = try journal.trades(since: now - Int64(days) * 86_400_000, limit: 100_000)
        guard !trades.isEmpty else { return "No trades closed in the last \(days) days." }
        let net = trades.reduce(0) { $0 + $1.netPnL }, fees = trades.reduce(0) { $0 + (Double($1.fees) ?? 0) }
        let wins = trades.filter { $0.netPnL > 0 }.count
        var lines = ["<b>last \(days) days</b>: \(trades.count) trades, \(wins) won, net <b>\(Self.signed(net))</b> USDT, fees \(Self.money(fees))"]
        for (symbol, group) in Dictionary(grouping: trades, by: \.symbol).sorted(by: { $0.key < $1.key }) {
            lines.append("\(Self.escape(symbol)): \(group.count) trades, net \(Self.signed(group.reduce(0) { $0 + $1.netPnL }))")
        }
        return lines.joined(separator: "\n")
    }

    /// Net PnL per UTC day for the last `days` days (today included).
    func daily(days: Int, now: Int64) throws -> String {
        let today = now / 86_400_000
        let trades = try journal.trades(since: (today - Int64(days) + 1) * 86_400_000, limit: 100_000)
        let byDay = Dictionary(grouping: trades) { $0.exitTime / 86_400_000 }
        return (["<b>PnL per day</b> (UTC, net USDT)"] + (0..<Int64(days)).map { offset in
            let day = today - offset
            let group = byDay[day] ?? []
            return "\(UTCTime.format(day * 86_400_000).prefix(10)): \(Self.signed(group.reduce(0) { $0 + $1.netPnL })) (\(group.count) trades)"
        }).joined(separator: "\n")
    }

    /// The last `count` trades and event-log lines.
    func logs(count: Int) throws -> String {
        let trades = try journal.trades(limit: count)
        let events = try journal.events(limit: count)
        var lines = ["<b>recent trades</b>"]
        lines += trades.isEmpty ? ["none"] : trades.map {
            "\(UTCTime.format($0.exitTime)) \(Self.escape($0.symbol)) \(Self.escape($0.side)) \(Self.escape($0.size)) "
                + "\(Self.price(Double($0.entryPrice) ?? 0)) → \(Self.price(Double($0.exitPrice) ?? 0)) net \(Self.signed($0.netPnL)) (\(Self.escape($0.exitReason)))"
        }
        lines.append("<b>recent events</b>")
        lines += events.isEmpty ? ["none"] : events.map {
            "\(UTCTime.format($0.time)) \(Self.escape($0.symbol ?? "-")) \(Self.escape($0.kind)): \(Self.escape($0.message))"
        }
        return lines.joined(separator: "\n")
    }
}

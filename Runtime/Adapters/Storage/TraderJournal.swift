import Foundation
import MarketModel
import TradingEngine

/// An order as the journal keeps it (`orders`): money and sizes as exact decimal text.
public struct OrderRow: Sendable, Equatable {
    public var clientOrderID: String
    public var exchangeOrderID: String?
    public var symbol: String
    /// buy or sell; market or limit.
    public var side: String
    public var orderType: String
    public var size: String
    public var price: String?
    public var reduceOnly: Bool
    public var stopLoss: String?
    public var takeProfit: String?
    /// submitted, accepted, unknown (its outcome not reported yet), filled, rejected, canceled.
    public var status: String
    public var filledSize: String
    public var averagePrice: String?
    public var fee: String
    public var agentVersion: String?
    /// UTC ms.
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(clientOrderID: String, exchangeOrderID: String? = nil, symbol: String, side: String, orderType: String = "market",
                size: String, price: String? = nil, reduceOnly: Bool, stopLoss: String? = nil, takeProfit: String? = nil, status: String,
                filledSize: String = "0", averagePrice: String? = nil, fee: String = "0", agentVersion: String?, createdAt: Int64,
                updatedAt: Int64) {
        self.clientOrderID = clientOrderID
        self.exchangeOrderID = exchangeOrderID
        self.symbol = symbol
        self.side = side
        self.orderType = orderType
        self.size = size
        self.price = price
        self.reduceOnly = reduceOnly
        self.stopLoss = stopLoss
        self.takeProfit = takeProfit
        self.status = status
        self.filledSize = filledSize
        self.averagePrice = averagePrice
        self.fee = fee
        self.agentVersion = agentVersion
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A closed trade as the journal keeps it (`trades`).
public struct TradeRow: Sendable, Equatable {
    public var symbol: String
    public var trade: ClosedTrade
    public var agentVersion: String?

    public init(symbol: String, trade: ClosedTrade, agentVersion: String?) {
        self.symbol = symbol
        self.trade = trade
        self.agentVersion = agentVersion
    }
}

/// The open position of a symbol (`positions`), with its liquidation price.
public struct PositionRow: Sendable, Equatable {
    public var symbol: String
    public var position: Position
    public var liquidationPrice: Double?

    public init(symbol: String, position: Position, liquidationPrice: Double?) {
        self.symbol = symbol
        self.position = position
        self.liquidationPrice = liquidationPrice
    }
}

/// What one processed bar of one symbol changed, written in one transaction: after it, a restart resumes
/// right after `lastBarOpenTime`.
public struct BarJournalEntry: Sendable {
    public var symbol: Symbol
    public var lastBarOpenTime: Int64
    public var agentVersion: String?
    /// The engine's and venue's state, JSON.
    public var state: String
    public var orders: [OrderRow] = []
    public var trades: [TradeRow] = []
    /// The position after the bar (nil: flat).
    public var position: PositionRow?
    public var riskEvents: [RiskChangeRow] = []
    public var equity: EquityRow?
    public var strategies: [StrategyRecord] = []
    /// An operator's request this entry carries out, marked done in the same transaction (so a restart
    /// never carries it out again).
    public var completedRequest: CompletedRequest?
    /// Lines of the event log (`trader_events`: entries, exits, risk changes, order troubles) in the order
    /// they happened, written in the same transaction, so an alert is never lost while the bar is kept.
    public var events: [EventRow] = []

    public init(symbol: Symbol, lastBarOpenTime: Int64, agentVersion: String?, state: String) {
        self.symbol = symbol
        self.lastBarOpenTime = lastBarOpenTime
        self.agentVersion = agentVersion
        self.state = state
    }
}

/// A line of the event log written with a bar: its kind (`entry`, `exit`, `risk`, `halted`, `order_unknown` …)
/// and its text (plain, not HTML).
public struct EventRow: Sendable, Equatable {
    public var kind: String
    public var message: String

    public init(kind: String, message: String) {
        self.kind = kind
        self.message = message
    }
}

/// An operator's request done, with what came of it (`control_requests`).
public struct CompletedRequest: Sendable, Equatable {
    public var id: Int64
    public var result: String

    public init(id: Int64, result: String) {
        self.id = id
        self.result = result
    }
}

/// A change of risk state (`risk_events`).
public struct RiskChangeRow: Sendable, Equatable {
    public var time: Int64
    public var from: String
    public var to: String
    public var reason: String

    public init(time: Int64, from: String, to: String, reason: String) {
        self.time = time
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// Equity at a time (`equity_snapshots`), USDT.
public struct EquityRow: Sendable, Equatable {
    public var time: Int64
    public var equity: Double
    public var realized: Double
    public var unrealized: Double

    public init(time: Int64, equity: Double, realized: Double, unrealized: Double) {
        self.time = time
        self.equity = equity
        self.realized = realized
        self.unrealized = unrealized
    }
}

/// The live trader's records of one account mode (paper or live), in the SQL both backends accept:
/// its resumable state, orders, trades, positions, equity, risk transitions, strategy records, events
/// and operator requests. Synchronous: async code calls it through `AsyncStore.run`.
public struct TraderJournal: Sendable {
    public let store: any Store
    /// `paper` or `live`.
    public let mode: String

    public init(store: any Store, mode: String) {
        self.store = store
        self.mode = mode
    }

    /// Everything one processed bar changed, atomically.
    public func record(_ entry: BarJournalEntry, at time: Int64) throws {
        let symbol = entry.symbol.name
        var statements = [SQLStatement("""
            INSERT INTO trader_state (mode, symbol, last_bar_open_time, agent_version, state, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (mode, symbol) DO UPDATE SET last_bar_open_time = excluded.last_bar_open_time,
                agent_version = excluded.agent_version, state = excluded.state, updated_at = excluded.updated_at
            """, [.text(mode), .text(symbol), .integer(entry.lastBarOpenTime), .optional(entry.agentVersion), .text(entry.state),
                  .integer(time)])]
        statements += entry.orders.map(orderStatement)
        for row in entry.trades {
            let trade = row.trade
            statements.append(SQLStatement("""
                INSERT INTO trades (mode, symbol, side, size, leverage, entry_time, entry_price, exit_time, exit_price, fees, funding,
                                    realized_pnl, exit_reason, agent_version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                """, [.text(mode), .text(row.symbol), .text(trade.side.rawValue), .text("\(trade.size)"), .text("\(trade.leverage)"),
                      .integer(trade.entryTime), .text("\(trade.entryPrice)"), .integer(trade.exitTime), .text("\(trade.exitPrice)"),
                      .text("\(trade.fees)"), .text("\(trade.funding)"), .text("\(trade.netPnL)"), .text(trade.exitReason.rawValue),
                      .optional(row.agentVersion)]))
        }
        if let row = entry.position {
            let position = row.position
            statements.append(SQLStatement("""
                INSERT INTO positions (mode, symbol, side, size, entry_price, leverage, margin, liquidation_price, stop_loss, take_profit,
                                       opened_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                ON CONFLICT (mode, symbol) DO UPDATE SET side = excluded.side, size = excluded.size, entry_price = excluded.entry_price,
                    leverage = excluded.leverage, margin = excluded.margin, liquidation_price = excluded.liquidation_price,
                    stop_loss = excluded.stop_loss, take_profit = excluded.take_profit, opened_at = excluded.opened_at,
                    updated_at = excluded.updated_at
                """, [.text(mode), .text(symbol), .text(position.side.rawValue), .text("\(position.size)"), .text("\(position.entryPrice)"),
                      .text("\(position.leverage)"), .text("\(position.margin)"), .optional(row.liquidationPrice.map { "\($0)" }),
                      .optional(position.stopLoss.map { "\($0)" }), .optional(position.takeProfit.map { "\($0)" }),
                      .integer(position.openedAt), .integer(time)]))
        } else {
            statements.append(SQLStatement("DELETE FROM positions WHERE mode = $1 AND symbol = $2", [.text(mode), .text(symbol)]))
        }
        for change in entry.riskEvents {
            statements.append(SQLStatement("""
                INSERT INTO risk_events (mode, symbol, "time", from_state, to_state, reason) VALUES ($1, $2, $3, $4, $5, $6)
                """, [.text(mode), .text(symbol), .integer(change.time), .text(change.from), .text(change.to), .text(change.reason)]))
        }
        if let equity = entry.equity {
            statements.append(SQLStatement("""
                INSERT INTO equity_snapshots (mode, scope, "time", equity, realized, unrealized) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (mode, scope, "time") DO UPDATE SET equity = excluded.equity, realized = excluded.realized,
                    unrealized = excluded.unrealized
                """, [.text(mode), .text(symbol), .integer(equity.time), .text("\(equity.equity)"), .text("\(equity.realized)"),
                      .text("\(equity.unrealized)")]))
        }
        for record in entry.strategies { statements += strategyStatements(record, keep: 1_000) }
        for event in entry.events {
            statements.append(SQLStatement("""
                INSERT INTO trader_events (mode, symbol, "time", kind, message) VALUES ($1, $2, $3, $4, $5)
                """, [.text(mode), .text(symbol), .integer(time), .text(event.kind), .text(event.message)]))
        }
        if let request = entry.completedRequest {
            statements.append(SQLStatement("UPDATE control_requests SET status = 'done', result = $1, handled_at = $2 WHERE id = $3",
                                           [.text(request.result), .integer(time), .integer(request.id)]))
        }
        try store.executeAtomically(statements, context: "recording the bar \(UTCTime.format(entry.lastBarOpenTime)) of \(symbol)")
    }

    /// Inserts a strategy record labelled best or worst, then keeps the agent's best and worst `keep`.
    func strategyStatements(_ record: StrategyRecord, keep: Int) -> [SQLStatement] {
        let outcome = record.performance > 0 ? "best" : "worst"
        let order = outcome == "best" ? "DESC" : "ASC"
        return [
            SQLStatement("""
                INSERT INTO ml_strategies (agent_version, symbol, "timestamp", exit_time, action, timeframes, indicators, tools,
                                           leverage, pnl, performance, outcome, phase)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                """, [.text(record.agentVersion), .text(record.symbol), .integer(record.timestamp), .optional(record.exitTime),
                      .text(record.action), .text(record.timeframes), .text(record.indicators), .text(record.tools),
                      .text("\(record.leverage)"), .text("\(record.pnl)"), .real(record.performance), .text(outcome), .text(record.phase)]),
            // Each account keeps its own best and worst (a demo account's records never push a real one's out).
            SQLStatement("""
                DELETE FROM ml_strategies WHERE agent_version = $1 AND symbol = $2 AND outcome = $3 AND phase = $5 AND id NOT IN (
                    SELECT id FROM ml_strategies WHERE agent_version = $1 AND symbol = $2 AND outcome = $3 AND phase = $5
                    ORDER BY performance \(order) LIMIT $4)
                """, [.text(record.agentVersion), .text(record.symbol), .text(outcome), .integer(Int64(keep)), .text(record.phase)]),
        ]
    }

    /// Records orders as about to be sent (status `submitted`), before they leave: a crash while one is
    /// in flight leaves its row, so the next start resolves it by its client id instead of taking the
    /// exchange's position for a stranger's.
    /// Returns nil when it was written, or, writing nothing, the status of the row the id has already (sent
    /// before: a restart re-traded its bar), so it is never sent twice.
    public func recordSending(_ order: OrderRow) throws -> String? {
        let existing = try store.rows("SELECT status FROM orders WHERE mode = $1 AND client_order_id = $2",
                                      [.text(mode), .text(order.clientOrderID)], context: "look up an order before sending it")
        if let row = existing.first { return (row.first ?? nil) ?? "" }
        try store.executeAtomically([orderStatement(order)], context: "record an order before sending it")
        return nil
    }

    func orderStatement(_ order: OrderRow) -> SQLStatement {
        SQLStatement("""
            INSERT INTO orders (client_order_id, exchange_order_id, mode, symbol, side, order_type, size, price, reduce_only, stop_loss,
                                take_profit, status, filled_size, average_price, fee, agent_version, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
            ON CONFLICT (mode, client_order_id) DO UPDATE SET exchange_order_id = COALESCE(excluded.exchange_order_id, orders.exchange_order_id),
                status = excluded.status, filled_size = excluded.filled_size, average_price = excluded.average_price, fee = excluded.fee,
                updated_at = excluded.updated_at
            """, [.text(order.clientOrderID), .optional(order.exchangeOrderID), .text(mode), .text(order.symbol), .text(order.side),
                  .text(order.orderType), .text(order.size), .optional(order.price), .integer(order.reduceOnly ? 1 : 0),
                  .optional(order.stopLoss), .optional(order.takeProfit), .text(order.status), .text(order.filledSize),
                  .optional(order.averagePrice), .text(order.fee), .optional(order.agentVersion), .integer(order.createdAt),
                  .integer(order.updatedAt)])
    }

    /// The state stored after the last processed bar of `symbol`, if any: (its open time, the agent version, the state JSON).
    public func state(symbol: Symbol) throws -> (lastBarOpenTime: Int64, agentVersion: String?, state: String)? {
        let rows = try store.rows("""
            SELECT last_bar_open_time, agent_version, state FROM trader_state WHERE mode = $1 AND symbol = $2
            """, [.text(mode), .text(symbol.name)], context: "reading the trader state of \(symbol)")
        guard let row = rows.first, let time = row[0].flatMap({ Int64($0) }), let state = row[2] else { return nil }
        return (time, row[1], state)
    }

    /// Whether `entry` is the symbol's stored state already (its bar time and the same JSON values: a
    /// PostgreSQL `jsonb` column gives back its own spacing and key order, never the text written).
    public func holds(_ entry: BarJournalEntry) throws -> Bool {
        guard let stored = try state(symbol: entry.symbol), stored.lastBarOpenTime == entry.lastBarOpenTime else { return false }
        guard let storedValue = try? JSONSerialization.jsonObject(with: Data(stored.state.utf8)) as? NSObject,
              let entryValue = try? JSONSerialization.jsonObject(with: Data(entry.state.utf8)) as? NSObject else {
            return stored.state == entry.state
        }
        return storedValue.isEqual(entryValue)
    }
}

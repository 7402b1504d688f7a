import Foundation
import MarketModel

/// A line of the trader's event log (`trader_events`).
public struct TraderEventRow: Sendable, Equatable {
    public var time: Int64
    public var symbol: String?
    public var kind: String
    public var message: String
}

/// An operator request as stored (`control_requests`).
public struct ControlRequestRow: Sendable, Equatable {
    public var id: Int64
    public var command: String
    public var symbol: String?
    public var status: String
    public var createdAt: Int64
    public var result: String?
}

/// A stored trade, as `trader status` and the Sharpe trigger read it.
public struct StoredTrade: Sendable, Equatable {
    public var symbol: String
    public var side: String
    public var size: String
    public var entryTime: Int64
    public var entryPrice: String
    public var exitTime: Int64
    public var exitPrice: String
    public var fees: String
    public var netPnL: Double
    public var exitReason: String
    public var agentVersion: String?
}

extension TraderJournal {
    /// Appends a line to the event log.
    public func event(symbol: Symbol?, kind: String, message: String, at time: Int64) throws {
        _ = try store.rows("""
            INSERT INTO trader_events (mode, symbol, "time", kind, message) VALUES ($1, $2, $3, $4, $5)
            """, [.text(mode), .optional(symbol?.name), .integer(time), .text(kind), .text(message)], context: "recording a trader event")
    }

    /// The newest `limit` events, newest first.
    public func events(limit: Int) throws -> [TraderEventRow] {
        try store.rows("""
            SELECT "time", symbol, kind, message FROM trader_events WHERE mode = $1 ORDER BY id DESC LIMIT $2
            """, [.text(mode), .integer(Int64(limit))], context: "reading trader events").map { row in
            TraderEventRow(time: Int64(row[0] ?? "") ?? 0, symbol: row[1], kind: row[2] ?? "", message: row[3] ?? "")
        }
    }

    /// Queues an operator request for the running (or next) trader; returns its id.
    @discardableResult
    public func request(_ command: String, symbol: Symbol?, reason: String?, at time: Int64) throws -> Int64 {
        let rows = try store.rows("""
            INSERT INTO control_requests (mode, command, symbol, status, created_at, result) VALUES ($1, $2, $3, 'pending', $4, $5)
            RETURNING id
            """, [.text(mode), .text(command), .optional(symbol?.name), .integer(time), .optional(reason)], context: "queueing a request")
        guard let text = rows.first?.first ?? nil, let id = Int64(text) else {
            throw StoreError.statementFailed(context: "queueing a request", message: "no id returned")
        }
        return id
    }

    /// The pending requests, oldest first (`result` holds the reason given with them).
    public func pendingRequests() throws -> [ControlRequestRow] {
        try store.rows("""
            SELECT id, command, symbol, status, created_at, result FROM control_requests WHERE mode = $1 AND status = 'pending' ORDER BY id
            """, [.text(mode)], context: "reading requests").map(Self.request)
    }

    public func requests(limit: Int) throws -> [ControlRequestRow] {
        try store.rows("""
            SELECT id, command, symbol, status, created_at, result FROM control_requests WHERE mode = $1 ORDER BY id DESC LIMIT $2
            """, [.text(mode), .integer(Int64(limit))], context: "reading requests").map(Self.request)
    }

    static func request(_ row: [String?]) -> ControlRequestRow {
        ControlRequestRow(id: Int64(row[0] ?? "") ?? 0, command: row[1] ?? "", symbol: row[2], status: row[3] ?? "",
                          createdAt: Int64(row[4] ?? "") ?? 0, result: row[5])
    }

    /// Marks a request done or failed, with what happened.
    public func finishRequest(_ id: Int64, status: String, result: String, at time: Int64) throws {
        _ = try store.rows("UPDATE control_requests SET status = $1, result = $2, handled_at = $3 WHERE id = $4",
                           [.text(status), .text(result), .integer(time), .integer(id)], context: "finishing request \(id)")
    }

    /// This account's orders not yet filled, rejected or cancelled, oldest first (a restarted trader
    /// follows them to their end).
    public func workingOrders() throws -> [OrderRow] {
        try store.rows("""
            SELECT client_order_id, exchange_order_id, symbol, side, order_type, size, price, reduce_only, stop_loss, take_profit, status,
                   filled_size, average_price, fee, agent_version, created_at, updated_at
            FROM orders WHERE mode = $1 AND status IN ('submitted', 'accepted', 'unknown') ORDER BY created_at, id
            """, [.text(mode)], context: "reading the working orders").map { row in
            OrderRow(clientOrderID: row[0] ?? "", exchangeOrderID: row[1], symbol: row[2] ?? "", side: row[3] ?? "", orderType: row[4] ?? "market",
                     size: row[5] ?? "0", price: row[6], reduceOnly: row[7] == "1" || row[7] == "t", stopLoss: row[8], takeProfit: row[9],
                     status: row[10] ?? "", filledSize: row[11] ?? "0", averagePrice: row[12], fee: row[13] ?? "0", agentVersion: row[14],
                     createdAt: Int64(row[15] ?? "") ?? 0, updatedAt: Int64(row[16] ?? "") ?? 0)
        }
    }

    /// The position this account's journal holds for `symbol` (the `positions` row written with every
    /// bar), nil when flat. A row that cannot be read as a position throws: reconciling it would guess.
    public func storedPosition(symbol: Symbol) throws -> Position? {
        let rows = try store.rows("""
            SELECT side, size, entry_price, margin, leverage, stop_loss, take_profit, opened_at FROM positions WHERE mode = $1 AND symbol = $2
            """, [.text(mode), .text(symbol.name)], context: "reading the position of \(symbol)")
        guard let row = rows.first else { return nil }
        guard let side = PositionSide(rawValue: row[0] ?? ""), let size = Double(row[1] ?? ""), let entry = Double(row[2] ?? ""),
              let margin = Double(row[3] ?? ""), let leverage = Double(row[4] ?? ""), let opened = Int64(row[7] ?? "")
        else {
            throw StoreError.statementFailed(context: "reading the position of \(symbol)", message: "the stored row is not a position: \(row.map { $0 ?? "NULL" })")
        }
        return Position(side: side, size: size, entryPrice: entry, margin: margin, leverage: leverage, stopLoss: row[5].flatMap(Double.init),
                        takeProfit: row[6].flatMap(Double.init), openedAt: opened, fees: 0, funding: 0)
    }

    /// Every symbol's stored state: (symbol, last bar open time, agent version, state JSON, updated at).
    public func states() throws -> [(symbol: String, lastBarOpenTime: Int64, agentVersion: String?, state: String, updatedAt: Int64)] {
        try store.rows("""
            SELECT symbol, last_bar_open_time, agent_version, state, updated_at FROM trader_state WHERE mode = $1 ORDER BY symbol
            """, [.text(mode)], context: "reading trader states").map { row in
            (row[0] ?? "", Int64(row[1] ?? "") ?? 0, row[2], row[3] ?? "{}", Int64(row[4] ?? "") ?? 0)
        }
    }

    /// Closed trades, newest first (`since`: exit time from, UTC ms).
    public func trades(symbol: Symbol? = nil, since: Int64? = nil, limit: Int = 1_000) throws -> [StoredTrade] {
        try store.rows("""
            SELECT symbol, side, size, entry_time, entry_price, exit_time, exit_price, fees, realized_pnl, exit_reason, agent_version
            FROM trades WHERE mode = $1 AND ($2 = '' OR symbol = $2) AND exit_time >= $3 ORDER BY exit_time DESC, id DESC LIMIT $4
            """, [.text(mode), .text(symbol?.name ?? ""), .integer(since ?? 0), .integer(Int64(limit))], context: "reading trades").map { row in
            StoredTrade(symbol: row[0] ?? "", side: row[1] ?? "", size: row[2] ?? "", entryTime: Int64(row[3] ?? "") ?? 0,
                        entryPrice: row[4] ?? "", exitTime: Int64(row[5] ?? "") ?? 0, exitPrice: row[6] ?? "", fees: row[7] ?? "",
                        netPnL: Double(row[8] ?? "") ?? 0, exitReason: row[9] ?? "", agentVersion: row[10])
        }
    }

    /// Equity snapshots of `symbol` from `since` (UTC ms) on, oldest first, at most `limit`: (time, equity).
    public func equity(symbol: Symbol, since: Int64, limit: Int = 100_000) throws -> [(time: Int64, equity: Double)] {
        try store.rows("""
            SELECT "time", equity FROM equity_snapshots WHERE mode = $1 AND scope = $2 AND "time" >= $3 ORDER BY "time" LIMIT $4
            """, [.text(mode), .text(symbol.name), .integer(since), .integer(Int64(limit))], context: "reading equity").map { row in
            (Int64(row[0] ?? "") ?? 0, Double(row[1] ?? "") ?? 0)
        }
    }

    /// The time of the newest equity snapshot of these symbols (UTC ms), nil when there is none.
    public func latestEquityTime(symbols: [Symbol]) throws -> Int64? {
        try symbols.compactMap { symbol -> Int64? in
            let cell = try store.rows("""
                SELECT MAX("time") FROM equity_snapshots WHERE mode = $1 AND scope = $2
                """, [.text(mode), .text(symbol.name)], context: "reading the latest equity time").first?.first ?? nil
            return cell.flatMap { Int64($0) }
        }.max()
    }
}

import Foundation

/// A message of the durable outbox (`telegram_outbox`), waiting to be sent.
public struct OutboxRow: Sendable, Equatable {
    public var id: Int64
    public var chatID: Int64
    /// HTML (escaped by whoever queued it), within Telegram's limit.
    public var text: String
    /// 0 critical, 1 normal.
    public var priority: Int
    public var attempts: Int
    /// The earliest time of the next attempt, UTC ms.
    public var notBefore: Int64
}

/// A line of the trader's event log as the alerts read it: its id, the time (UTC ms), the symbol, the
/// kind and the text.
public struct JournalAlertRow: Sendable, Equatable {
    public var id: Int64
    public var time: Int64
    public var symbol: String?
    public var kind: String
    public var message: String

    public init(id: Int64, time: Int64, symbol: String?, kind: String, message: String) {
        self.id = id
        self.time = time
        self.symbol = symbol
        self.kind = kind
        self.message = message
    }
}

/// The Telegram channel's records of one account (`mode`): its key/value state (the update offset, the
/// alert cursor, the day of the last summary) and the outbox. Delivered messages keep their row, marked
/// `sent`, for 30 days.
public struct TelegramRecords: Sendable {
    public let store: any Store
    public let mode: String

    public init(store: any Store, mode: String) {
        self.store = store
        self.mode = mode
    }

    /// A state value of this mode (keys are stored as `mode.key`: a paper and a live trader on one
    /// database keep their own cursors).
    public func value(_ key: String) throws -> String? {
        try store.rows("SELECT value FROM telegram_state WHERE key = $1", [.text("\(mode).\(key)")],
                       context: "reading telegram state \(key)").first?.first ?? nil
    }

    public func setValue(_ value: String, for key: String) throws {
        _ = try store.rows("""
            INSERT INTO telegram_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """, [.text("\(mode).\(key)"), .text(value)], context: "writing telegram state \(key)")
    }

    /// Forgets delivered and refused messages settled before `time` (UTC ms); waiting ones stay.
    public func pruneSettled(before time: Int64) throws {
        _ = try store.rows("DELETE FROM telegram_outbox WHERE mode = $1 AND status <> 'waiting' AND sent_at < $2", [.text(mode), .integer(time)],
                           context: "pruning the Telegram outbox")
    }

    /// Stores a message to send; returns its id (ids increase in the order messages are queued).
    @discardableResult
    public func enqueue(chatID: Int64, text: String, priority: Int, at time: Int64) throws -> Int64 {
        let rows = try store.rows("""
            INSERT INTO telegram_outbox (mode, chat_id, text, priority, status, attempts, not_before, created_at)
            VALUES ($1, $2, $3, $4, 'waiting', 0, 0, $5) RETURNING id
            """, [.text(mode), .integer(chatID), .text(text), .integer(Int64(priority)), .integer(time)], context: "queueing a Telegram message")
        guard let text = rows.first?.first ?? nil, let id = Int64(text) else {
            throw StoreError.statementFailed(context: "queueing a Telegram message", message: "no id returned")
        }
        return id
    }

    /// The messages still to send, in the order they were queued.
    public func waiting() throws -> [OutboxRow] {
        try store.rows("""
            SELECT id, chat_id, text, priority, attempts, not_before FROM telegram_outbox WHERE mode = $1 AND status = 'waiting' ORDER BY id
            """, [.text(mode)], context: "reading the Telegram outbox").map { row in
            OutboxRow(id: Int64(row[0] ?? "") ?? 0, chatID: Int64(row[1] ?? "") ?? 0, text: row[2] ?? "", priority: Int(row[3] ?? "") ?? 1,
                      attempts: Int(row[4] ?? "") ?? 0, notBefore: Int64(row[5] ?? "") ?? 0)
        }
    }

    /// Marks messages delivered (`sent`) or refused by Telegram (`refused`, with the reason): they leave the outbox.
    public func settle(_ ids: [Int64], status: String, reason: String? = nil, at time: Int64) throws {
        try store.executeAtomically(ids.map {
            SQLStatement("UPDATE telegram_outbox SET status = $1, sent_at = $2, reason = $3 WHERE id = $4",
                         [.text(status), .integer(time), .optional(reason), .integer($0)])
        }, context: "settling Telegram messages")
    }

    /// Records a failed attempt: the count and the time of the next.
    public func retryLater(_ id: Int64, attempts: Int, notBefore: Int64) throws {
        _ = try store.rows("UPDATE telegram_outbox SET attempts = $1, not_before = $2 WHERE id = $3",
                           [.integer(Int64(attempts)), .integer(notBefore), .integer(id)], context: "rescheduling a Telegram message")
    }

    /// The counts of messages by status (`waiting`, `sent`, `refused`).
    public func outboxCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try store.rows("SELECT status, COUNT(*) FROM telegram_outbox WHERE mode = $1 GROUP BY status", [.text(mode)],
                                  context: "counting the Telegram outbox") {
            counts[row[0] ?? ""] = Int(row[1] ?? "") ?? 0
        }
        return counts
    }

    /// The highest id of the event log in this mode (0 when empty): where alerts start on a first run.
    public func lastEventID() throws -> Int64 {
        let rows = try store.rows("SELECT COALESCE(MAX(id), 0) FROM trader_events WHERE mode = $1", [.text(mode)],
                                  context: "reading the last event id")
        return (rows.first?.first ?? nil).flatMap { Int64($0) } ?? 0
    }

    /// The event-log lines after `id`, oldest first, at most `limit`.
    public func events(after id: Int64, limit: Int = 200) throws -> [JournalAlertRow] {
        try store.rows("""
            SELECT id, "time", symbol, kind, message FROM trader_events WHERE mode = $1 AND id > $2 ORDER BY id LIMIT $3
            """, [.text(mode), .integer(id), .integer(Int64(limit))], context: "reading new trader events").map { row in
            JournalAlertRow(id: Int64(row[0] ?? "") ?? 0, time: Int64(row[1] ?? "") ?? 0, symbol: row[2], kind: row[3] ?? "", message: row[4] ?? "")
        }
    }
}

import Foundation
import Storage
import TestSupport
import Testing

/// Migration 7 gives BitGet's demo account its own records: what an earlier version kept as `live` (it
/// could only trade the demo account) becomes `demo` in every table, on both backends, with the indexes
/// and the id sequences kept, and the real account starts with a clean book.
@Suite(.removesTemporaryFiles) struct DemoAccountMigrationTests {
    /// One row of every table that has an account mode, for `mode` (the strategy record's phase is the mode).
    static func rows(_ mode: String, time: Int64) -> [SQLStatement] {
        let m = "'\(mode)'"
        return [
            "INSERT INTO trader_state (mode, symbol, last_bar_open_time, state, updated_at) VALUES (\(m), 'BTCUSDT', \(time), '{}', 1)",
            """
            INSERT INTO orders (client_order_id, mode, symbol, side, order_type, size, reduce_only, status, created_at, updated_at)
            VALUES ('BTCUSDT-E-1', \(m), 'BTCUSDT', 'buy', 'market', '0.01', '0', 'filled', \(time), \(time))
            """,
            """
            INSERT INTO trades (mode, symbol, side, size, leverage, entry_time, entry_price, exit_time, exit_price, fees, funding, realized_pnl, exit_reason)
            VALUES (\(m), 'BTCUSDT', 'long', '0.01', '10', 1, '100', \(time), '101', '0.1', '0', '0.9', 'stop')
            """,
            """
            INSERT INTO positions (mode, symbol, side, size, entry_price, leverage, margin, opened_at, updated_at)
            VALUES (\(m), 'BTCUSDT', 'long', '0.01', '100', '10', '0.1', 1, \(time))
            """,
            "INSERT INTO equity_snapshots (mode, scope, \"time\", equity, realized, unrealized) VALUES (\(m), 'total', \(time), '1000', '0', '0')",
            "INSERT INTO risk_events (mode, symbol, \"time\", from_state, to_state, reason) VALUES (\(m), 'BTCUSDT', \(time), 'NORMAL', 'HALTED', 'test')",
            "INSERT INTO control_requests (mode, command, status, created_at) VALUES (\(m), 'halt', 'done', \(time))",
            "INSERT INTO trader_events (mode, \"time\", kind, message) VALUES (\(m), \(time), 'started', 'test')",
            "INSERT INTO telegram_outbox (chat_id, text, priority, status, created_at, mode) VALUES (1, 'hi', 0, 'sent', \(time), \(m))",
            """
            INSERT INTO ml_strategies (agent_version, symbol, "timestamp", action, timeframes, indicators, tools, leverage, pnl, performance, phase)
            VALUES ('v1', 'BTCUSDT', \(time), 'long', '[]', '[]', '[]', '10', '1', 1, \(m))
            """,
        ].map { SQLStatement($0) }
    }

    static let tables = ["trader_state", "orders", "trades", "positions", "equity_snapshots", "risk_events", "control_requests", "trader_events",
                         "telegram_outbox"]

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func theEarlierLiveRecordsBecomeTheDemoAccountsAndTheRealOneStartsClean(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        let store = fixture.store
        _ = try store.migrate(fixture.migrations.filter { $0.version < 7 })
        try store.executeAtomically(Self.rows("live", time: 60_000) + Self.rows("paper", time: 120_000) + [
            SQLStatement("INSERT INTO telegram_state (key, value) VALUES ('live.offset', '41')"),
            SQLStatement("INSERT INTO telegram_state (key, value) VALUES ('paper.offset', '7')"),
        ], context: "test")
        let riskIDsBefore = try store.rows("SELECT MAX(id) FROM risk_events", [], context: "test")

        let report = try store.migrate(fixture.migrations)
        #expect(report.applied.map(\.version).contains(7))
        for table in Self.tables {
            let modes = try store.rows("SELECT mode FROM \(table) ORDER BY mode", [], context: "test").map { $0[0] ?? "" }
            #expect(modes == ["demo", "paper"], "\(table): \(modes)")
        }
        #expect(try store.rows("SELECT phase FROM ml_strategies ORDER BY phase", [], context: "test") == [["demo"], ["paper"]])
        #expect(try store.rows("SELECT key, value FROM telegram_state ORDER BY key", [], context: "test")
            == [["demo.offset", "41"], ["paper.offset", "7"]])
        #expect(try store.rows("SELECT mode, last_bar_open_time FROM trader_state ORDER BY mode", [], context: "test")
            == [["demo", "60000"], ["paper", "120000"]], "the rows are kept whole")

        // The real account's book is empty, and takes rows of its own beside the demo account's.
        try store.executeAtomically(Self.rows("live", time: 180_000), context: "test")
        for table in Self.tables {
            let count = try store.rows("SELECT COUNT(*) FROM \(table) WHERE mode = 'live'", [], context: "test")
            #expect(count == [["1"]], "\(table)")
        }
        let riskIDsAfter = try store.rows("SELECT MIN(id) FROM risk_events WHERE mode = 'live'", [], context: "test")
        #expect((Int(riskIDsAfter[0][0] ?? "") ?? 0) > (Int(riskIDsBefore[0][0] ?? "") ?? .max), "ids go on: \(riskIDsBefore) → \(riskIDsAfter)")
        let indexes = backend == .sqlite
            ? try store.rows("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL", [], context: "test")
            : try store.rows("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()", [], context: "test")
        let names = Set(indexes.compactMap { $0[0] })
        for index in ["orders_symbol_created", "trades_symbol_exit", "risk_events_symbol_time", "ml_strategies_agent_performance"] {
            #expect(names.contains(index), "\(index) kept: \(names.sorted())")
        }
        #expect(throws: StoreError.self, "no other mode is taken") {
            try store.executeAtomically([
                SQLStatement("INSERT INTO trader_state (mode, symbol, last_bar_open_time, state, updated_at) VALUES ('testnet', 'BTCUSDT', 1, '{}', 1)"),
            ], context: "test")
        }
    }
}

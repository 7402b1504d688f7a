import Foundation
import Storage
import TestSupport
import Testing

/// Migration 7 gives BitGet's demo account its own records: what an earlier version kept as `live` (it
/// could only trade the demo account) becomes `demo`, on both backends, and the real account starts with
/// a clean book.
@Suite(.removesTemporaryFiles) struct DemoAccountMigrationTests {
    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func theEarlierLiveRecordsBecomeTheDemoAccountsAndTheRealOneStartsClean(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations.filter { $0.version < 7 })
        try fixture.store.executeAtomically([
            SQLStatement("INSERT INTO trader_state (mode, symbol, last_bar_open_time, state, updated_at) VALUES ('live', 'BTCUSDT', 60000, '{}', 1)"),
            SQLStatement("INSERT INTO trader_state (mode, symbol, last_bar_open_time, state, updated_at) VALUES ('paper', 'BTCUSDT', 120000, '{}', 1)"),
            SQLStatement("""
                INSERT INTO orders (client_order_id, mode, symbol, side, order_type, size, reduce_only, status, created_at, updated_at)
                VALUES ('BTCUSDT-E-1', 'live', 'BTCUSDT', 'buy', 'market', '0.01', '0', 'filled', 1, 1)
                """),
            SQLStatement("""
                INSERT INTO ml_strategies (agent_version, symbol, "timestamp", action, timeframes, indicators, tools, leverage, pnl, performance, phase)
                VALUES ('v1', 'BTCUSDT', 1, 'long', '[]', '[]', '[]', '10', '1', 1, 'live')
                """),
            SQLStatement("INSERT INTO telegram_state (key, value) VALUES ('live.offset', '41')"),
            SQLStatement("INSERT INTO telegram_state (key, value) VALUES ('paper.offset', '7')"),
        ], context: "test")

        let report = try fixture.store.migrate(fixture.migrations)
        #expect(report.applied.map(\.version).contains(7))
        let modes = try fixture.store.rows("SELECT mode, last_bar_open_time FROM trader_state ORDER BY mode", [], context: "test")
        #expect(modes == [["demo", "60000"], ["paper", "120000"]])
        #expect(try fixture.store.rows("SELECT mode FROM orders", [], context: "test") == [["demo"]])
        #expect(try fixture.store.rows("SELECT phase FROM ml_strategies", [], context: "test") == [["demo"]])
        #expect(try fixture.store.rows("SELECT key, value FROM telegram_state ORDER BY key", [], context: "test")
            == [["demo.offset", "41"], ["paper.offset", "7"]])

        // The three accounts are each other's strangers; no other mode is taken.
        try fixture.store.executeAtomically([
            SQLStatement("""
                INSERT INTO orders (client_order_id, mode, symbol, side, order_type, size, reduce_only, status, created_at, updated_at)
                VALUES ('BTCUSDT-E-1', 'live', 'BTCUSDT', 'buy', 'market', '0.01', '0', 'submitted', 2, 2)
                """),
        ], context: "test")
        #expect(try fixture.store.rows("SELECT mode, status FROM orders ORDER BY mode", [], context: "test") == [["demo", "filled"], ["live", "submitted"]])
        #expect(throws: StoreError.self) {
            try fixture.store.executeAtomically([
                SQLStatement("INSERT INTO trader_state (mode, symbol, last_bar_open_time, state, updated_at) VALUES ('testnet', 'BTCUSDT', 1, '{}', 1)"),
            ], context: "test")
        }
    }
}

import Foundation
import MarketModel
import Storage

/// A fresh, empty store (a temporary SQLite file, or a new database on the test PostgreSQL server) of either backend, cleaned up by `tearDown`.
public struct StoreFixture: Sendable {
    public let store: any Store
    public let migrations: [Migration]
    private let cleanup: @Sendable () -> Void

    public static func make(_ backend: StoreBackend) throws -> StoreFixture {
        let migrations = try MigrationCatalog.load(directory: TestEnvironment.migrationsDirectory, backend: backend)
        switch backend {
        case .sqlite:
            let directory = TestEnvironment.temporaryDirectory("sqlite")
            let store = try SQLiteStore(path: directory + "/trader.sqlite")
            return StoreFixture(store: store, migrations: migrations) { try? FileManager.default.removeItem(atPath: directory) }
        case .postgresql:
            let database = try PostgresTestDatabase.create()
            let store = try PostgresStore(url: database.url, displayLocation: database.name)
            return StoreFixture(store: store, migrations: migrations) { database.drop() }
        }
    }

    public func tearDown() { cleanup() }
}

/// A run of valid 1m bars starting at `start`.
public func makeBars(count: Int, start: Int64 = 1_746_372_780_000, timeframe: Timeframe = .oneMinute) -> [Bar] {
    (0..<count).map { index in
        let base = 30_000 + Double(index % 97) * 0.1
        return Bar(openTime: start + Int64(index) * timeframe.milliseconds, open: base, high: base + 1.5,
                   low: base - 1.25, close: base + 0.3, volume: 1.0 / Double(index + 3))
    }
}

import Foundation
import GRDB
import GRDBSQLite
import MarketModel

/// The embedded store: one SQLite file through GRDB, zero set-up. WAL journal, so readers never block
/// the writer.
public final class SQLiteStore: Store {
    public let backend = StoreBackend.sqlite
    public let location: String
    /// The database file.
    public let path: String
    let queue: DatabaseQueue
    private let seriesIdentifiers = SeriesIdentifierCache()

    /// Opens (creating if needed) the database file at `path`, and its directory.
    public init(path: String) throws(StoreError) {
        location = "sqlite:\(path)"
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        var configuration = GRDB.Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        } catch {
            throw .connectionFailed(location: location, reason: "\(error)")
        }
    }

    func run<T>(_ context: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try queue.writeWithoutTransaction(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .statementFailed(context: context, message: "\(error)")
        }
    }

    public func appliedMigrations() throws -> [AppliedMigration] {
        try run("reading schema_migrations") { db in
            guard try db.tableExists("schema_migrations") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
                .map { AppliedMigration(version: $0[0], name: $0[1], checksum: $0[2], appliedAt: $0[3]) }
        }
    }

    public func migrate(_ migrations: [Migration]) throws -> MigrationReport {
        try run("migrating") { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)
                """)
            let applied = try Row.fetchAll(db, sql: "SELECT version, name, checksum, applied_at FROM schema_migrations")
                .map { AppliedMigration(version: $0[0], name: $0[1], checksum: $0[2], appliedAt: $0[3]) }
            let pending = try MigrationCatalog.pending(known: migrations, applied: applied)
            for migration in pending {
                do {
                    try db.inTransaction(.immediate) {
                        try db.execute(sql: migration.sql)
                        try db.execute(sql: "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)", arguments: [
                            migration.version, migration.name, migration.checksum, Int64(Date().timeIntervalSince1970 * 1000),
                        ])
                        return .commit
                    }
                } catch {
                    throw StoreError.statementFailed(context: "applying migration \(migration.file)", message: "\(error)")
                }
            }
            return MigrationReport(applied: pending, version: migrations.last?.version ?? 0)
        }
    }

    /// The id of a candle series; with `create`, the series is added when missing.
    func seriesID(_ symbol: Symbol, _ timeframe: Timeframe, create: Bool) throws -> Int? {
        if let id = seriesIdentifiers[symbol, timeframe] { return id }
        let id: Int? = try run("looking up the \(symbol) \(timeframe) series") { db in
            if create {
                try db.execute(sql: "INSERT INTO candle_series (symbol, timeframe) VALUES (?, ?) ON CONFLICT DO NOTHING",
                               arguments: [symbol.name, timeframe.rawValue])
            }
            return try Int.fetchOne(db, sql: "SELECT id FROM candle_series WHERE symbol = ? AND timeframe = ?",
                                    arguments: [symbol.name, timeframe.rawValue])
        }
        if let id { seriesIdentifiers[symbol, timeframe] = id }
        return id
    }

    public func upsertCandles(_ bars: [Bar], symbol: Symbol, timeframe: Timeframe) throws -> UpsertCount {
        guard !bars.isEmpty else { return UpsertCount() }
        let series = Int64(try seriesID(symbol, timeframe, create: true)!)
        return try run("storing \(symbol) \(timeframe) candles") { db in
            var inserted = 0
            try db.inTransaction(.immediate) {
                let statement = try db.cachedStatement(sql: """
                    INSERT INTO candles (series_id, open_time, open, high, low, close, volume)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """)
                // Bound through the C API: GRDB's argument arrays would allocate per row.
                let handle = statement.sqliteStatement
                for bar in bars {
                    sqlite3_bind_int64(handle, 1, series)
                    sqlite3_bind_int64(handle, 2, bar.openTime)
                    sqlite3_bind_double(handle, 3, bar.open)
                    sqlite3_bind_double(handle, 4, bar.high)
                    sqlite3_bind_double(handle, 5, bar.low)
                    sqlite3_bind_double(handle, 6, bar.close)
                    sqlite3_bind_double(handle, 7, bar.volume)
                    let code = sqlite3_step(handle)
                    sqlite3_reset(handle)
                    guard code == SQLITE_DONE else {
                        throw StoreError.statementFailed(context: "storing \(symbol) \(timeframe) candles",
                                                         message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                    }
                    inserted += Int(sqlite3_changes(db.sqliteConnection))
                }
                return .commit
            }
            return UpsertCount(inserted: inserted, alreadyPresent: bars.count - inserted)
        }
    }

    public func candles(symbol: Symbol, timeframe: Timeframe, from: Int64?, to: Int64?, limit: Int?) throws -> [Bar] {
        guard let series = try seriesID(symbol, timeframe, create: false) else { return [] }
        return try run("reading \(symbol) \(timeframe) candles") { db in
            let statement = try db.cachedStatement(sql: """
                SELECT open_time, open, high, low, close, volume FROM candles
                WHERE series_id = ? AND open_time >= ? AND open_time <= ?
                ORDER BY open_time LIMIT ?
                """)
            let arguments: StatementArguments = [series, from ?? .min, to ?? .max, limit ?? -1]
            var bars: [Bar] = []
            let rows = try Row.fetchCursor(statement, arguments: arguments)
            while let row = try rows.next() {
                bars.append(Bar(openTime: row[0], open: row[1], high: row[2], low: row[3], close: row[4], volume: row[5]))
            }
            return bars
        }
    }

    public func candleCoverage() throws -> [CandleCoverage] {
        try run("summarising candles") { db in
            try Row.fetchAll(db, sql: """
                SELECT s.symbol, s.timeframe, count(*), min(c.open_time), max(c.open_time)
                FROM candles c JOIN candle_series s ON s.id = c.series_id
                GROUP BY s.symbol, s.timeframe ORDER BY s.symbol, s.timeframe
                """).compactMap { row in
                guard let symbol = Symbol(row[0] as String), let timeframe = Timeframe(rawValue: row[1]) else { return nil }
                return CandleCoverage(symbol: symbol, timeframe: timeframe, count: row[2], firstOpenTime: row[3], lastOpenTime: row[4])
            }
        }
    }

    public func upsertFundingRates(_ rates: [FundingRate], symbol: Symbol) throws -> UpsertCount {
        guard !rates.isEmpty else { return UpsertCount() }
        return try run("storing \(symbol) funding rates") { db in
            var inserted = 0
            try db.inTransaction(.immediate) {
                let statement = try db.cachedStatement(sql: """
                    INSERT INTO funding_rates (symbol, funding_time, rate) VALUES (?, ?, ?) ON CONFLICT DO NOTHING
                    """)
                for rate in rates {
                    statement.setUncheckedArguments([symbol.name, rate.time, rate.rate])
                    try statement.execute()
                    inserted += db.changesCount
                }
                return .commit
            }
            return UpsertCount(inserted: inserted, alreadyPresent: rates.count - inserted)
        }
    }

    public func fundingRates(symbol: Symbol, from: Int64?, to: Int64?) throws -> [FundingRate] {
        try run("reading \(symbol) funding rates") { db in
            try Row.fetchAll(db, sql: """
                SELECT funding_time, rate FROM funding_rates WHERE symbol = ? AND funding_time >= ? AND funding_time <= ?
                ORDER BY funding_time
                """, arguments: [symbol.name, from ?? .min, to ?? .max]).map { FundingRate(time: $0[0], rate: $0[1]) }
        }
    }

    public func rows(_ sql: String, _ parameters: [SQLValue], context: String) throws -> [[String?]] {
        try run(context) { db in
            try Row.fetchAll(db, sql: Self.numberedParameters(sql), arguments: Self.arguments(parameters)).map { row in
                row.databaseValues.map(Self.text)
            }
        }
    }

    public func executeAtomically(_ statements: [SQLStatement], context: String) throws {
        try run(context) { db in
            try db.inTransaction(.immediate) {
                for statement in statements {
                    try db.execute(sql: Self.numberedParameters(statement.sql), arguments: Self.arguments(statement.parameters))
                }
                return .commit
            }
        }
    }

    /// `$1` → `?1`: SQLite reads `$1` as a named parameter, `?1` as the numbered one.
    static func numberedParameters(_ sql: String) -> String {
        var result = "", characters = Array(sql), index = 0
        while index < characters.count {
            if characters[index] == "$", index + 1 < characters.count, characters[index + 1].isNumber {
                result.append("?")
            } else {
                result.append(characters[index])
            }
            index += 1
        }
        return result
    }

    static func arguments(_ parameters: [SQLValue]) -> StatementArguments {
        StatementArguments(parameters.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case let .integer(number): number
            case let .real(number): number
            case let .text(text): text
            case .null: nil
            }
        })
    }

    static func text(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .null: nil
        case let .int64(number): "\(number)"
        case let .double(number): "\(number)"
        case let .string(text): text
        case let .blob(data): data.base64EncodedString()
        }
    }
}

import CLibPQ
import Foundation
import MarketModel

/// The production store: PostgreSQL through libpq. Bulk candle loads go through COPY into a staging
/// table and one `INSERT … ON CONFLICT DO NOTHING`, so re-loading never duplicates a bar.
public final class PostgresStore: Store {
    public let backend = StoreBackend.postgresql
    public let location: String
    let connection: PostgresConnection
    private let seriesIdentifiers = SeriesIdentifierCache()

    /// Connects to `url` (a libpq URI such as `postgresql://user@127.0.0.1:5432/trader`).
    /// `displayLocation` is the URL with any password redacted.
    public init(url: String, displayLocation: String) throws(StoreError) {
        location = displayLocation
        connection = try PostgresConnection(url: url, displayLocation: displayLocation)
    }

    /// Runs `body` inside BEGIN … COMMIT on the locked connection, rolling back on any error.
    func transaction<T>(_ context: String, _ body: () throws -> T) throws -> T {
        try connection.withLock {
            try connection.execute("BEGIN", context: context)
            do {
                let value = try body()
                try connection.execute("COMMIT", context: context)
                return value
            } catch {
                _ = try? connection.execute("ROLLBACK", context: context)
                throw error
            }
        }
    }

    public func appliedMigrations() throws -> [AppliedMigration] {
        try connection.withLock {
            let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", context: "reading schema_migrations")
            guard exists.text(0, 0) == "t" else { return [] }
            let rows = try connection.query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
                                            context: "reading schema_migrations")
            return (0..<rows.rowCount).map { row in
                AppliedMigration(version: Int(rows.integer(row, 0)), name: rows.text(row, 1) ?? "",
                                 checksum: rows.text(row, 2) ?? "", appliedAt: rows.integer(row, 3))
            }
        }
    }

    public func migrate(_ migrations: [Migration]) throws -> MigrationReport {
        // One migrator at a time across processes: a session advisory lock for the whole run.
        try connection.withLock {
            try connection.execute("SELECT pg_advisory_lock(8410013)", context: "locking for migration")
            defer { _ = try? connection.execute("SELECT pg_advisory_unlock(8410013)", context: "unlocking after migration") }
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """, context: "creating schema_migrations")
        }
        let applied = try appliedMigrations()
        let pending = try MigrationCatalog.pending(known: migrations, applied: applied)
        for migration in pending {
            try transaction("applying migration \(migration.file)") {
                try connection.execute(migration.sql, context: "applying migration \(migration.file)")
                try connection.query("INSERT INTO schema_migrations VALUES ($1, $2, $3, $4)", [
                    String(migration.version), migration.name, migration.checksum,
                    String(Int64(Date().timeIntervalSince1970 * 1000)),
                ], context: "recording migration \(migration.file)")
            }
        }
        return MigrationReport(applied: pending, version: migrations.last?.version ?? 0)
    }

    /// The id of a candle series; with `create`, the series is added when missing.
    func seriesID(_ symbol: Symbol, _ timeframe: Timeframe, create: Bool) throws -> Int? {
        if let id = seriesIdentifiers[symbol, timeframe] { return id }
        let context = "looking up the \(symbol) \(timeframe) series"
        let id: Int? = try connection.withLock {
            if create {
                try connection.query("""
                    INSERT INTO candle_series (symbol, timeframe) VALUES ($1, $2) ON CONFLICT (symbol, timeframe) DO NOTHING
                    """, [symbol.name, timeframe.rawValue], context: context)
            }
            let rows = try connection.query("SELECT id FROM candle_series WHERE symbol = $1 AND timeframe = $2",
                                            [symbol.name, timeframe.rawValue], context: context)
            return rows.rowCount == 1 ? Int(rows.integer(0, 0)) : nil
        }
        if let id { seriesIdentifiers[symbol, timeframe] = id }
        return id
    }

    public func upsertCandles(_ bars: [Bar], symbol: Symbol, timeframe: Timeframe) throws -> UpsertCount {
        guard !bars.isEmpty else { return UpsertCount() }
        let context = "storing \(symbol) \(timeframe) candles"
        let series = try seriesID(symbol, timeframe, create: true)!
        let first = bars.map(\.openTime).min()!, last = bars.map(\.openTime).max()!
        let overlaps = try connection.withLock {
            try connection.query("""
                SELECT EXISTS (SELECT 1 FROM candles WHERE series_id = $1 AND open_time BETWEEN $2 AND $3)
                """, [String(series), String(first), String(last)], context: context).text(0, 0) == "t"
        }
        if !overlaps {
            // A range the store has none of (the usual import or download): COPY straight into candles.
            // The primary key still guards uniqueness; a concurrent writer makes the COPY fail, and the
            // batch is then loaded through the staging path below.
            do {
                let copied = try transaction(context) { try copyCandles(bars, series: series, into: "candles", context: context) }
                return UpsertCount(inserted: copied, alreadyPresent: 0)
            } catch let StoreError.statementFailed(_, message) where message.contains("duplicate key") {}
        }
        return try transaction(context) {
            try connection.execute("""
                CREATE TEMP TABLE IF NOT EXISTS candles_staging (LIKE candles INCLUDING DEFAULTS) ON COMMIT DELETE ROWS
                """, context: context)
            _ = try copyCandles(bars, series: series, into: "candles_staging", context: context)
            let inserted = try connection.execute(
                "INSERT INTO candles SELECT * FROM candles_staging ON CONFLICT DO NOTHING", context: context).affectedRows
            return UpsertCount(inserted: inserted, alreadyPresent: bars.count - inserted)
        }
    }

    /// Binary COPY of `bars` into `table` (candles or its staging twin); returns the rows copied.
    private func copyCandles(_ bars: [Bar], series: Int, into table: String, context: String) throws -> Int {
        try connection.copyIn("""
            COPY \(table) (series_id, open_time, open, high, low, close, volume) FROM STDIN WITH (FORMAT binary)
            """, context: context) { writer in
            let rowBytes = 2 + 8 + 12 + 5 * CopyBinaryFormat.maximumNumericBytes
            writer.reserve(CopyBinaryFormat.header.count)
            writer.put(bytes: CopyBinaryFormat.header)
            for bar in bars {
                writer.reserve(rowBytes)
                writer.put(Int16(7))
                CopyBinaryFormat.putInt32(Int32(series), to: writer)
                CopyBinaryFormat.putInt64(bar.openTime, to: writer)
                CopyBinaryFormat.putNumeric(bar.open, to: writer)
                CopyBinaryFormat.putNumeric(bar.high, to: writer)
                CopyBinaryFormat.putNumeric(bar.low, to: writer)
                CopyBinaryFormat.putNumeric(bar.close, to: writer)
                CopyBinaryFormat.putNumeric(bar.volume, to: writer)
                try writer.rowFinished()
            }
            writer.reserve(CopyBinaryFormat.trailer.count)
            writer.put(bytes: CopyBinaryFormat.trailer)
        }
    }

    public func candles(symbol: Symbol, timeframe: Timeframe, from: Int64?, to: Int64?, limit: Int?) throws -> [Bar] {
        guard let series = try seriesID(symbol, timeframe, create: false) else { return [] }
        return try connection.withLock {
            let rows = try connection.query("""
                SELECT open_time, open, high, low, close, volume FROM candles
                WHERE series_id = $1 AND open_time >= $2 AND open_time <= $3
                ORDER BY open_time LIMIT $4
                """, [String(series), String(from ?? .min), String(to ?? .max), limit.map(String.init)],
                context: "reading \(symbol) \(timeframe) candles")
            return (0..<rows.rowCount).map { row in
                Bar(openTime: rows.integer(row, 0), open: rows.number(row, 1), high: rows.number(row, 2),
                    low: rows.number(row, 3), close: rows.number(row, 4), volume: rows.number(row, 5))
            }
        }
    }

    public func candleCoverage() throws -> [CandleCoverage] {
        try connection.withLock {
            let rows = try connection.query("""
                SELECT s.symbol, s.timeframe, count(*), min(c.open_time), max(c.open_time)
                FROM candles c JOIN candle_series s ON s.id = c.series_id
                GROUP BY s.symbol, s.timeframe ORDER BY s.symbol, s.timeframe
                """, context: "summarising candles")
            return (0..<rows.rowCount).compactMap { row in
                guard let symbol = rows.text(row, 0).flatMap(Symbol.init), let timeframe = rows.text(row, 1).flatMap(Timeframe.init(rawValue:))
                else { return nil }
                return CandleCoverage(symbol: symbol, timeframe: timeframe, count: Int(rows.integer(row, 2)),
                                      firstOpenTime: rows.integer(row, 3), lastOpenTime: rows.integer(row, 4))
            }
        }
    }

    public func upsertFundingRates(_ rates: [FundingRate], symbol: Symbol) throws -> UpsertCount {
        guard !rates.isEmpty else { return UpsertCount() }
        let context = "storing \(symbol) funding rates"
        return try transaction(context) {
            var inserted = 0
            for rate in rates {
                let result = try connection.query(
                    "INSERT INTO funding_rates (symbol, funding_time, rate) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    [symbol.name, String(rate.time), rate.rate.description], context: context)
                inserted += result.affectedRows
            }
            return UpsertCount(inserted: inserted, alreadyPresent: rates.count - inserted)
        }
    }

    public func fundingRates(symbol: Symbol, from: Int64?, to: Int64?) throws -> [FundingRate] {
        try connection.withLock {
            let rows = try connection.query("""
                SELECT funding_time, rate FROM funding_rates
                WHERE symbol = $1 AND funding_time >= $2 AND funding_time <= $3 ORDER BY funding_time
                """, [symbol.name, String(from ?? .min), String(to ?? .max)], context: "reading \(symbol) funding rates")
            return (0..<rows.rowCount).map { FundingRate(time: rows.integer($0, 0), rate: rows.number($0, 1)) }
        }
    }

    public func rows(_ sql: String, _ parameters: [SQLValue], context: String) throws -> [[String?]] {
        try connection.withLock {
            let result = try connection.query(sql, parameters.map(\.postgresText), context: context)
            let columns = Int(result.columnCount)
            return (0..<result.rowCount).map { row in (0..<columns).map { result.text(row, $0) } }
        }
    }

    public func executeAtomically(_ statements: [SQLStatement], context: String) throws {
        try transaction(context) {
            for statement in statements { try connection.query(statement.sql, statement.parameters.map(\.postgresText), context: context) }
        }
    }
}

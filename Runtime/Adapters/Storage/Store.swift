import MarketModel
import Synchronization

/// How many rows an upsert added and how many were already there (never duplicated).
public struct UpsertCount: Sendable, Equatable {
    public var inserted: Int
    public var alreadyPresent: Int

    public init(inserted: Int = 0, alreadyPresent: Int = 0) {
        self.inserted = inserted
        self.alreadyPresent = alreadyPresent
    }

    public static func + (lhs: UpsertCount, rhs: UpsertCount) -> UpsertCount {
        UpsertCount(inserted: lhs.inserted + rhs.inserted, alreadyPresent: lhs.alreadyPresent + rhs.alreadyPresent)
    }
}

/// The stored extent of one candle series.
public struct CandleCoverage: Sendable, Equatable {
    public var symbol: Symbol
    public var timeframe: Timeframe
    public var count: Int
    /// Open time of the first and last stored bar, UTC ms.
    public var firstOpenTime: Int64
    public var lastOpenTime: Int64
}

/// The one storage API, with an embedded SQLite backend and a PostgreSQL backend. Every method is
/// synchronous and safe to call from any thread; statements on one store are serialised.
public protocol Store: Sendable {
    var backend: StoreBackend { get }
    /// The database location with any password redacted, for messages.
    var location: String { get }

    /// The migrations recorded in the database, in version order (empty for a new database).
    func appliedMigrations() throws -> [AppliedMigration]
    /// Applies the pending migrations, each in its own transaction; refuses a newer or edited schema.
    func migrate(_ migrations: [Migration]) throws -> MigrationReport

    /// Inserts bars that are not stored yet; bars already stored (same symbol, timeframe, open time)
    /// are left as they are.
    func upsertCandles(_ bars: [Bar], symbol: Symbol, timeframe: Timeframe) throws -> UpsertCount
    /// Stored bars with `from <= openTime <= to` (UTC ms, either bound optional), in time order, at most `limit`.
    func candles(symbol: Symbol, timeframe: Timeframe, from: Int64?, to: Int64?, limit: Int?) throws -> [Bar]
    /// Every stored series with its extent.
    func candleCoverage() throws -> [CandleCoverage]

    func upsertFundingRates(_ rates: [FundingRate], symbol: Symbol) throws -> UpsertCount
    /// Stored funding settlements with `from <= time <= to`, in time order.
    func fundingRates(symbol: Symbol, from: Int64?, to: Int64?) throws -> [FundingRate]

    /// Runs one statement written in the SQL both backends accept, with `$1`, `$2`… parameters, and
    /// returns its rows as text (nil = NULL). For the small bookkeeping tables (pipeline runs, agents,
    /// strategies), not for bulk data.
    func rows(_ sql: String, _ parameters: [SQLValue], context: String) throws -> [[String?]]
    /// Runs statements in one transaction: all of them or none.
    func executeAtomically(_ statements: [SQLStatement], context: String) throws
}

/// A parameter of a portable statement.
public enum SQLValue: Sendable, Equatable {
    case integer(Int64), real(Double), text(String), null

    public static func optional(_ text: String?) -> SQLValue { text.map { .text($0) } ?? .null }
    public static func optional(_ value: Int64?) -> SQLValue { value.map { .integer($0) } ?? .null }

    /// The parameter as libpq's text form.
    var postgresText: String? {
        switch self {
        case let .integer(value): "\(value)"
        case let .real(value): "\(value)"
        case let .text(value): value
        case .null: nil
        }
    }
}

/// A statement and its parameters.
public struct SQLStatement: Sendable {
    public var sql: String
    public var parameters: [SQLValue]
    public init(_ sql: String, _ parameters: [SQLValue] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}

extension Store {
    /// Throws unless the database's schema is exactly the code's (older: run init-db; newer: refuse).
    public func verifySchema(_ migrations: [Migration]) throws {
        let pending = try MigrationCatalog.pending(known: migrations, applied: appliedMigrations())
        if !pending.isEmpty {
            throw StoreError.schemaBehind(databaseVersion: try appliedMigrations().map(\.version).max() ?? 0,
                                          codeVersion: migrations.last?.version ?? 0)
        }
    }

    /// Calls `body` with consecutive batches of a series in time order, without loading it whole.
    public func forEachCandleBatch(symbol: Symbol, timeframe: Timeframe, from: Int64? = nil, to: Int64? = nil,
                                   batchSize: Int = 50_000, _ body: ([Bar]) throws -> Void) throws {
        var start = from
        while true {
            let batch = try candles(symbol: symbol, timeframe: timeframe, from: start, to: to, limit: batchSize)
            if batch.isEmpty { return }
            try body(batch)
            if batch.count < batchSize { return }
            start = batch[batch.count - 1].openTime + 1
        }
    }

    /// The stored extent of one series, if it has any bar.
    public func candleCoverage(symbol: Symbol, timeframe: Timeframe) throws -> CandleCoverage? {
        try candleCoverage().first { $0.symbol == symbol && $0.timeframe == timeframe }
    }
}

/// Ids of candle series already looked up, so bulk writes do not query them per batch.
final class SeriesIdentifierCache: Sendable {
    private let identifiers = Mutex<[String: Int]>([:])

    subscript(symbol: Symbol, timeframe: Timeframe) -> Int? {
        get { identifiers.withLock { $0["\(symbol.name)/\(timeframe.rawValue)"] } }
        set { identifiers.withLock { $0["\(symbol.name)/\(timeframe.rawValue)"] = newValue } }
    }
}

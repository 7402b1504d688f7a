import Dispatch
import MarketModel

/// The store for async code: every call runs on this facade's own serial dispatch queue, never on a
/// thread of Swift's cooperative pool, and the caller is resumed when it is done. On a 2-core VPS the
/// pool has two threads; a blocking libpq or SQLite call on one of them would stall the WebSocket feed,
/// order traffic and Telegram together. The synchronous `Store` stays for CLI paths that are
/// synchronous end to end.
public final class AsyncStore: Sendable {
    public let store: any Store
    private let queue: DispatchQueue

    public init(_ store: any Store, label: String = "store") {
        self.store = store
        queue = DispatchQueue(label: "trader.\(label)")
    }

    /// Runs `body` with the store on the facade's queue.
    public func run<Value: Sendable>(_ body: @escaping @Sendable (any Store) throws -> Value) async throws -> Value {
        let store = self.store
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body(store) }) }
        }
    }

    public var backend: StoreBackend { store.backend }
    public var location: String { store.location }

    public func upsertCandles(_ bars: [Bar], symbol: Symbol, timeframe: Timeframe) async throws -> UpsertCount {
        try await run { try $0.upsertCandles(bars, symbol: symbol, timeframe: timeframe) }
    }

    public func candles(symbol: Symbol, timeframe: Timeframe, from: Int64?, to: Int64?, limit: Int?) async throws -> [Bar] {
        try await run { try $0.candles(symbol: symbol, timeframe: timeframe, from: from, to: to, limit: limit) }
    }

    public func candleCoverage(symbol: Symbol, timeframe: Timeframe) async throws -> CandleCoverage? {
        try await run { try $0.candleCoverage(symbol: symbol, timeframe: timeframe) }
    }

    public func upsertFundingRates(_ rates: [FundingRate], symbol: Symbol) async throws -> UpsertCount {
        try await run { try $0.upsertFundingRates(rates, symbol: symbol) }
    }

    public func fundingRates(symbol: Symbol, from: Int64?, to: Int64?) async throws -> [FundingRate] {
        try await run { try $0.fundingRates(symbol: symbol, from: from, to: to) }
    }

    public func rows(_ sql: String, _ parameters: [SQLValue], context: String) async throws -> [[String?]] {
        try await run { try $0.rows(sql, parameters, context: context) }
    }

    public func executeAtomically(_ statements: [SQLStatement], context: String) async throws {
        try await run { try $0.executeAtomically(statements, context: context) }
    }
}

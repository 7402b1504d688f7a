import Foundation
import MarketModel
@testable import Storage
import TestSupport
import Testing

/// The same behaviour, asserted against both backends: a real SQLite file and a real PostgreSQL server.
@Suite(.removesTemporaryFiles) struct StoreContractTests {
    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func migrationsAreIdempotentAndRecorded(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        #expect(throws: StoreError.self) { try fixture.store.verifySchema(fixture.migrations) }
        let first = try fixture.store.migrate(fixture.migrations)
        #expect(first.applied.map(\.version) == fixture.migrations.map(\.version))
        let second = try fixture.store.migrate(fixture.migrations)
        #expect(second.applied.isEmpty)
        #expect(second.version == fixture.migrations.last?.version)
        let recorded = try fixture.store.appliedMigrations()
        #expect(recorded.map(\.version) == fixture.migrations.map(\.version))
        #expect(recorded.map(\.checksum) == fixture.migrations.map(\.checksum))
        try fixture.store.verifySchema(fixture.migrations)
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func aNewerSchemaIsRefused(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        var future = fixture.migrations
        future.append(Migration(version: 99, name: "from_the_future", file: "0099_from_the_future.sql",
                                sql: "CREATE TABLE future_table (x INTEGER)", checksum: "1"))
        _ = try fixture.store.migrate(future)
        do {
            _ = try fixture.store.migrate(fixture.migrations)
            Issue.record("migrating with older code must be refused")
        } catch let error as StoreError {
            guard case .schemaNewer(99, let code) = error else { Issue.record("unexpected \(error)"); return }
            #expect(code == fixture.migrations.last?.version)
            #expect(error.description.contains("newer than this build's"))
        }
        #expect(throws: StoreError.self) { try fixture.store.verifySchema(fixture.migrations) }
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func anEditedMigrationIsRefused(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        var edited = fixture.migrations
        edited[0].checksum = "edited"
        do {
            _ = try fixture.store.migrate(edited)
            Issue.record("an edited migration must be refused")
        } catch let error as StoreError {
            guard case .migrationChanged(1, "0001_initial_schema.sql") = error else { Issue.record("unexpected \(error)"); return }
        }
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func upsertNeverDuplicatesAndCountsWhatWasThere(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        let bars = makeBars(count: 1_000)
        let first = try fixture.store.upsertCandles(Array(bars[0..<600]), symbol: "BTCUSDT", timeframe: .oneMinute)
        #expect(first == UpsertCount(inserted: 600, alreadyPresent: 0))
        // Overlapping batch: 200 stored already, 400 new.
        let second = try fixture.store.upsertCandles(Array(bars[400..<1_000]), symbol: "BTCUSDT", timeframe: .oneMinute)
        #expect(second == UpsertCount(inserted: 400, alreadyPresent: 200))
        let third = try fixture.store.upsertCandles(bars, symbol: "BTCUSDT", timeframe: .oneMinute)
        #expect(third == UpsertCount(inserted: 0, alreadyPresent: 1_000))
        // The same times under another symbol or timeframe are other series.
        #expect(try fixture.store.upsertCandles(bars, symbol: "ETHUSDT", timeframe: .oneMinute).inserted == 1_000)
        let hourly = makeBars(count: 10, start: 1_746_370_800_000, timeframe: .oneHour)
        #expect(try fixture.store.upsertCandles(hourly, symbol: "BTCUSDT", timeframe: .oneHour).inserted == 10)

        let stored = try fixture.store.candles(symbol: "BTCUSDT", timeframe: .oneMinute, from: nil, to: nil, limit: nil)
        #expect(stored == bars, "bars come back bit for bit, in time order")
        let coverage = try #require(try fixture.store.candleCoverage(symbol: "BTCUSDT", timeframe: .oneMinute))
        #expect(coverage.count == 1_000)
        #expect(coverage.firstOpenTime == bars[0].openTime)
        #expect(coverage.lastOpenTime == bars[999].openTime)
        #expect(try fixture.store.candleCoverage().count == 3)
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func rangeReadsAreInclusiveOrderedAndLimited(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        let bars = makeBars(count: 100)
        // Stored out of order on purpose.
        _ = try fixture.store.upsertCandles(Array(bars[50...]), symbol: "SOLUSDT", timeframe: .oneMinute)
        _ = try fixture.store.upsertCandles(Array(bars[..<50]), symbol: "SOLUSDT", timeframe: .oneMinute)
        let slice = try fixture.store.candles(symbol: "SOLUSDT", timeframe: .oneMinute,
                                              from: bars[10].openTime, to: bars[20].openTime, limit: nil)
        #expect(slice == Array(bars[10...20]))
        let limited = try fixture.store.candles(symbol: "SOLUSDT", timeframe: .oneMinute, from: bars[95].openTime, to: nil, limit: 3)
        #expect(limited == Array(bars[95...97]))
        var batches: [Int] = []
        var streamed: [Bar] = []
        try fixture.store.forEachCandleBatch(symbol: "SOLUSDT", timeframe: .oneMinute, batchSize: 30) {
            batches.append($0.count)
            streamed += $0
        }
        #expect(batches == [30, 30, 30, 10])
        #expect(streamed == bars)
        #expect(try fixture.store.candles(symbol: "SOLUSDT", timeframe: .fiveMinutes, from: nil, to: nil, limit: nil).isEmpty)
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func pricesRoundTripExactly(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        // Awkward doubles: tiny sub-cent prices, 17 significant digits, powers of ten around the
        // base-10000 group boundaries of NUMERIC, zero and huge volumes.
        let values: [Double] = [0.000012345678901234567, 0.1 + 0.2, 1e-05, 0.0001, 0.001, 1, 9999, 10_000, 10_001,
                                99_999_999.99, 123_456_789_012.125, 1.2345678901234568e+17, 1e+22, 5e-324, 30_000.04]
        let bars = values.enumerated().map { index, value in
            Bar(openTime: 1_746_372_780_000 + Int64(index) * 60_000, open: value, high: value, low: value, close: value,
                volume: index == 0 ? 0 : value)
        }
        _ = try fixture.store.upsertCandles(bars, symbol: "DOGEUSDT", timeframe: .oneMinute)
        let stored = try fixture.store.candles(symbol: "DOGEUSDT", timeframe: .oneMinute, from: nil, to: nil, limit: nil)
        #expect(stored.count == bars.count)
        for (read, written) in zip(stored, bars) {
            #expect([read.open, read.high, read.low, read.close, read.volume].map(\.bitPattern)
                == [written.open, written.high, written.low, written.close, written.volume].map(\.bitPattern),
                    "\(written.open) came back as \(read.open)")
        }
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func fundingRatesUpsertAndRead(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        let rates = (0..<9).map { FundingRate(time: 1_741_276_800_000 + Int64($0) * 28_800_000, rate: Double($0 - 4) * 0.00005) }
        #expect(try fixture.store.upsertFundingRates(Array(rates[..<5]), symbol: "BTCUSDT") == UpsertCount(inserted: 5))
        #expect(try fixture.store.upsertFundingRates(rates, symbol: "BTCUSDT") == UpsertCount(inserted: 4, alreadyPresent: 5))
        #expect(try fixture.store.fundingRates(symbol: "BTCUSDT", from: nil, to: nil) == rates)
        #expect(try fixture.store.fundingRates(symbol: "BTCUSDT", from: rates[2].time, to: rates[3].time) == Array(rates[2...3]))
    }
}

@Suite(.removesTemporaryFiles) struct MigrationCatalogTests {
    @Test func bothBackendsShipTheSameVersions() throws {
        let sqlite = try MigrationCatalog.load(directory: TestEnvironment.migrationsDirectory, backend: .sqlite)
        let postgres = try MigrationCatalog.load(directory: TestEnvironment.migrationsDirectory, backend: .postgresql)
        #expect(sqlite.map(\.version) == postgres.map(\.version))
        #expect(sqlite.map(\.name) == postgres.map(\.name))
    }

    @Test func malformedFileNamesAreRefused() throws {
        let directory = TestEnvironment.temporaryDirectory("migrations")
        try FileManager.default.createDirectory(atPath: directory + "/sqlite", withIntermediateDirectories: true)
        try "SELECT 1;".write(toFile: directory + "/sqlite/first.sql", atomically: true, encoding: .utf8)
        #expect(throws: StoreError.self) { try MigrationCatalog.load(directory: directory, backend: .sqlite) }
        #expect(throws: StoreError.self) { try MigrationCatalog.load(directory: directory + "/missing", backend: .sqlite) }
    }

    @Test func anUnreachableServerGivesAConnectionError() {
        do {
            _ = try PostgresStore(url: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", displayLocation: "postgresql://nobody@127.0.0.1:1/none")
            Issue.record("connecting to a closed port must fail")
        } catch {
            guard case .connectionFailed(let location, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(location == "postgresql://nobody@127.0.0.1:1/none")
        }
    }
}

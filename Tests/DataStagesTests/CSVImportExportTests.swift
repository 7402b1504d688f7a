import CSVArchive
@testable import DataStages
import Foundation
import MarketModel
import Storage
import TestSupport
import Testing

@Suite(.removesTemporaryFiles) struct CSVImportExportTests {
    static let realFile = "mit/binance-usdm_ETHUSDT_1m_20250504-20250624.csv"

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func importingARealFileTwiceLoadsItOnceAndTheBackupMatchesIt(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        let source = TestEnvironment.dataset(Self.realFile)
        let importer = CSVImport(store: fixture.store, batchSize: 20_000)
        let first = try importer.importBars(path: source, symbol: "ETHUSDT", timeframe: .oneMinute,
                                            rejectsPath: TestEnvironment.temporaryDirectory() + "/r.csv")
        #expect(first == CSVImportSummary(rowsRead: 73_140, loaded: 73_140, alreadyPresent: 0, rejected: 0, rejectsPath: nil))
        let second = try importer.importBars(path: source, symbol: "ETHUSDT", timeframe: .oneMinute,
                                             rejectsPath: TestEnvironment.temporaryDirectory() + "/r.csv")
        #expect(second == CSVImportSummary(rowsRead: 73_140, loaded: 0, alreadyPresent: 73_140, rejected: 0, rejectsPath: nil))

        let data = TestEnvironment.temporaryDirectory("data")
        let export = CSVExport(store: fixture.store, dataDirectory: data)
        #expect(try export.export(symbol: "ETHUSDT", timeframe: .oneMinute) == 73_140)
        #expect(export.path(symbol: "ETHUSDT", timeframe: .oneMinute) == data + "/ETHUSDT/ETHUSDT_1m.csv")
        let backup = try Data(contentsOf: URL(fileURLWithPath: export.path(symbol: "ETHUSDT", timeframe: .oneMinute)))
        #expect(backup == (try Data(contentsOf: URL(fileURLWithPath: source))), "the backup reproduces the source byte for byte")
        #expect(try export.export(symbol: "ETHUSDT", timeframe: .fiveMinutes) == 0)
        #expect(!FileManager.default.fileExists(atPath: export.path(symbol: "ETHUSDT", timeframe: .fiveMinutes)))
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func badRowsGoToTheRejectFileAndGoodRowsAreLoaded(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        let directory = TestEnvironment.temporaryDirectory("import")
        let path = directory + "/bars.csv"
        try """
            timestamp_ms,open,high,low,close,volume
            1746372780000,100,101,99,100.5,3
            1746372840000,100,101,99,"100.5",3
            1746372900000,100,101,102,100.5,3
            1746372960000,100,101,99,100.5,3
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let summary = try CSVImport(store: fixture.store).importBars(path: path, symbol: "BTCUSDT", timeframe: .oneMinute)
        #expect(summary == CSVImportSummary(rowsRead: 4, loaded: 2, alreadyPresent: 0, rejected: 2, rejectsPath: path + ".rejects.csv"))
        let rejects = try String(contentsOfFile: path + ".rejects.csv", encoding: .utf8)
        #expect(rejects == #"""
            line,reason,row
            3,"close """"100.5"""" is not a number","1746372840000,100,101,99,""100.5"",3"
            4,"low 102.0 is above min(open 100.0, close 100.5)","1746372900000,100,101,102,100.5,3"

            """#)
        // Fixed file: the stale reject file is removed and only the two missing rows load.
        try """
            timestamp_ms,open,high,low,close,volume
            1746372780000,100,101,99,100.5,3
            1746372840000,100,101,99,100.5,3
            1746372900000,100,101,99,100.5,3
            1746372960000,100,101,99,100.5,3
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let again = try CSVImport(store: fixture.store).importBars(path: path, symbol: "BTCUSDT", timeframe: .oneMinute)
        #expect(again == CSVImportSummary(rowsRead: 4, loaded: 2, alreadyPresent: 2, rejected: 0, rejectsPath: nil))
        #expect(!FileManager.default.fileExists(atPath: path + ".rejects.csv"))
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func fundingFilesImportIdempotently(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        let source = TestEnvironment.dataset("mit/binance-usdm_SOLUSDT_funding-rate_20250306-20250624.csv")
        let importer = CSVImport(store: fixture.store)
        let first = try importer.importFunding(path: source, symbol: "SOLUSDT", rejectsPath: TestEnvironment.temporaryDirectory() + "/r.csv")
        #expect(first.loaded == 329)
        let second = try importer.importFunding(path: source, symbol: "SOLUSDT", rejectsPath: TestEnvironment.temporaryDirectory() + "/r.csv")
        #expect(second.loaded == 0 && second.alreadyPresent == 329)
        let (expected, _) = try FundingFileReader(path: source).readAll()
        #expect(try fixture.store.fundingRates(symbol: "SOLUSDT", from: nil, to: nil) == expected)
    }
}

import Foundation
import Storage
import TestSupport
import Testing

/// The `pipeline` executable run as a user runs it, in a throwaway working directory.
@Suite(.removesTemporaryFiles) struct PipelineCommandTests {
    @Test func initDatabaseIsIdempotentAndOtherCommandsAskForIt() async throws {
        let workspace = try Workspace()
        let early = try await workspace.pipeline("export-csv")
        #expect(early.status == 1)
        #expect(early.standardError.contains("the database has no schema yet: run `pipeline init-db`"))

        let first = try await workspace.pipeline("init-db")
        #expect(first.status == 0, "\(first.combined)")
        #expect(first.standardOutput.contains("applied 0001_initial_schema.sql"))
        let second = try await workspace.pipeline("init-db")
        #expect(second.status == 0)
        #expect(second.standardOutput.contains("schema already at version 7; nothing to apply"))
        #expect(FileManager.default.fileExists(atPath: workspace.path("data/trader.sqlite")))
    }

    /// A migration waits for the traders on the database to stop (they write by the schema they started with).
    @Test func initDatabaseRefusesToMigrateUnderARunningTrader() async throws {
        let workspace = try Workspace()
        let store = try SQLiteStore(path: workspace.path("data/trader.sqlite"))
        let migrations = try MigrationCatalog.load(directory: TestEnvironment.migrationsDirectory, backend: .sqlite)
        _ = try store.migrate(migrations.filter { $0.version < 7 })
        var trader: TraderAccountLock? = try TraderAccountLock(store: store, mode: "live")
        let refused = try await workspace.pipeline("init-db")
        #expect(refused.status == 75 && refused.standardError.contains("a trader is running the live account"), "\(refused.combined)")
        #expect(try store.appliedMigrations().map(\.version).max() == 6, "nothing migrated")
        trader = nil
        _ = trader
        let migrated = try await workspace.pipeline("init-db")
        #expect(migrated.status == 0 && migrated.standardOutput.contains("applied 0007_demo_account.sql"), "\(migrated.combined)")
        let held = try TraderAccountLock(store: store, mode: "live")
        let nothingToDo = try await workspace.pipeline("init-db")
        #expect(nothingToDo.status == 0, "nothing pending: a running trader is no obstacle: \(nothingToDo.combined)")
        withExtendedLifetime(held) {}
    }

    @Test func importRejectsBadRowsLoadsGoodOnesAndIsIdempotent() async throws {
        let workspace = try Workspace()
        _ = try await workspace.pipeline("init-db")
        let file = workspace.path("bars.csv")
        try """
            timestamp_ms,open,high,low,close,volume
            1746372780000,100,101,99,100.5,3
            1746372840000,100,101,99,100.5
            1746372900000,100,101,99,100.5,3
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let first = try await workspace.pipeline("import-csv", file, "--symbol", "BTCUSDT", "--timeframe", "1m")
        #expect(first.status == 0, "\(first.combined)")
        #expect(first.standardOutput.contains("BTCUSDT 1m from \(file): 3 rows read, 2 loaded, 0 already present, 1 rejected"))
        #expect(first.standardOutput.contains("rejected rows with line numbers and reasons: \(file).rejects.csv"))
        let rejects = try String(contentsOfFile: file + ".rejects.csv", encoding: .utf8)
        #expect(rejects.contains("3,\"expected 6 fields, found 5\""))
        let second = try await workspace.pipeline("import-csv", file, "--symbol", "BTCUSDT", "--timeframe", "1m")
        #expect(second.standardOutput.contains("3 rows read, 0 loaded, 2 already present, 1 rejected"))

        let export = try await workspace.pipeline("export-csv", "--symbols", "BTCUSDT")
        #expect(export.status == 0)
        #expect(export.standardOutput.contains("data/BTCUSDT/BTCUSDT_1m.csv: 2 bars"))
        let backup = try String(contentsOfFile: workspace.path("data/BTCUSDT/BTCUSDT_1m.csv"), encoding: .utf8)
        #expect(backup == "timestamp_ms,open,high,low,close,volume\n1746372780000,100.0,101.0,99.0,100.5,3.0\n1746372900000,100.0,101.0,99.0,100.5,3.0\n")
    }

    @Test func badArgumentsAreExplained() async throws {
        let workspace = try Workspace()
        _ = try await workspace.pipeline("init-db")
        let dataset = TestEnvironment.dataset("mit/binance-usdm_BTCUSDT_1m_20250504-20250624.csv")
        let timeframe = try await workspace.pipeline("import-csv", dataset, "--symbol", "BTCUSDT", "--timeframe", "2m")
        #expect(timeframe.status != 0)
        #expect(timeframe.standardError.contains("--timeframe 2m: use one of 1m, 5m, 15m, 1h, 4h, 1d"))
        let symbol = try await workspace.pipeline("import-csv", dataset, "--symbol", "XRPUSDT", "--timeframe", "1m")
        #expect(symbol.status != 0)
        #expect(symbol.standardError.contains("--symbol XRPUSDT: not in trading/symbols.yaml"))
        let missing = try await workspace.pipeline("import-csv", "nope.csv", "--symbol", "BTCUSDT", "--timeframe", "1m")
        #expect(missing.standardError.contains("nope.csv: no such readable file"))
    }

    @Test func anInvalidConfigurationExitsWithEveryProblem() async throws {
        let workspace = try Workspace()
        try workspace.configurationFile("trading/risk.yaml", replacing: "risk_per_trade: 0.01", with: "risk_per_trade: 0.5")
        try workspace.configurationFile("system/logging.yaml", replacing: "format: auto", with: "format: xml")
        let result = try await workspace.pipeline("config", "check")
        #expect(result.status == 78)
        #expect(result.standardError.contains("invalid configuration (2 problems):"))
        #expect(result.standardError.contains("trading/risk.yaml:6: risk_per_trade = 0.5: must be between 0.0001 and 0.05"))
        #expect(result.standardError.contains("system/logging.yaml:5: console.format = xml: must be one of auto, text, json"))
    }

    @Test func theConfigDirectoryComesFromTheOptionOrTheEnvironment() async throws {
        let workspace = try Workspace()
        try FileManager.default.moveItem(atPath: workspace.path("config"), toPath: workspace.path("paper-account"))
        let missing = try await workspace.pipeline("config", "check")
        #expect(missing.status == 78)
        #expect(missing.standardError.contains("config: configuration directory not found"))
        #expect(try await workspace.pipeline("config", "check", "--config", "paper-account").status == 0)
        #expect(try await workspace.pipeline("config", "check", environment: ["TRADER_CONFIG": "paper-account"]).status == 0)
    }
}

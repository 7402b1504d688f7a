import Foundation
import TestSupport
import Testing

/// The same commands against the real PostgreSQL server, selected by `DB_URL`.
@Suite(.removesTemporaryFiles) struct PostgresCommandTests {
    @Test func importAndExportThroughPostgreSQL() async throws {
        let database = try PostgresTestDatabase.create()
        defer { database.drop() }
        let workspace = try Workspace()
        let environment = ["DB_URL": database.url]
        #expect(try await workspace.pipeline("init-db", environment: environment).status == 0)
        let source = TestEnvironment.dataset("mit/binance-usdm_LINKUSDT_1m_20250504-20250603.csv")
        let result = try await workspace.pipeline("import-csv", source, "--symbol", "LINKUSDT", "--timeframe", "1m",
                                            "--rejects", workspace.path("rejects.csv"), environment: environment)
        #expect(result.status == 0, "\(result.combined)")
        #expect(result.standardOutput.contains("43200 rows read, 43200 loaded, 0 already present, 0 rejected"))
        let funding = try await workspace.pipeline(
            "import-csv", TestEnvironment.dataset("mit/binance-usdm_LINKUSDT_funding-rate_20250306-20250603.csv"),
            "--symbol", "LINKUSDT", "--kind", "funding", "--rejects", workspace.path("rejects.csv"), environment: environment)
        #expect(funding.standardOutput.contains("LINKUSDT funding"))
        #expect(funding.standardOutput.contains("266 loaded"))
        #expect(try await workspace.pipeline("export-csv", "--timeframes", "1m", environment: environment).status == 0)
        let backup = try Data(contentsOf: URL(fileURLWithPath: workspace.path("data/LINKUSDT/LINKUSDT_1m.csv")))
        #expect(backup == (try Data(contentsOf: URL(fileURLWithPath: source))))
    }
}

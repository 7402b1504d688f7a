import ChildProcesses
import Foundation
import Storage
import TestSupport
import Testing

/// The trader refuses to start, with what to fix and nothing started, on a broken configuration, an
/// unreachable database, an unknown symbol, or a live request that is not opted in three times.
@Suite(.removesTemporaryFiles) struct TraderRefusalTests {
    @Test func aBrokenConfigurationNamesTheFileTheKeyAndTheAllowedValues() async throws {
        let workspace = try Workspace()
        _ = try await workspace.pipeline("init-db")
        try workspace.configurationFile("trading/runtime.yaml", replacing: "stale_after_seconds: 150", with: "stale_after_seconds: 2")
        try workspace.configurationFile("trading/runtime.yaml", replacing: "live: false", with: "live: maybe")
        let result = try await workspace.trader(["run"]).run()
        #expect(result.status == 78, "\(result.combined)")
        #expect(result.standardError.contains("trading/runtime.yaml:6: market_data.stale_after_seconds = 2: must be between 10 and 86400 s"),
                "\(result.standardError)")
        #expect(result.standardError.contains("trading/runtime.yaml:3: live = maybe"), "\(result.standardError)")
        try FileManager.default.removeItem(atPath: workspace.path("config/trading/runtime.yaml"))
        let missing = try await workspace.trader(["status"]).run()
        #expect(missing.status == 78 && missing.standardError.contains("trading/runtime.yaml: file is missing"), "\(missing.combined)")
    }

    /// A trading host needs no ml/ files.
    @Test func theTraderStartsWithoutTheMachineLearningFilesAndRefusesUnknownSymbols() async throws {
        let workspace = try Workspace()
        _ = try await workspace.pipeline("init-db")
        try FileManager.default.removeItem(atPath: workspace.path("config/ml"))
        let unknown = try await workspace.trader(["run", "--symbols", "XRPUSDT"]).run()
        #expect(unknown.status == 1 && unknown.standardError.contains("XRPUSDT not in trading/symbols.yaml"), "\(unknown.combined)")
        let status = try await workspace.trader(["status"]).run()
        #expect(status.succeeded && status.standardOutput.contains("nothing traded yet"), "\(status.combined)")
    }

    @Test func anUnreachableDatabaseIsNamedWithItsPasswordRedacted() async throws {
        let workspace = try Workspace()
        let result = try await workspace.trader(["run"], environment: ["DB_URL": "postgresql://trader:s3cret-pw@127.0.0.1:1/trader"]).run()
        #expect(result.status == 1, "\(result.combined)")
        #expect(result.standardError.contains("127.0.0.1:1") && !result.combined.contains("s3cret-pw"), "\(result.standardError)")
    }

    /// Opted in three times, `--live` trades real money: its requests carry no demo header (a real
    /// account's key refuses one, a demo key needs it), and its records are its own: a demo account traded
    /// on the same store before keeps its book untouched.
    @Test func realMoneyTradesTheRealAccountUnderItsOwnRecords() async throws {
        let fixture = try await TraderFixture()
        try fixture.workspace.configurationFile("trading/runtime.yaml", replacing: "live: false", with: "live: true")
        let lastBars = { (mode: String) -> [String] in
            ((try? fixture.store.rows("SELECT last_bar_open_time FROM trader_state WHERE mode = $1 ORDER BY symbol", [.text(mode)], context: "test")) ?? [])
                .map { $0[0] ?? "" }
        }
        func environment(_ simulator: SimulatorProcess) -> [String: String] {
            var environment = ReconcileCommandTests.credentials
            environment["BITGET_BASE_URL"] = simulator.baseURL
            environment["BITGET_WS_URL"] = simulator.webSocketURL
            return environment
        }
        try await fixture.withSimulator(speed: 120, account: "demo") { simulator in
            let real = try await fixture.workspace.trader(["run", "--live", "--symbols", "BTCUSDT"], environment: environment(simulator)).run()
            #expect(real.status == 1 && real.standardError.contains("check --demo-trading"), "a demo key without --demo-trading: \(real.combined)")
            let (traded, demo) = try await fixture.workspace.trader(["run", "--live", "--demo-trading"], environment: environment(simulator)).withRunning { running in
                let traded = await running.wait(timeout: .seconds(180)) { !lastBars("demo").isEmpty }
                running.send(signal: SIGTERM)
                return traded
            }
            #expect(traded && demo.standardOutput.contains("BitGet demo trading"), "\(demo.standardOutput)\(demo.standardError.suffix(3_000))")
        }
        let demoBook = lastBars("demo")
        try await fixture.withSimulator(speed: 120, account: "real") { simulator in
            let demo = try await fixture.workspace.trader(["run", "--live", "--demo-trading"], environment: environment(simulator)).run()
            #expect(demo.status == 1 && demo.standardError.contains("40099") && demo.standardError.contains("check --demo-trading"), "\(demo.combined)")
            // Books sized on more money than the account holds (10,000 USDT) would risk more than 1% of it a trade.
            try fixture.workspace.configurationFile("trading/risk.yaml", replacing: "initial_capital: 10000", with: "initial_capital: 50000")
            let short = try await fixture.workspace.trader(["run", "--live"], environment: environment(simulator)).run()
            #expect(short.status == 1 && short.standardError.contains("the account's equity is 10000.00 USDT, less than the ") && short.standardError.contains("USDT the books of the traded symbols size by"),
                    "\(short.combined)")
            #expect(lastBars("live").isEmpty, "nothing traded")
            try fixture.workspace.configurationFile("trading/risk.yaml", replacing: "initial_capital: 50000", with: "initial_capital: 10000")
            let (traded, real) = try await fixture.workspace.trader(["run", "--live"], environment: environment(simulator)).withRunning { running in
                let traded = await running.wait(timeout: .seconds(180)) { !lastBars("live").isEmpty }
                running.send(signal: SIGTERM)
                return traded
            }
            #expect(traded && real.standardOutput.contains("LIVE real-money trading"), "\(real.standardOutput)\(real.standardError.suffix(3_000))")
        }
        #expect(!demoBook.isEmpty && lastBars("demo") == demoBook, "the real account's trader left the demo account's book alone")
        #expect(lastBars("paper").isEmpty)
    }

    @Test func liveTradingNeedsTheFlagTheConfigurationAndCompleteCredentials() async throws {
        let workspace = try Workspace()
        _ = try await workspace.pipeline("init-db")
        let bare = try await workspace.trader(["run", "--live"], environment: ["BITGET_API_KEY": "k", "BITGET_SECRET": "s"]).run()
        #expect(bare.status == 78, "\(bare.combined)")
        #expect(bare.standardError.contains("`live: true` in trading/runtime.yaml") && bare.standardError.contains("BITGET_PASSPHRASE"),
                "\(bare.standardError)")
        #expect(!bare.combined.contains("paper trading"), "nothing started")

        // Demo trading needs --live.
        try workspace.configurationFile("trading/runtime.yaml", replacing: "live: false", with: "live: true")
        let credentials = ReconcileCommandTests.credentials
        let demoAlone = try await workspace.trader(["run", "--demo-trading"], environment: credentials).run()
        #expect(demoAlone.status == 64 && demoAlone.standardError.contains("--demo-trading needs --live"), "\(demoAlone.combined)")

        // A wrong secret: the start names what to fix.
        try await SimulatorProcess.with(["--generate", "7", "--days", "1", "--future-days", "1"]) { simulator in
            var wrong = credentials
            wrong["BITGET_SECRET"] = "not-the-secret"
            wrong["BITGET_BASE_URL"] = simulator.baseURL
            wrong["BITGET_WS_URL"] = simulator.webSocketURL
            let refused = try await workspace.trader(["run", "--live", "--demo-trading", "--symbols", "BTCUSDT"], environment: wrong).run()
            #expect(refused.status == 1 && refused.standardError.contains("trader cannot start: live trading refused") && refused.standardError.contains("check BITGET_SECRET"),
                    "\(refused.combined)")
        }
    }
}

import Foundation
import TestSupport
import Testing

@Suite(.removesTemporaryFiles) struct BacktestCommandTests {
    @Test func backtestsEveryBaselineOnRealBars() async throws {
        let workspace = try Workspace()
        _ = try await workspace.pipeline("init-db")
        let bars = TestEnvironment.dataset("mit/binance-usdm_BTCUSDT_1m_20250504-20250624.csv")
        #expect(try await workspace.pipeline("import-csv", bars, "--symbol", "BTCUSDT", "--timeframe", "1m",
                                       "--rejects", workspace.path("r.csv")).status == 0)
        // Funding only before 2025-05-31 14:00: later settlements use the configured constant, and the report says so.
        let funding = try String(contentsOfFile: TestEnvironment.dataset("mit/binance-usdm_BTCUSDT_funding-rate_20250306-20250624.csv"),
                                 encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("17487") && !$0.hasPrefix("1749") && !$0.hasPrefix("1750") }
        try (funding.joined(separator: "\n") + "\n").write(toFile: workspace.path("funding.csv"), atomically: true, encoding: .utf8)
        #expect(try await workspace.pipeline("import-csv", workspace.path("funding.csv"), "--symbol", "BTCUSDT", "--kind", "funding").status == 0)

        let result = try await workspace.pipeline("backtest", "--symbol", "BTCUSDT", "--policy", "all", "--from", "2025-05-20", "--to", "2025-06-20")
        #expect(result.status == 0, "\(result.combined)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("BTCUSDT: 46080 1m bars 2025-05-20 00:00 → 2025-06-20 23:59 UTC") })
        #expect(lines.first { $0.hasPrefix("BTCUSDT: 46080") }?.hasSuffix("after a drawdown halt: resume after 1440 min") == true)
        for policy in ["flat", "buy-and-hold", "always-long", "ema-cross", "random"] {
            #expect(lines.contains { $0.hasPrefix(policy) }, "a metrics row for \(policy)")
            let report = workspace.path("reports/backtest/BTCUSDT-\(policy)-2025-05-20_2025-06-20.json")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as! [String: Any]
            let metrics = json["metrics"] as! [String: Any]
            for key in ["totalReturn", "sharpe", "sortino", "calmar", "maxDrawdown", "winRate", "expectancy", "exposure",
                        "trades", "averageLeverage", "feesPaid", "fundingPaid", "fundingReceived", "halts", "resumes"] {
                #expect(metrics[key] != nil, "\(policy) report lacks \(key)")
            }
            if policy == "flat" {
                #expect(metrics["totalReturn"] as? Double == 0 && metrics["trades"] as? Int == 0)
            }
            if policy == "buy-and-hold" {
                // One trade at 1× from the first open to the last close: the market's move less two fees.
                #expect(metrics["trades"] as? Int == 1 && metrics["exposure"] as? Double == 1 && metrics["averageLeverage"] as? Double == 1)
            }
        }
        // Funding data ends 2025-05-31 08:00: 05-31 16:00 … 06-21 00:00 are 55 settlement times without data.
        #expect(lines.contains { $0 == "  note (always-long): 55 of 96 funding settlement times had no funding data; the configured constant 0.0 was used for them" },
                "\(result.standardOutput)")
        let svg = try String(contentsOfFile: workspace.path("reports/backtest/BTCUSDT-2025-05-20_2025-06-20.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("buy-and-hold") && svg.contains("drawdown from peak"))
    }

    @Test func badInputSaysWhatToFix() async throws {
        let workspace = try Workspace()
        _ = try await workspace.pipeline("init-db")
        let empty = try await workspace.pipeline("backtest", "--symbol", "BTCUSDT", "--from", "2024-01-01", "--to", "2024-01-31")
        #expect(empty.status != 0)
        #expect(empty.standardError.contains("BTCUSDT: no 1m bars in the store for 2024-01-01 00:00 → 2024-01-31 23:59; import or download them first"))
        let unknown = try await workspace.pipeline("backtest", "--symbol", "XRPUSDT")
        #expect(unknown.standardError.contains("--symbol XRPUSDT: not in trading/symbols.yaml, so there is no contract data for it"))
        let policy = try await workspace.pipeline("backtest", "--symbol", "BTCUSDT", "--policy", "martingale")
        #expect(policy.standardError.contains("--policy martingale: use flat, buy-and-hold, always-long, ema-cross, random or all"))

        try workspace.configurationFile("trading/execution.yaml", replacing: "taker: 0.0006", with: "taker: -0.0006")
        try workspace.configurationFile("trading/symbols.yaml", replacing: "leverage: {min: 5, max: 80}\n  - symbol: ETHUSDT",
                                        with: "leverage: {min: 50, max: 20}\n  - symbol: ETHUSDT")
        let config = try await workspace.pipeline("backtest", "--symbol", "BTCUSDT")
        #expect(config.status == 78)
        #expect(config.standardError.contains("trading/execution.yaml:6: fees.taker = -0.0006: must be between 0 and 0.01"))
        #expect(config.standardError.contains("symbols[0].leverage.max = 20: must be between leverage.min (50) and 125"))
    }
}

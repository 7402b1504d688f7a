import Foundation
import Testing
import TestSupport

/// `pipeline walk-forward` for real: two folds on 51 days of BTCUSDT, each retrained on its own past only.
@Suite(.removesTemporaryFiles) struct WalkForwardTests {
    @Test func eachFoldTrainsOnItsPastAndTheOutOfSampleEquityIsConcatenated() async throws {
        let workspace = try Workspace()
        try workspace.configurationFile("ml/training.yaml", replacing: "steps_per_environment: 2048", with: "steps_per_environment: 256")
        try workspace.configurationFile("ml/training.yaml", replacing: "environments: 8 ", with: "environments: 1 ")
        _ = try await workspace.pipeline("init-db")
        #expect(try await workspace.pipeline("import-csv", TestEnvironment.dataset("mit/binance-usdm_BTCUSDT_1m_20250504-20250624.csv"),
                                             "--symbol", "BTCUSDT", "--timeframe", "1m").status == 0)
        let result = try await workspace.pipeline("walk-forward", "--symbols", "BTCUSDT", "--folds", "2", "--timesteps", "512",
                                                  "--purge-minutes", "1440", "--embargo-minutes", "60", "--keep")
        #expect(result.status == 0, "\(result.combined.suffix(3_000))")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("fold ") }.count == 2, "\(result.standardOutput)")
        #expect(lines.contains("concatenated out of sample (2 folds):"))
        let summary = try #require(lines.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        let reportPath = workspace.path(try #require(summary["report"] as? String))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as? [String: Any])
        let folds = try #require(report["folds"] as? [[String: Any]])
        #expect(folds.count == 2)
        var previousTestTo: Int64 = 0, versions: Set<String> = []
        var compounded = 1.0, curveLength = 0
        for fold in folds {
            let range = try #require(fold["fold"] as? [String: Any])
            let trainTo = try #require((range["train_to"] as? NSNumber)?.int64Value)
            let testFrom = try #require((range["test_from"] as? NSNumber)?.int64Value)
            let testTo = try #require((range["test_to"] as? NSNumber)?.int64Value)
            // Purged and embargoed: a day and an hour between the last bar trained on and the first tested.
            #expect(testFrom - trainTo >= (1_440 + 60) * 60_000)
            #expect(testFrom > previousTestTo && testTo > testFrom, "folds follow each other without overlap")
            previousTestTo = testTo
            let version = try #require(fold["agent_version"] as? String)
            versions.insert(version)
            // The fold's agent never saw a bar after its training end.
            let manifestPath = try FileManager.default.subpathsOfDirectory(atPath: workspace.path("data/walk-forward"))
                .first { $0.hasSuffix("\(version)/manifest.json") }
            let manifest = try #require(try manifestPath.flatMap {
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: workspace.path("data/walk-forward/" + $0)))) as? [String: Any]
            })
            let trained = try #require(manifest["training_range"] as? [String: Any])
            #expect(((trained["last_open_time"] as? NSNumber)?.int64Value ?? .max) <= trainTo)
            let agent = try #require((fold["policies"] as? [[String: Any]])?.first)
            #expect(agent["policy"] as? String == "agent")
            compounded *= 1 + ((agent["metrics"] as? [String: Any])?["total_return"] as? Double ?? .nan)
            curveLength += (agent["equity"] as? [Double])?.count ?? 0
        }
        #expect(versions.count == 2, "each fold trains its own agent")
        let concatenated = try #require((report["concatenated"] as? [[String: Any]])?.first { $0["policy"] as? String == "agent" })
        #expect(abs((concatenated["total_return"] as? Double ?? .nan) - (compounded - 1)) < 1e-9, "the folds' returns compound")
        #expect((concatenated["equity"] as? [Double])?.count == curveLength)
        let baselines = try #require(report["concatenated"] as? [[String: Any]]).compactMap { $0["policy"] as? String }
        #expect(baselines == ["agent", "flat", "buy-and-hold", "always-long", "ema-cross", "random"])
        let svg = try String(contentsOfFile: workspace.path(try #require(summary["chart"] as? String)), encoding: .utf8)
        #expect(svg.contains("walk-forward") && svg.contains("fold 2"))
    }
}

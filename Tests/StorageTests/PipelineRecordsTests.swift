import Foundation
import Storage
import TradingEngine
import TestSupport
import Testing

/// Runs, stages, agents, promotions and strategy records on both backends.
@Suite(.removesTemporaryFiles) struct PipelineRecordsTests {
    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func runsAndStagesAreRecordedAndInterruptedOnesClosed(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        let records = PipelineRecords(store: fixture.store)
        let first = try records.startRun(reason: "manual", symbols: ["BTCUSDT", "ETHUSDT"], stages: ["align", "train"], codeVersion: "t", at: 1_000)
        let align = try records.startStage(runID: first, stage: "align", symbol: "BTCUSDT", inputHash: "h1", at: 1_001)
        try records.finishStage(align, status: "succeeded", outputs: ["tensor": "datasets/BTCUSDT/x.h5"], error: nil, at: 1_500)
        _ = try records.startStage(runID: first, stage: "train", symbol: "BTCUSDT", inputHash: "h2", at: 1_501)
        // The process dies here; the next run's lock holder closes what was left running.
        #expect(try records.abandonInterruptedRuns(at: 9_000) == [first])
        let run = try #require(try records.run(id: first))
        #expect(run.status == "abandoned" && run.finishedAt == 9_000 && run.symbols == ["BTCUSDT", "ETHUSDT"] && run.stages == ["align", "train"])
        let stages = try records.stages(runID: first)
        #expect(stages.map(\.status) == ["succeeded", "failed"])
        #expect(stages[1].error?.contains("interrupted") == true)

        let second = try records.startRun(reason: "cron-nightly", symbols: ["BTCUSDT"], stages: ["align"], codeVersion: "t", at: 10_000)
        let success = try #require(try records.lastSuccess(stage: "align", symbol: "BTCUSDT"))
        #expect(success.inputHash == "h1" && success.outputs == ["tensor": "datasets/BTCUSDT/x.h5"] && success.runID == first)
        try records.recordSkippedStage(runID: second, stage: "align", symbol: "BTCUSDT", inputHash: "h1", outputs: success.outputs, at: 10_001)
        #expect(try records.lastSuccess(stage: "align", symbol: "BTCUSDT")?.runID == second)
        #expect(try records.lastSuccess(stage: "train", symbol: "BTCUSDT") == nil)
        #expect(try records.lastSuccess(stage: "align", symbol: "ETHUSDT") == nil)
        try records.finishRun(second, status: "succeeded", error: nil, at: 10_002)
        #expect(try records.recentRuns(limit: 5).map(\.id) == [second, first])
        #expect(try records.runs(reason: "cron-nightly", symbol: "BTCUSDT").map(\.id) == [second])
        #expect(try records.runs(reason: "cron-nightly", symbol: "ETHUSDT").isEmpty)
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func promotionsRetireWhatTheyReplace(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        let records = PipelineRecords(store: fixture.store)
        for version in ["v1", "v2"] {
            try records.saveAgent(AgentRecord(symbol: "BTCUSDT", version: version, status: "candidate", path: "agents/BTCUSDT/\(version)",
                                              featureSpecHash: "abc", createdAt: 5, metrics: #"{"sharpe":1.5}"#, reason: nil))
        }
        try records.recordPromotion(symbol: "BTCUSDT", version: "v1", previous: nil, kind: "promote", reason: "first agent", at: 10)
        try records.recordPromotion(symbol: "BTCUSDT", version: "v2", previous: "v1", kind: "promote", reason: "beats v1", at: 20)
        let agents = try records.agents(symbol: "BTCUSDT")
        #expect(agents.map(\.status) == ["retired", "promoted"])
        #expect(agents[0].reason == "replaced by v2 (promote)")
        let metrics = try JSONSerialization.jsonObject(with: Data((agents[1].metrics ?? "").utf8)) as? [String: Double]
        #expect(metrics == ["sharpe": 1.5], "JSON survives the round trip (PostgreSQL re-formats jsonb)")
        let history = try records.promotions(symbol: "BTCUSDT")
        #expect(history.map(\.version) == ["v2", "v1"] && history[0].previousVersion == "v1")
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func theBestAndWorstThousandAreKept(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        let records = PipelineRecords(store: fixture.store)
        func record(_ index: Int, _ performance: Double, phase: String = "held_out") -> StrategyRecord {
            StrategyRecord(agentVersion: "v1", symbol: "ETHUSDT", timestamp: Int64(index) * 60_000, exitTime: Int64(index) * 60_000 + 300_000,
                           action: index % 2 == 0 ? "long" : "short", timeframes: #"["1m","15m"]"#, indicators: #"{"rsi_1m":55.5}"#,
                           tools: #"{"stop_atr":1.5}"#, leverage: 12.5, pnl: performance * 10, performance: performance, outcome: nil, phase: phase)
        }
        // 1,500 winners and 1,500 losers in two batches: the 1,000 most extreme of each side survive.
        let first = (0..<1_500).map { record($0, Double($0 + 1) / 100) }
        let second = (1_500..<3_000).map { record($0, -Double($0 - 1_499) / 100, phase: "training") }
        #expect(try records.storeStrategies(first, agentVersion: "v1", symbol: "ETHUSDT", keep: 1_000) == (1_000, 0))
        #expect(try records.storeStrategies(second + first.prefix(10), agentVersion: "v1", symbol: "ETHUSDT", keep: 1_000) == (1_000, 1_000))
        let kept = try records.strategies(agentVersion: "v1", symbol: "ETHUSDT")
        #expect(kept.count == 2_000)
        #expect(kept.first?.performance == 15.0 && kept.first?.outcome == "best" && kept.first?.phase == "held_out")
        #expect(kept.filter { $0.outcome == "best" }.map(\.performance).min() == 5.01)
        #expect(kept.last?.performance == -15.0 && kept.last?.outcome == "worst" && kept.last?.phase == "training")
        #expect(kept.filter { $0.outcome == "worst" }.map(\.performance).max() == -5.01)
        #expect(kept.first?.indicators == #"{"rsi_1m":55.5}"# || kept.first?.indicators == #"{"rsi_1m": 55.5}"#)
        #expect(kept.first?.leverage == 12.5 && kept.first?.exitTime == 1_499 * 60_000 + 300_000)
    }
}

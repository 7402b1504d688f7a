import ChildProcesses
import Evaluation
import Foundation
import Storage
import Testing
import TestSupport

/// The DAG for real: two symbols of real bars, killed with -9 mid-training and run again, a second run
/// refused while one is active, unchanged stages skipped, agents promoted or rejected with reasons.
@Suite(.serialized, .removesTemporaryFiles) struct PipelineRunTests {
    static let stages = "backup,align,train,evaluate,rank,publish"

    static func workspace() async throws -> Workspace {
        let workspace = try Workspace()
        try workspace.configurationFile("ml/training.yaml", replacing: "steps_per_environment: 2048", with: "steps_per_environment: 256")
        try workspace.configurationFile("ml/training.yaml", replacing: "checkpoint_every_updates: 5", with: "checkpoint_every_updates: 1")
        try workspace.configurationFile("ml/training.yaml", replacing: "environments: 8 ", with: "environments: 1 ")
        _ = try await workspace.pipeline("init-db")
        for (symbol, file) in [("BTCUSDT", "BTCUSDT_1m_20250504-20250624"), ("LINKUSDT", "LINKUSDT_1m_20250504-20250603")] {
            #expect(try await workspace.pipeline("import-csv", TestEnvironment.dataset("mit/binance-usdm_\(file).csv"), "--symbol", symbol,
                                           "--timeframe", "1m").status == 0)
        }
        return workspace
    }

    @Test func killedRunsResumeUnchangedStagesAreSkippedAndAgentsArePromotedOrRejected() async throws {
        let workspace = try await Self.workspace()
        let arguments = ["run", "--stages", Self.stages, "--symbols", "BTCUSDT,LINKUSDT", "--timesteps", "3072"]

        // 1. Killed with -9 while training: the run and its stage and training processes at one instant (a
        // plain kill of the run lets its training workers go on for up to a second; TrainCommandTests
        // covers that they stop, and a training they finish is superseded, as checked below).
        let checkpoint = workspace.path("agents/BTCUSDT/.training/s0.checkpoint.safetensors")
        _ = try await workspace.command(arguments).withRunning { first in
            _ = await first.wait(timeout: .seconds(180)) { FileManager.default.fileExists(atPath: checkpoint) }
            #expect(first.isRunning, "still training when killed")
            first.killProcessTree()
        }
        #expect(FileManager.default.fileExists(atPath: checkpoint), "BTCUSDT's training was unfinished when killed")

        // 2. Run again; meanwhile a third run is refused at once, naming the active run.
        let (refused, second) = try await workspace.command(arguments).withRunning { second in
            _ = await second.wait(timeout: .seconds(60)) {
                ((try? String(contentsOfFile: workspace.path("data/pipeline.lock"), encoding: .utf8)) ?? "").contains("run 2")
            }
            let refused = try await workspace.pipeline(arguments)
            _ = await second.waitForExit(timeout: .seconds(600))
            return refused
        }
        #expect(refused.status == 75)
        #expect(refused.standardError.contains("another pipeline run is active: run 2 (reason manual"), "\(refused.combined)")
        #expect(second.succeeded, "\(second.standardError.suffix(2_000))")

        let status = try await workspace.pipeline("status", "--runs", "3")
        #expect(status.status == 0)
        let text = status.standardOutput
        #expect(text.contains("run 1  manual  abandoned"), "\(text)")
        #expect(text.contains("interrupted: the process ended before the stage finished"))
        #expect(text.contains("run 2  manual  succeeded"))
        let runTwo = text.components(separatedBy: "run 2  manual")[1]
        for symbol in ["BTCUSDT", "LINKUSDT"] {
            #expect(runTwo.contains("backup    \(symbol.padding(toLength: 10, withPad: " ", startingAt: 0)) skipped"), "backup of \(symbol) kept from run 1")
            #expect(runTwo.contains("align     \(symbol.padding(toLength: 10, withPad: " ", startingAt: 0)) skipped"), "align of \(symbol) kept from run 1")
        }
        let logs = try FileManager.default.contentsOfDirectory(atPath: workspace.path("logs/training")).filter { $0.hasPrefix("BTCUSDT") }
        #expect(logs.count == 1, "the resumed run kept its version")
        let log = try String(contentsOfFile: workspace.path("logs/training/" + logs[0]), encoding: .utf8)
        #expect(log.split(separator: "\n").count == 12, "3072 steps are 12 updates of 256, each logged once across the kill")

        // Every symbol ends promoted or rejected, with the reason recorded; nothing is half-written.
        let store = try SQLiteStore(path: workspace.path("data/trader.sqlite"))
        let records = PipelineRecords(store: store)
        for symbol in ["BTCUSDT", "LINKUSDT"] {
            // A training the kill left unjudged (it finished, its stage did not) is superseded by the rerun's.
            let all = try records.agents(symbol: symbol)
            #expect(all.filter { $0.status == "superseded" }.allSatisfy { $0.reason?.hasPrefix("replaced by ") == true }, "\(all)")
            let agents = all.filter { $0.status != "superseded" }
            #expect(agents.count == 1, "\(all)")
            let agent = try #require(agents.first)
            #expect(["promoted", "rejected"].contains(agent.status), "\(agent)")
            #expect(agent.reason?.hasPrefix(agent.status == "promoted" ? "promoted: " : "rejected: ") == true)
            let current = try? FileManager.default.destinationOfSymbolicLink(atPath: workspace.path("agents/\(symbol)/current"))
            #expect((current == agent.version) == (agent.status == "promoted"))
            for file in ["policy.safetensors", "manifest.json"] {
                #expect(FileManager.default.fileExists(atPath: workspace.path("agents/\(symbol)/\(agent.version)/\(file)")))
            }
            for suffix in [".json", ".svg", ".records.json", ".strategies.json"] {
                #expect(FileManager.default.fileExists(atPath: workspace.path("reports/evaluation/\(symbol)-\(agent.version)\(suffix)")))
            }
            let strategies = try records.strategies(agentVersion: agent.version, symbol: symbol)
            #expect(!strategies.isEmpty && strategies.count <= 2_000)
            #expect(strategies.allSatisfy { ($0.outcome == "best") == ($0.performance > 0) })
        }

        // The edge report: every evaluated symbol against the baselines of its own evaluation, figure for figure.
        let edge = try await workspace.pipeline("report", "--symbols", "BTCUSDT,LINKUSDT")
        #expect(edge.status == 0, "\(edge.combined)")
        let summaries = try FileManager.default.contentsOfDirectory(atPath: workspace.path("reports/summary"))
        let json = try #require(summaries.first { $0.hasSuffix(".json") }, "\(summaries)")
        #expect(summaries.contains(json.replacingOccurrences(of: ".json", with: ".svg")))
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: workspace.path("reports/summary/" + json))))
            as? [String: Any])
        let rows = try #require(written["rows"] as? [[String: Any]])
        #expect(rows.compactMap { $0["symbol"] as? String }.sorted() == ["BTCUSDT", "LINKUSDT"])
        for row in rows {
            let symbol = try #require(row["symbol"] as? String), version = try #require(row["agent_version"] as? String)
            let evaluation = try EvaluationReport.read(from: workspace.path("reports/evaluation/\(symbol)-\(version).json"))
            let policy = try #require(evaluation.policies.first { $0.role == "candidate" } ?? evaluation.policies.first { $0.role == "current" })
            // The agent as it trades: with its loser filter when that was switched on (what the gate judged).
            let agent = evaluation.loserFilter?.enabled == true ? evaluation.loserFilter!.with : policy.metrics
            #expect(row["loser_filter"] as? Bool == (evaluation.loserFilter?.enabled == true))
            // (JSON text read back: equal to the last few bits.)
            func same(_ a: Double?, _ b: Double?) -> Bool { a.flatMap { a in b.map { abs(a - $0) <= 1e-12 } } ?? false }
            #expect(same(row["agent_return"] as? Double, agent.totalReturn) && row["trades"] as? Int == agent.trades)
            let baselines = try #require(row["baselines"] as? [String: Double])
            #expect(same(baselines["buy-and-hold"], evaluation.policy("buy-and-hold")?.metrics.totalReturn) && baselines["flat"] == 0,
                    "\(baselines) \(evaluation.policies.map { "\($0.name) \($0.metrics.totalReturn)" })")
            let line = try #require(edge.standardOutput.split(separator: "\n").first { $0.hasPrefix(symbol + " ") && $0.contains("%") })
            #expect(line.contains(String(format: "%+.2f%%", agent.totalReturn * 100)), "\(line)")
        }
        #expect(edge.standardOutput.contains("the agent beats every trading baseline on "), "\(edge.standardOutput)")

        // 3. A run after a change of state (a new current agent) redoes only what depends on it; 4. then nothing.
        #expect(try await workspace.pipeline(arguments).status == 0)
        let again = try await workspace.pipeline(arguments)
        #expect(again.status == 0, "\(again.combined)")
        let skipped = again.standardOutput.split(separator: "\n").filter { $0.contains("skipped: inputs unchanged") }
        #expect(skipped.count == 12, "all 6 stages of both symbols skipped:\n\(again.standardOutput)")
        #expect(again.standardOutput.contains("symbol      1m bars  valid rows  train steps"))
    }

    /// Every seed is on record: the in-sample winner is the candidate, the others `unselected` (and never
    /// judged); a later training supersedes a candidate that was never judged.
    @Test func seedsThatLostTheSelectionAreRecordedAndNeverJudged() async throws {
        let workspace = try await Self.workspace()
        #expect(try await workspace.pipeline("align", "--symbols", "LINKUSDT").status == 0)
        let trained = try await workspace.pipeline("train", "--symbols", "LINKUSDT", "--timesteps", "512", "--seed", "1", "--seed", "2")
        #expect(trained.status == 0, "\(trained.combined.suffix(2_000))")
        let records = PipelineRecords(store: try SQLiteStore(path: workspace.path("data/trader.sqlite")))
        let first = try records.agents(symbol: "LINKUSDT")
        #expect(first.map(\.status).sorted() == ["candidate", "unselected"], "\(first)")
        let loser = try #require(first.first { $0.status == "unselected" })
        #expect(loser.reason?.contains("lost the in-sample selection to") == true)
        let refused = try await workspace.pipeline("evaluate", "--symbols", "LINKUSDT", "--candidate", loser.version)
        #expect(refused.status != 0 && refused.standardError.contains("was not selected by its training"), "\(refused.combined)")
        #expect(try await workspace.pipeline("train", "--symbols", "LINKUSDT", "--timesteps", "512", "--seed", "3").status == 0)
        let second = try records.agents(symbol: "LINKUSDT")
        #expect(second.map(\.status).sorted() == ["candidate", "superseded", "unselected"], "\(second)")
    }

    @Test func promoteRefusesADamagedAgentAndRollbackWalksBack() async throws {
        let workspace = try await Self.workspace()
        #expect(try await workspace.pipeline("run", "--stages", "align,train", "--symbols", "LINKUSDT", "--timesteps", "512").status == 0)
        #expect(try await workspace.pipeline("train", "--symbols", "LINKUSDT", "--timesteps", "512", "--seed", "9").status == 0)
        let versions = try FileManager.default.contentsOfDirectory(atPath: workspace.path("agents/LINKUSDT")).filter { !$0.hasPrefix(".") }.sorted()
        #expect(versions.count == 2)
        #expect(try await workspace.pipeline("agents", "promote", versions[0]).status == 0)
        #expect(try await workspace.pipeline("agents", "promote", "LINKUSDT/" + versions[1]).status == 0)

        // A damaged copy is refused with the reason, and current stays where it was.
        let damaged = versions[1].replacingOccurrences(of: "-s9", with: "-s77")
        try FileManager.default.copyItem(atPath: workspace.path("agents/LINKUSDT/\(versions[1])"), toPath: workspace.path("agents/LINKUSDT/\(damaged)"))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: workspace.path("agents/LINKUSDT/\(damaged)/policy.safetensors")))
        let refused = try await workspace.pipeline("agents", "promote", damaged)
        #expect(refused.status != 0 && refused.standardError.contains("cannot be promoted") && refused.standardError.contains("corrupt"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: workspace.path("agents/LINKUSDT/current")) == versions[1])

        let list = try await workspace.pipeline("agents", "list", "--symbols", "LINKUSDT")
        let lines = list.standardOutput.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.contains { $0.prefix(4) == ["*", "LINKUSDT", versions[1], "promoted"] }, "\(list.standardOutput)")
        #expect(lines.contains { $0.prefix(3) == ["LINKUSDT", versions[0], "retired"] })
        #expect(lines.contains { $0.prefix(3) == ["LINKUSDT", damaged, "unevaluated"] })

        let rollback = try await workspace.pipeline("agents", "rollback", "LINKUSDT")
        #expect(rollback.status == 0 && rollback.standardOutput.contains("current is now \(versions[0]) (rolled back from \(versions[1]))"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: workspace.path("agents/LINKUSDT/current")) == versions[0])
        let nothing = try await workspace.pipeline("agents", "rollback", "LINKUSDT")
        #expect(nothing.status != 0 && nothing.standardError.contains("replaced no earlier version"))
    }

    @Test func theSharpeTriggerDeclinesAboveTheThresholdWithFewTradesAndInCooldown() async throws {
        let workspace = try Workspace()
        _ = try await workspace.pipeline("init-db")
        func trigger(_ sharpe: String, _ trades: String) async throws -> CommandResult {
            try await workspace.pipeline("run", "--reason", "sharpe", "--symbols", "BTCUSDT", "--stages", "publish",
                                   "--live-sharpe", sharpe, "--live-trades", trades)
        }
        let high = try await trigger("1.8", "50")
        #expect(high.status == 0 && high.standardOutput.contains("not retraining: live Sharpe 1.80 is not under the threshold 1.50"))
        let few = try await trigger("0.4", "12")
        #expect(few.status == 0 && few.standardOutput.contains("12 live trades are fewer than the 30"))
        let ran = try await trigger("0.4", "50")
        #expect(ran.status == 0 && ran.standardOutput.contains("pipeline run 1 (sharpe)"), "\(ran.combined)")
        let again = try await trigger("0.2", "80")
        #expect(again.status == 0 && again.standardOutput.contains("BTCUSDT was retrained for its Sharpe in run 1"))
        #expect(again.standardOutput.contains("cooldown until"))
        let missing = try await workspace.pipeline("run", "--reason", "sharpe", "--symbols", "BTCUSDT")
        #expect(missing.status != 0 && missing.standardError.contains("--reason sharpe needs --symbols, --live-sharpe and --live-trades"))
    }
}

@Suite(.removesTemporaryFiles) struct CronWrapperTests {
    func wrapper(_ workspace: Workspace, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let result = try await ChildProcess(TestEnvironment.packageRoot + "/cron/run-pipeline", arguments, environment: .inherit(
            ["TRADER_HOME": workspace.directory, "PIPELINE_BIN": ProcessRunner.productsDirectory + "/pipeline"])).run()
        return (result.status, result.combined)
    }

    @Test func theWrapperLogsEachRunAndTreatsABusyPipelineAsASkip() async throws {
        let workspace = try Workspace()
        _ = try await workspace.pipeline("init-db")
        let ran = try await wrapper(workspace, ["cron-nightly", "--stages", "evaluate", "--symbols", "BTCUSDT"])
        #expect(ran.status == 0, "\(ran.output)")
        let logs = try FileManager.default.contentsOfDirectory(atPath: workspace.path("logs/cron"))
        let log = try #require(logs.first { $0.hasPrefix("cron-nightly-") && $0.hasSuffix(".log") })
        let text = try String(contentsOfFile: workspace.path("logs/cron/" + log), encoding: .utf8)
        #expect(text.contains("pipeline run 1 (cron-nightly)") && text.contains("exit status 0"), "\(text)")

        // With the run lock held elsewhere, the wrapper records a skip and succeeds.
        let descriptor = open(workspace.path("data/pipeline.lock"), O_RDWR | O_CREAT, 0o644)
        defer { close(descriptor) }
        #expect(flock(descriptor, LOCK_EX | LOCK_NB) == 0)
        let busy = try await wrapper(workspace, ["cron-weekly", "--stages", "evaluate", "--symbols", "BTCUSDT"])
        #expect(busy.status == 0)
        let skipped = try String(contentsOfFile: workspace.path("logs/cron/skipped.log"), encoding: .utf8)
        #expect(skipped.contains("cron-weekly: another pipeline run was active; skipped"))

        let failed = try await wrapper(workspace, ["cron-weekly", "--stages", "nonsense"])
        #expect(failed.status != 0 && failed.output.contains("failed"))
    }
}

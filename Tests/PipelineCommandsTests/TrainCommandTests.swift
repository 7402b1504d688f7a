import AgentArtifacts
import Features
import Foundation
import Policy
import Testing
import TestSupport
import Training

@Suite(.serialized, .removesTemporaryFiles) struct TrainCommandTests {
    static func summaries(_ output: String) throws -> [[String: Any]] {
        try output.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    static func manifest(_ directory: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))) as? [String: Any])
    }

    @Test func cartPoleRunsWriteArtifactsLogsAndOneSummaryLineEach() async throws {
        let workspace = try Workspace()
        try workspace.configurationFile("ml/training.yaml", replacing: "steps_per_environment: 2048", with: "steps_per_environment: 512")
        let result = try await workspace.pipeline("train", "--env", "cartpole", "--timesteps", "2048", "--envs", "2", "--seed", "0", "--seed", "1")
        #expect(result.status == 0, "\(result.combined)")
        let summaries = try Self.summaries(result.standardOutput)
        #expect(summaries.count == 2)
        for summary in summaries {
            #expect(summary["env_steps"] as? Int == 2_048 && summary["updates"] as? Int == 2)
            for key in ["wall_s", "steps_per_s", "mean_return_last100", "steps_to_mean100_475", "peak_rss_mb"] {
                #expect(summary.keys.contains(key), "summary lacks \(key)")
            }
            #expect(summary["steps_to_mean100_475"] is NSNull, "not reached in 2k steps, and said so")
            let artifact = workspace.path(try #require(summary["artifact"] as? String))
            let log = try String(contentsOfFile: workspace.path("logs/training/CARTPOLE-\(summary["version"] as! String).jsonl"), encoding: .utf8)
            let records = log.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            #expect(records.map { $0["update"] as? Int } == [1, 2])
            #expect(records.allSatisfy { $0["approx_kl"] != nil && $0["clip_fraction"] != nil && $0["value_loss"] != nil })

            // `agents inspect` gives the loaded agent's probabilities and value for each row.
            try "pole_angle,cart_position,cart_velocity,pole_angular_velocity,comment\n0.1,0,0,0,x\n-0.1,0.5,-0.2,1.0,y\n"
                .write(toFile: workspace.path("obs.csv"), atomically: true, encoding: .utf8)
            let inspect = try await workspace.pipeline("agents", "inspect", artifact, "--obs", workspace.path("obs.csv"))
            #expect(inspect.status == 0, "\(inspect.combined)")
            let rows = inspect.standardOutput.split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(rows.first == "row,p_push_left,p_push_right,value,action")
            let agent = try AgentFiles.load(directory: artifact)
            for (row, observation) in zip(rows.dropFirst(), [[0, 0, 0.1, 0], [0.5, -0.2, -0.1, 1.0]]) {
                let fields = row.split(separator: ",")
                let (probabilities, value) = agent.evaluate(rawObservation: observation)
                #expect(abs(Double(fields[1])! - Double(probabilities[0])) < 1e-6 && abs(Double(fields[3])! - Double(value)) < 1e-5)
            }
        }
        let bad = try await workspace.pipeline("agents", "inspect", workspace.path(try #require(summaries[0]["artifact"] as? String)),
                                         "--obs", workspace.path("missing.csv"))
        #expect(bad.status != 0 && bad.standardError.contains("missing.csv"))
    }

    /// Killed with -9 mid-run, the same command with --resume continues from the last checkpoint.
    @Test func aKilledRunResumesFromItsLastCheckpoint() async throws {
        let workspace = try Workspace()
        try workspace.configurationFile("ml/training.yaml", replacing: "steps_per_environment: 2048", with: "steps_per_environment: 256")
        try workspace.configurationFile("ml/training.yaml", replacing: "checkpoint_every_updates: 5", with: "checkpoint_every_updates: 1")
        let arguments = ["train", "--env", "cartpole", "--envs", "1", "--seed", "5"]
        let checkpoint = workspace.path("agents/CARTPOLE/.training/s5.checkpoint.safetensors")
        func savedUpdates() -> Int {
            guard let data = FileManager.default.contents(atPath: checkpoint) else { return 0 }
            return (try? PPOTrainer<CartPole>.checkpointState(data, path: checkpoint).updates) ?? 0
        }
        _ = try await workspace.command(arguments + ["--timesteps", "1000000"]).withRunning { first in
            _ = await first.wait(timeout: .seconds(120)) { savedUpdates() >= 3 }
            first.send(signal: SIGKILL)
        }
        // The orphaned worker notices that its parent died and stops, releasing the run's lock.
        let lock = open(workspace.path("agents/CARTPOLE/.training/s5.lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        defer { close(lock) }
        #expect(await eventually(timeout: .seconds(30)) { flock(lock, LOCK_EX | LOCK_NB) == 0 }, "the orphaned worker stopped")
        flock(lock, LOCK_UN)
        let state = try PPOTrainer<CartPole>.checkpointState(try #require(FileManager.default.contents(atPath: checkpoint)), path: checkpoint)
        #expect(state.updates >= 3)
        #expect(!FileManager.default.fileExists(atPath: workspace.path("agents/CARTPOLE/\(state.context["version"]!)")), "no artifact yet")

        let target = state.environmentSteps + 512
        let resumed = try await workspace.pipeline(arguments + ["--timesteps", "\(target)", "--resume"])
        #expect(resumed.status == 0, "\(resumed.combined)")
        #expect(resumed.standardOutput.contains("resumed from \(checkpoint.replacingOccurrences(of: workspace.directory + "/", with: "")) at update \(state.updates)"))
        let summary = try #require(try Self.summaries(resumed.standardOutput).first)
        #expect(summary["resumed_from_update"] as? Int == state.updates)
        #expect(summary["updates"] as? Int == state.updates + 2 && summary["env_steps"] as? Int == target)
        #expect(summary["version"] as? String == state.context["version"], "the resumed run keeps its version")
        #expect(!FileManager.default.fileExists(atPath: checkpoint), "a finished run removes its checkpoint")
        let log = try String(contentsOfFile: workspace.path("logs/training/CARTPOLE-\(state.context["version"]!).jsonl"), encoding: .utf8)
        let updates = log.split(separator: "\n").map { (try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["update"] as! Int }
        #expect(updates.suffix(2) == [state.updates + 1, state.updates + 2])
    }

    /// Two symbols in parallel on tensors from real bars; the artifact records the split and Python reads it;
    /// a tensor of another feature spec is refused before training.
    @Test func tradingAgentsTrainOnTheTrainingRowsOfRealTensors() async throws {
        let workspace = try Workspace()
        try workspace.configurationFile("ml/training.yaml", replacing: "steps_per_environment: 2048", with: "steps_per_environment: 128")
        _ = try await workspace.pipeline("init-db")
        for (symbol, file) in [("BTCUSDT", "BTCUSDT_1m_20250504-20250624"), ("LINKUSDT", "LINKUSDT_1m_20250504-20250603")] {
            #expect(try await workspace.pipeline("import-csv", TestEnvironment.dataset("mit/binance-usdm_\(file).csv"), "--symbol", symbol,
                                           "--timeframe", "1m").status == 0)
        }
        #expect(try await workspace.pipeline("align", "--symbols", "BTCUSDT,LINKUSDT", "--csv").status == 0)
        let result = try await workspace.pipeline("train", "--symbols", "BTCUSDT,LINKUSDT", "--timesteps", "512", "--envs", "2", "--seed", "7")
        #expect(result.status == 0, "\(result.combined)")
        let summaries = try Self.summaries(result.standardOutput)
        #expect(Set(summaries.compactMap { $0["symbol"] as? String }) == ["BTCUSDT", "LINKUSDT"])

        let btc = try #require(summaries.first { $0["symbol"] as? String == "BTCUSDT" })
        let directory = workspace.path(try #require(btc["artifact"] as? String))
        let manifest = try Self.manifest(directory)
        let spec = FeatureSpec.standard
        let tensor = workspace.path("datasets/BTCUSDT/features-\(spec.shortHash).h5")
        #expect(manifest["feature_spec_hash"] as? String == spec.hash)
        #expect(manifest["feature_names"] as? [String] == spec.names)
        #expect((manifest["architecture"] as? [String: Any])?["observation_size"] as? Int == spec.count + 5)
        #expect(((manifest["normalization"] as? [String: Any])?["mean"] as? [Double])?.count == spec.count + 5)
        let python = try await Python.json("""
            import json, sys, hashlib, h5py
            from safetensors.numpy import load_file
            t = load_file(sys.argv[1] + "/policy.safetensors")
            f = h5py.File(sys.argv[2], "r")
            print(json.dumps({"shape": list(t["actor.0.weight"].shape), "training_rows": int(f.attrs["training_rows"]),
                              "rows": int(f.attrs["rows"]), "sha256": hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()}))
            """, [directory, tensor])
        #expect(python["shape"] as? [Int] == [64, spec.count + 5])
        let trainingRows = try #require(python["training_rows"] as? Int)
        let training = try #require(manifest["training_range"] as? [String: Any])
        let heldOut = try #require(manifest["held_out_range"] as? [String: Any])
        #expect(training["first_row"] as? Int == 0 && training["row_count"] as? Int == trainingRows)
        #expect(heldOut["first_row"] as? Int == trainingRows && heldOut["row_count"] as? Int == (python["rows"] as! Int) - trainingRows)
        #expect((heldOut["first_open_time"] as! Int) > (training["last_open_time"] as! Int))
        #expect(manifest["dataset_sha256"] as? String == python["sha256"] as? String)

        // Rows of the aligned CSV (raw features, no position columns) through `agents inspect`.
        let aligned = try String(contentsOfFile: workspace.path("data/BTCUSDT/BTCUSDT_aligned.csv"), encoding: .utf8).split(separator: "\n")
        try ([aligned[0]] + aligned[20_001...20_003]).joined(separator: "\n").write(toFile: workspace.path("obs.csv"), atomically: true, encoding: .utf8)
        let inspect = try await workspace.pipeline("agents", "inspect", directory, "--obs", workspace.path("obs.csv"))
        #expect(inspect.status == 0, "\(inspect.combined)")
        let rows = inspect.standardOutput.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(rows.count == 4 && rows[0] == "row,p_hold,p_long,p_short,value,action")
        for row in rows.dropFirst() {
            let fields = row.split(separator: ",")
            let total: Double = fields[1...3].compactMap { Double($0) }.reduce(0, +)
            #expect(abs(total - 1) < 1e-5)
        }

        // Another spec's tensor is refused before anything trains.
        try FileManager.default.moveItem(atPath: tensor, toPath: workspace.path("datasets/BTCUSDT/features-0123456789ab.h5"))
        let renamed = try await workspace.pipeline("train", "--symbols", "BTCUSDT", "--timesteps", "512", "--envs", "1", "--seed", "7")
        #expect(renamed.status != 0)
        #expect(renamed.standardError.contains("no feature tensor for feature spec \(spec.shortHash)") && renamed.standardError.contains("features-0123456789ab.h5"))
        try FileManager.default.moveItem(atPath: workspace.path("datasets/BTCUSDT/features-0123456789ab.h5"), toPath: tensor)
        _ = try await Python.run("import h5py, sys\nf = h5py.File(sys.argv[1], 'r+')\nf.attrs['spec_hash'] = 'f' * 64\nf.close()", [tensor])
        let foreign = try await workspace.pipeline("train", "--symbols", "BTCUSDT", "--timesteps", "512", "--envs", "1", "--seed", "7")
        #expect(foreign.status != 0)
        #expect(foreign.standardError.contains(String(repeating: "f", count: 64)) && foreign.standardError.contains(spec.hash))
        #expect(!FileManager.default.fileExists(atPath: workspace.path("agents/BTCUSDT/.training/s7.checkpoint.safetensors")))
    }
}

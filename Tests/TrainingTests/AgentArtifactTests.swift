import AgentArtifacts
import Foundation
import Policy
import Testing
import TestSupport
@testable import Training

@Suite(.removesTemporaryFiles) struct AgentArtifactTests {
    static func sampleArtifact(specHash: String = "abc123", observationSize: Int = 6) -> AgentArtifact {
        var settings = PPOSettings()
        settings.normalizeObservations = true
        var random = SeededRandom(seed: 9)
        let actor = MultilayerPerceptron.orthogonal(sizes: [observationSize, 64, 64, 3], activation: .tanh, outputGain: 0.5, random: &random)
        let critic = MultilayerPerceptron.orthogonal(sizes: [observationSize, 64, 64, 1], activation: .tanh, outputGain: 1, random: &random)
        let normalizer = ObservationNormalizer(mean: (0..<observationSize).map { Double($0) * 0.1 },
                                               variance: (0..<observationSize).map { 1 + Double($0) })
        let manifest = AgentManifest(
            symbol: "BTCUSDT", version: "20261126T000000000Z-s4", createdAt: "2026-11-26T00:00:00.000Z", codeVersion: "test",
            environment: "trading",
            architecture: .init(observationSize: observationSize, actionCount: 3, hiddenLayers: [64, 64], activation: .tanh),
            featureSpecHash: specHash, featureNames: (0..<(observationSize - 1)).map { "f\($0)" }, positionFeatures: ["position_side"],
            normalization: normalizer, actionMeanings: ["hold", "long", "short"], hyperparameters: settings.dictionary, seed: 4,
            trainingRange: .init(firstRow: 0, rowCount: 100, firstOpenTime: 0, lastOpenTime: 5_940_000),
            heldOutRange: .init(firstRow: 100, rowCount: 25, firstOpenTime: 6_000_000, lastOpenTime: 7_440_000),
            datasetFile: "datasets/BTCUSDT/features-x.h5", datasetSha256: "00", metrics: .init(environmentSteps: 1, updates: 1, wallSeconds: 1, stepsPerSecond: 1, meanReturnLast100: nil))
        return AgentArtifact(manifest: manifest, policy: ActorCritic(actor: actor, critic: critic))
    }

    @Test func anArtifactRoundTripsAndPythonsSafetensorsReadsIt() async throws {
        let directory = TestEnvironment.temporaryDirectory("agents")
        let artifact = Self.sampleArtifact()
        let path = try AgentDirectory.write(artifact, agentsDirectory: directory)
        #expect(path == directory + "/BTCUSDT/20261126T000000000Z-s4")
        let loaded = try AgentFiles.load(directory: path, expectedFeatureSpecHash: "abc123")
        #expect(loaded.policy == artifact.policy)
        #expect(loaded.manifest == artifact.manifest)
        #expect(throws: (any Error).self) { try AgentDirectory.write(artifact, agentsDirectory: directory) }  // never overwritten

        // PyTorch-convention tensors, and the same outputs from a numpy forward pass of the file.
        let observation = [0.3, -1.2, 2.0, 0.0, 5.5, 1.0]
        let script = """
            import json, sys, numpy as np
            from safetensors.numpy import load_file
            t = load_file(sys.argv[1] + "/policy.safetensors")
            m = json.load(open(sys.argv[1] + "/manifest.json"))
            x = np.array(json.loads(sys.argv[2]))
            n = m["normalization"]
            x = np.clip((x - np.array(n["mean"])) / np.sqrt(np.array(n["variance"]) + n["epsilon"]), -n["clip"], n["clip"]).astype(np.float32)
            def net(p, x):
                h = np.tanh(t[p + ".0.weight"] @ x + t[p + ".0.bias"])
                h = np.tanh(t[p + ".2.weight"] @ h + t[p + ".2.bias"])
                return t[p + ".4.weight"] @ h + t[p + ".4.bias"]
            logits = net("actor", x)
            e = np.exp(logits - logits.max())
            print(json.dumps({"shapes": {k: list(v.shape) for k, v in t.items()}, "dtype": str(t["actor.0.weight"].dtype),
                              "probabilities": (e / e.sum()).tolist(), "value": float(net("critic", x)[0])}))
            """
        let python = try await Python.json(script, [path, "[0.3, -1.2, 2.0, 0.0, 5.5, 1.0]"])
        let shapes = try #require(python["shapes"] as? [String: [Int]])
        #expect(shapes["actor.0.weight"] == [64, 6] && shapes["actor.0.bias"] == [64])
        #expect(shapes["actor.4.weight"] == [3, 64] && shapes["critic.4.weight"] == [1, 64] && shapes.count == 12)
        #expect(python["dtype"] as? String == "float32")
        let (probabilities, value) = loaded.evaluate(rawObservation: observation)
        let reference = try #require(python["probabilities"] as? [Double])
        for (ours, theirs) in zip(probabilities, reference) { #expect(abs(Double(ours) - theirs) < 1e-5) }
        #expect(abs(Double(value) - (python["value"] as? Double ?? .nan)) < 1e-4)
    }

    @Test func aForeignFeatureSpecIsRefusedNamingBothHashes() throws {
        let directory = TestEnvironment.temporaryDirectory("agents")
        let path = try AgentDirectory.write(Self.sampleArtifact(specHash: "1111aaaa"), agentsDirectory: directory)
        let error = try #require(throws: AgentLoadError.self) { try AgentFiles.load(directory: path, expectedFeatureSpecHash: "2222bbbb") }
        #expect(error.description.contains("1111aaaa") && error.description.contains("2222bbbb"))
    }

    @Test func damagedArtifactsAreRefusedWithTheReason() throws {
        let directory = TestEnvironment.temporaryDirectory("agents")
        let path = try AgentDirectory.write(Self.sampleArtifact(), agentsDirectory: directory)
        let policy = path + "/" + AgentArtifact.policyFile
        let original = try Data(contentsOf: URL(fileURLWithPath: policy))

        try original.prefix(original.count - 10).write(to: URL(fileURLWithPath: policy))
        let truncated = try #require(throws: AgentLoadError.self) { try AgentFiles.load(directory: path) }
        #expect(truncated.description.contains("corrupt"))

        var tensors = try SafeTensors.decode(original).tensors
        tensors["actor.2.weight"] = SafeTensors.Tensor(shape: [64, 32], values: Array(repeating: 0, count: 64 * 32))
        try SafeTensors.encode(tensors).write(to: URL(fileURLWithPath: policy))
        let shape = try #require(throws: AgentLoadError.self) { try AgentFiles.load(directory: path) }
        #expect(shape.description.contains("actor.2") && shape.description.contains("[64, 32]"))

        tensors = try SafeTensors.decode(original).tensors
        tensors["critic.0.bias"]!.values[3] = .nan
        try SafeTensors.encode(tensors).write(to: URL(fileURLWithPath: policy))
        let nan = try #require(throws: AgentLoadError.self) { try AgentFiles.load(directory: path) }
        #expect(nan.description.contains("critic.0") && nan.description.contains("NaN"))

        try FileManager.default.removeItem(atPath: policy)
        let missing = try #require(throws: AgentLoadError.self) { try AgentFiles.load(directory: path) }
        #expect(missing.description.contains("policy.safetensors is missing"))
    }
}

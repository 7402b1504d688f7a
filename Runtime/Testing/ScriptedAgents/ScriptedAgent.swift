import Features
import Foundation
import Policy
import TradingEngine

/// A deterministic agent for end-to-end tests and benchmarks (a real network of the trained agents' shape): it goes long when the 1m MACD histogram is clearly
/// positive, short when clearly negative, and holds in between — so it trades often, both ways, and
/// what it does is known without training. Written as a real artifact (safetensors + manifest).
public enum ScriptedAgent {
    /// The artifact; `inverted` swaps long and short (a "new" agent for reload tests). `specHash` defaults to
    /// the running code's (pass another to make an agent the trader must refuse).
    public static func artifact(symbol: String, version: String, inverted: Bool = false,
                                specHash: String = FeatureSpec.standard.hash) -> AgentArtifact {
        let names = FeatureSpec.standard.names
        let inputs = names.count + AgentPositionState.names.count
        let column = names.firstIndex(of: "macd_histogram_1m")!
        let hidden = 64
        var first = [Float](repeating: 0, count: hidden * inputs)
        first[column] = 200  // unit 0 ≈ sign of the histogram once it is beyond ±0.01
        var second = [Float](repeating: 0, count: hidden * hidden)
        second[0] = 3
        var output = [Float](repeating: 0, count: 3 * hidden)
        let sign: Float = inverted ? -1 : 1
        output[1 * hidden] = 4 * sign  // long
        output[2 * hidden] = -4 * sign  // short
        let actor = MultilayerPerceptron(layers: [
            DenseLayer(inputs: inputs, outputs: hidden, weight: first, bias: .init(repeating: 0, count: hidden)),
            DenseLayer(inputs: hidden, outputs: hidden, weight: second, bias: .init(repeating: 0, count: hidden)),
            DenseLayer(inputs: hidden, outputs: 3, weight: output, bias: [1.5, 0, 0]),
        ], activation: .tanh)
        let critic = MultilayerPerceptron(layers: [
            DenseLayer(inputs: inputs, outputs: hidden, weight: .init(repeating: 0, count: hidden * inputs), bias: .init(repeating: 0, count: hidden)),
            DenseLayer(inputs: hidden, outputs: hidden, weight: .init(repeating: 0, count: hidden * hidden), bias: .init(repeating: 0, count: hidden)),
            DenseLayer(inputs: hidden, outputs: 1, weight: .init(repeating: 0, count: hidden), bias: [0]),
        ], activation: .tanh)
        let manifest = AgentManifest(
            symbol: symbol, version: version, createdAt: "2026-12-01T00:00:00.000Z", codeVersion: "test", environment: "trading",
            architecture: .init(observationSize: inputs, actionCount: 3, hiddenLayers: [hidden, hidden], activation: .tanh),
            featureSpecHash: specHash, featureNames: names, positionFeatures: AgentPositionState.names,
            normalization: ObservationNormalizer(mean: .init(repeating: 0, count: inputs), variance: .init(repeating: 1, count: inputs),
                                                 clip: 1_000, epsilon: 0),
            actionMeanings: ["hold", "long", "short"], hyperparameters: [:], seed: 0, trainingRange: nil, heldOutRange: nil,
            datasetFile: nil, datasetSha256: nil,
            metrics: .init(environmentSteps: 0, updates: 0, wallSeconds: 0, stepsPerSecond: 0, meanReturnLast100: nil))
        return AgentArtifact(manifest: manifest, policy: ActorCritic(actor: actor, critic: critic))
    }

    /// Writes the artifact to `agents/{symbol}/{version}/`; with `promote`, points `current` at it
    /// (atomically, as `pipeline agents promote` does). Returns the directory.
    @discardableResult
    public static func write(symbol: String, version: String, agentsDirectory: String, inverted: Bool = false,
                             specHash: String = FeatureSpec.standard.hash, promote: Bool = true) throws -> String {
        let agent = artifact(symbol: symbol, version: version, inverted: inverted, specHash: specHash)
        let directory = "\(agentsDirectory)/\(symbol)/\(version)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try agent.policyData().write(to: URL(fileURLWithPath: directory + "/" + AgentArtifact.policyFile))
        try agent.manifest.encoded().write(to: URL(fileURLWithPath: directory + "/" + AgentArtifact.manifestFile))
        if promote { try pointCurrent(symbol: symbol, at: version, agentsDirectory: agentsDirectory) }
        return directory
    }

    /// Switches `agents/{symbol}/current` to `version` by renaming a new link over it.
    public static func pointCurrent(symbol: String, at version: String, agentsDirectory: String) throws {
        let link = "\(agentsDirectory)/\(symbol)/current", temporary = link + ".new-\(getpid())"
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: version)
        guard rename(temporary, link) == 0 else { throw ScriptedAgentError(message: "cannot switch \(link) to \(version): errno \(errno)") }
    }
}

/// A scripted agent could not be written.
public struct ScriptedAgentError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

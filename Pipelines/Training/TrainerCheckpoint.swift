import Foundation
import Policy

/// Why a checkpoint cannot be resumed.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "checkpoint \(path): \(reason)" }
}

/// The scalar part of a checkpoint, stored as JSON in the safetensors metadata under `state`.
public struct CheckpointState: Codable, Sendable, Equatable {
    /// Identifies the run (environment, data, hyperparameters, seed); a checkpoint resumes only the same run.
    public var fingerprint: String
    /// What the caller keeps with the run (e.g. the agent version and the training log's path).
    public var context: [String: String]
    public var environmentSteps: Int
    public var updates: Int
    public var episodes: Int
    public var recentReturns: [Double]
    public var stepsToThreshold: Int?
    public var randomState: UInt64
    public var statistics: RunningMeanStd?
    public var actorAdamStep: Int
    public var criticAdamStep: Int
    public var wallSeconds: Double
}

/// A trainer's checkpoint: one safetensors file holding the networks (`actor.*`, `critic.*`, as in an
/// agent artifact), both Adam optimisers' moments (`adam.actor.first.0.weight`, …) and the scalar state.
/// Environments are not saved: a resumed run reseeds them from (seed, update) and starts fresh episodes,
/// so it continues the learning exactly but is not bit-identical to an uninterrupted run.
extension PPOTrainer {
    public func checkpointData(fingerprint: String, context: [String: String]) throws -> Data {
        var tensors = AgentArtifact.tensors(policy.actor, prefix: "actor")
        tensors.merge(AgentArtifact.tensors(policy.critic, prefix: "critic")) { $1 }
        for (name, optimizer, network) in [("actor", actorOptimizer, policy.actor), ("critic", criticOptimizer, policy.critic)] {
            for (moment, values) in [("first", optimizer.first), ("second", optimizer.second)] {
                for (index, layer) in network.layers.enumerated() {
                    tensors["adam.\(name).\(moment).\(index * 2).weight"] = SafeTensors.Tensor(shape: [layer.outputs, layer.inputs], values: values.weights[index])
                    tensors["adam.\(name).\(moment).\(index * 2).bias"] = SafeTensors.Tensor(shape: [layer.outputs], values: values.biases[index])
                }
            }
        }
        let state = CheckpointState(
            fingerprint: fingerprint, context: context, environmentSteps: environmentSteps, updates: updates, episodes: episodes,
            recentReturns: recentReturns, stepsToThreshold: stepsToThreshold, randomState: random.state, statistics: statistics,
            actorAdamStep: actorOptimizer.step, criticAdamStep: criticOptimizer.step, wallSeconds: wallSeconds)
        let json = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        return try SafeTensors.encode(tensors, metadata: ["format": "trader-checkpoint", "state": json])
    }

    /// The state stored in checkpoint bytes, without restoring anything (to read the context first).
    public static func checkpointState(_ data: Data, path: String) throws -> CheckpointState {
        let decoded: (tensors: [String: SafeTensors.Tensor], metadata: [String: String])
        do { decoded = try SafeTensors.decode(data) } catch { throw CheckpointError(path: path, reason: "unreadable (\(error))") }
        guard let json = decoded.metadata["state"], let state = try? JSONDecoder().decode(CheckpointState.self, from: Data(json.utf8)) else {
            throw CheckpointError(path: path, reason: "has no readable training state in its metadata")
        }
        return state
    }

    /// Restores networks, optimisers and counters from checkpoint bytes; refuses another run's checkpoint.
    /// The environments are reseeded from (seed, update) and reset.
    public mutating func restore(from data: Data, path: String, fingerprint: String) throws -> CheckpointState {
        let state = try Self.checkpointState(data, path: path)
        guard state.fingerprint == fingerprint else {
            throw CheckpointError(path: path, reason: "belongs to another run (fingerprint \(state.fingerprint.prefix(12))…, this run \(fingerprint.prefix(12))…): the data, hyperparameters, environment or seed differ")
        }
        let tensors = try SafeTensors.decode(data).tensors
        func read(_ name: String, shape: [Int]) throws -> [Float] {
            guard let tensor = tensors[name] else { throw CheckpointError(path: path, reason: "lacks tensor \(name)") }
            guard tensor.shape == shape else { throw CheckpointError(path: path, reason: "\(name) has shape \(tensor.shape), expected \(shape)") }
            guard tensor.values.allSatisfy(\.isFinite) else { throw CheckpointError(path: path, reason: "\(name) holds NaN or infinite values") }
            return tensor.values
        }
        func restoreNetwork(_ network: inout MultilayerPerceptron, _ optimizer: inout AdamOptimizer, prefix: String, step: Int) throws {
            for index in network.layers.indices {
                let layer = network.layers[index], name = "\(index * 2)"
                let weightShape = [layer.outputs, layer.inputs], biasShape = [layer.outputs]
                network.layers[index].weight = try read("\(prefix).\(name).weight", shape: weightShape)
                network.layers[index].bias = try read("\(prefix).\(name).bias", shape: biasShape)
                optimizer.first.weights[index] = try read("adam.\(prefix).first.\(name).weight", shape: weightShape)
                optimizer.first.biases[index] = try read("adam.\(prefix).first.\(name).bias", shape: biasShape)
                optimizer.second.weights[index] = try read("adam.\(prefix).second.\(name).weight", shape: weightShape)
                optimizer.second.biases[index] = try read("adam.\(prefix).second.\(name).bias", shape: biasShape)
            }
            optimizer.step = step
        }
        var restored = policy, actorOptimizer = self.actorOptimizer, criticOptimizer = self.criticOptimizer
        try restoreNetwork(&restored.actor, &actorOptimizer, prefix: "actor", step: state.actorAdamStep)
        try restoreNetwork(&restored.critic, &criticOptimizer, prefix: "critic", step: state.criticAdamStep)
        if settings.normalizeObservations {
            guard let statistics = state.statistics, statistics.mean.count == environments[0].observationSize else {
                throw CheckpointError(path: path, reason: "its observation statistics do not match the observation size \(environments[0].observationSize)")
            }
            self.statistics = statistics
        }
        policy = restored
        self.actorOptimizer = actorOptimizer
        self.criticOptimizer = criticOptimizer
        environmentSteps = state.environmentSteps
        updates = state.updates
        episodes = state.episodes
        recentReturns = state.recentReturns
        stepsToThreshold = state.stepsToThreshold
        random = SeededRandom(seed: 0)
        random.state = state.randomState
        wallSeconds = state.wallSeconds
        for index in environments.indices {
            environments[index].reseed(seed &* 0x9E37_79B9 &+ UInt64(updates) &* 7_919 &+ UInt64(index))
            observations[index] = environments[index].reset()
            episodeReturns[index] = 0
        }
        return state
    }
}

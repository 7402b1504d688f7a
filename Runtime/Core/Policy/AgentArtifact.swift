import Foundation

/// Why an agent directory cannot be used.
public struct AgentLoadError: Error, CustomStringConvertible, Sendable {
    public var directory: String
    public var reason: String

    public init(directory: String, reason: String) {
        self.directory = directory
        self.reason = reason
    }

    public var description: String { "agent \(directory): \(reason)" }
}

/// An agent artifact: `agents/{SYMBOL}/{version}/policy.safetensors` (tensor names and shapes as PyTorch's
/// `nn.Linear` inside `nn.Sequential`: `actor.0.weight` [out, in], `actor.0.bias` [out], then `actor.2`,
/// `actor.4`; the same for `critic`) and `manifest.json`.
public struct AgentArtifact: Sendable {
    public var manifest: AgentManifest
    public var policy: ActorCritic

    public static let policyFile = "policy.safetensors"
    public static let manifestFile = "manifest.json"

    public init(manifest: AgentManifest, policy: ActorCritic) {
        self.manifest = manifest
        self.policy = policy
    }

    /// The tensors of a network in `nn.Sequential` numbering (linear layers at even indices).
    public static func tensors(_ network: MultilayerPerceptron, prefix: String) -> [String: SafeTensors.Tensor] {
        var tensors: [String: SafeTensors.Tensor] = [:]
        for (index, layer) in network.layers.enumerated() {
            tensors["\(prefix).\(index * 2).weight"] = SafeTensors.Tensor(shape: [layer.outputs, layer.inputs], values: layer.weight)
            tensors["\(prefix).\(index * 2).bias"] = SafeTensors.Tensor(shape: [layer.outputs], values: layer.bias)
        }
        return tensors
    }

    /// `policy.safetensors` bytes.
    public func policyData() throws -> Data {
        try SafeTensors.encode(Self.tensors(policy.actor, prefix: "actor").merging(Self.tensors(policy.critic, prefix: "critic")) { $1 },
                               metadata: ["format": "pt", "symbol": manifest.symbol, "version": manifest.version,
                                          "feature_spec_hash": manifest.featureSpecHash])
    }

    /// Decodes and checks an agent from the bytes of its two files (reading them is the adapters' job:
    /// `AgentFiles.load`). `source` names the agent in errors (its directory). With
    /// `expectedFeatureSpecHash`, an agent trained on other features is refused, naming both hashes.
    public static func decode(manifestData: Data, policyData: Data, source directory: String,
                              expectedFeatureSpecHash: String? = nil) throws -> AgentArtifact {
        func fail(_ reason: String) -> AgentLoadError { AgentLoadError(directory: directory, reason: reason) }
        let manifest: AgentManifest
        do {
            manifest = try AgentManifest.decode(manifestData)
        } catch {
            throw fail("\(manifestFile) is not a valid manifest: \(error)")
        }
        if let expected = expectedFeatureSpecHash, manifest.featureSpecHash != expected {
            throw fail("it was trained on feature spec \(manifest.featureSpecHash.prefix(16))…, but this build computes \(expected.prefix(16))… (full: \(manifest.featureSpecHash) vs \(expected)); retrain it or run the code version \(manifest.codeVersion)")
        }
        let tensors: [String: SafeTensors.Tensor]
        do {
            tensors = try SafeTensors.decode(policyData).tensors
        } catch {
            throw fail("\(policyFile) is corrupt: \(error)")
        }
        let architecture = manifest.architecture
        func network(_ prefix: String, outputs: Int) throws -> MultilayerPerceptron {
            let sizes = [architecture.observationSize] + architecture.hiddenLayers + [outputs]
            var layers: [DenseLayer] = []
            for index in 0..<(sizes.count - 1) {
                let name = "\(prefix).\(index * 2)"
                guard let weight = tensors[name + ".weight"], let bias = tensors[name + ".bias"] else {
                    throw fail("\(policyFile) lacks \(name).weight or \(name).bias")
                }
                guard weight.shape == [sizes[index + 1], sizes[index]], bias.shape == [sizes[index + 1]] else {
                    throw fail("\(name) has shape \(weight.shape), the manifest's architecture says [\(sizes[index + 1]), \(sizes[index])]")
                }
                guard weight.values.allSatisfy(\.isFinite), bias.values.allSatisfy(\.isFinite) else {
                    throw fail("\(name) holds NaN or infinite values")
                }
                layers.append(DenseLayer(inputs: sizes[index], outputs: sizes[index + 1], weight: weight.values, bias: bias.values))
            }
            return MultilayerPerceptron(layers: layers, activation: architecture.activation)
        }
        guard manifest.normalization.mean.count == architecture.observationSize,
              manifest.normalization.variance.count == architecture.observationSize
        else { throw fail("the normalisation statistics do not match the observation size \(architecture.observationSize)") }
        return AgentArtifact(manifest: manifest, policy: ActorCritic(actor: try network("actor", outputs: architecture.actionCount),
                                                                     critic: try network("critic", outputs: 1)))
    }

    /// The action probabilities and value for a raw (un-normalised) observation.
    public func evaluate(rawObservation: [Double]) -> (probabilities: [Float], value: Float) {
        let input = manifest.normalization.normalize(rawObservation)
        let (logits, values) = policy.evaluate(input, batch: 1)
        return (CategoricalDistribution(logits: logits[...]).probabilities, values[0])
    }
}

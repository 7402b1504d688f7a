import Foundation

/// The categorical distribution over actions given logits: probabilities by softmax, log-probabilities,
/// entropy, the most likely action and sampling.
public struct CategoricalDistribution: Sendable {
    public let logProbabilities: [Float]

    public init(logits: ArraySlice<Float>) {
        let maximum = logits.max() ?? 0
        let shifted = logits.map { $0 - maximum }
        let logSum = log(shifted.reduce(0) { $0 + exp($1) })
        logProbabilities = shifted.map { $0 - logSum }
    }

    public var probabilities: [Float] { logProbabilities.map { exp($0) } }
    public var entropy: Float { -zip(probabilities, logProbabilities).reduce(0) { $0 + $1.0 * $1.1 } }
    public var mode: Int { logProbabilities.indices.max { logProbabilities[$0] < logProbabilities[$1] }! }

    /// Draws an action with `unit` uniform in [0, 1).
    public func sample(unit: Double) -> Int {
        var cumulative = 0.0
        for (index, logProbability) in logProbabilities.enumerated() {
            cumulative += Double(exp(logProbability))
            if unit < cumulative { return index }
        }
        return logProbabilities.count - 1
    }
}

/// Separate actor and critic networks (SB3's default MLP policy): the actor gives action logits, the
/// critic a state value.
public struct ActorCritic: Sendable, Equatable {
    public var actor: MultilayerPerceptron
    public var critic: MultilayerPerceptron

    public init(actor: MultilayerPerceptron, critic: MultilayerPerceptron) {
        precondition(actor.inputSize == critic.inputSize && critic.outputSize == 1, "actor and critic must share the input; critic outputs one value")
        self.actor = actor
        self.critic = critic
    }

    public var observationSize: Int { actor.inputSize }
    public var actionCount: Int { actor.outputSize }

    /// Logits [batch × actions] and values [batch] for a batch of observations.
    public func evaluate(_ observations: [Float], batch: Int) -> (logits: [Float], values: [Float]) {
        (actor(observations, batch: batch), critic(observations, batch: batch))
    }

    /// The action distribution of one observation.
    public func distribution(_ observation: [Float]) -> CategoricalDistribution {
        CategoricalDistribution(logits: actor(observation, batch: 1)[...])
    }
}

/// Observation normalisation as SB3's VecNormalize: `clip((x − mean) / √(var + ε), ±clip)`, with the
/// statistics of the training run frozen into the agent.
public struct ObservationNormalizer: Sendable, Codable, Equatable {
    public var mean: [Double]
    public var variance: [Double]
    public var clip: Double
    public var epsilon: Double

    public init(mean: [Double], variance: [Double], clip: Double = 10, epsilon: Double = 1e-8) {
        self.mean = mean
        self.variance = variance
        self.clip = clip
        self.epsilon = epsilon
    }

    /// The identity (no normalisation) for `size` inputs.
    public static func identity(size: Int) -> ObservationNormalizer {
        ObservationNormalizer(mean: Array(repeating: 0, count: size), variance: Array(repeating: 1, count: size), clip: .infinity, epsilon: 0)
    }

    public func normalize(_ observation: [Double]) -> [Float] {
        observation.indices.map { index in
            let value = (observation[index] - mean[index]) / (variance[index] + epsilon).squareRoot()
            return Float(min(max(value, -clip), clip))
        }
    }
}

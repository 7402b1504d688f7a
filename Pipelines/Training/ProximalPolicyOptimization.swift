import Foundation
import Policy

/// PPO hyperparameters (SB3's defaults).
public struct PPOSettings: Sendable, Equatable {
    public var learningRate: Double = 3e-4
    public var annealLearningRate = false
    public var stepsPerEnvironment = 2_048
    public var minibatchSize = 64
    public var epochs = 10
    public var gamma = 0.99
    public var gaeLambda = 0.95
    public var clipRange = 0.2
    public var valueClipRange: Double? = nil
    public var entropyCoefficient = 0.0
    public var valueCoefficient = 0.5
    public var maximumGradientNorm = 0.5
    public var targetKL: Double? = nil
    public var adamEpsilon = 1e-5
    public var hiddenLayers = [64, 64]
    public var activation = Activation.tanh
    /// Normalise observations with running statistics (SB3's VecNormalize; off for CartPole's defaults).
    public var normalizeObservations = false

    public init() {}

    public var dictionary: [String: Double] {
        var values: [String: Double] = [
            "learning_rate": learningRate, "anneal_learning_rate": annealLearningRate ? 1 : 0,
            "steps_per_environment": Double(stepsPerEnvironment), "minibatch_size": Double(minibatchSize), "epochs": Double(epochs),
            "gamma": gamma, "gae_lambda": gaeLambda, "clip_range": clipRange, "entropy_coefficient": entropyCoefficient,
            "value_coefficient": valueCoefficient, "maximum_gradient_norm": maximumGradientNorm, "adam_epsilon": adamEpsilon,
            "normalize_observations": normalizeObservations ? 1 : 0,
        ]
        if let valueClipRange { values["value_clip_range"] = valueClipRange }
        if let targetKL { values["target_kl"] = targetKL }
        return values
    }
}

/// Generalised advantage estimation over a rollout of `steps` × `environments` (time-major). `episodeEnded[t]`
/// is true when the episode ended after step t — by a terminal state or by a time limit. A time-limit end
/// is bootstrapped before this is called: its reward already includes γ·V(final observation) (as SB3 does),
/// so here both kinds of end simply stop the recursion.
public enum AdvantageEstimation {
    public static func compute(rewards: [Double], values: [Double], episodeEnded: [Bool], lastValues: [Double],
                               steps: Int, environments: Int, gamma: Double, lambda: Double) -> (advantages: [Double], returns: [Double]) {
        var advantages = [Double](repeating: 0, count: rewards.count)
        var running = [Double](repeating: 0, count: environments)
        for step in stride(from: steps - 1, through: 0, by: -1) {
            for environment in 0..<environments {
                let index = step * environments + environment
                let next = step == steps - 1 ? lastValues[environment] : values[index + environments]
                let continues = episodeEnded[index] ? 0.0 : 1.0
                let delta = rewards[index] + gamma * next * continues - values[index]
                running[environment] = delta + gamma * lambda * continues * running[environment]
                advantages[index] = running[environment]
            }
        }
        return (advantages, zip(advantages, values).map(+))
    }
}

/// A minibatch for the PPO loss.
public struct PPOMinibatch {
    public var observations: [Float]
    public var actions: [Int]
    public var oldLogProbabilities: [Double]
    public var oldValues: [Double]
    public var advantages: [Double]
    public var returns: [Double]
    public var count: Int { actions.count }
}

/// The PPO loss of a minibatch and its gradients for actor and critic.
public struct PPOLossResult {
    public var policyLoss: Double
    public var valueLoss: Double
    public var entropy: Double
    public var approximateKL: Double
    public var clipFraction: Double
    public var actorGradient: NetworkGradient
    public var criticGradient: NetworkGradient
    public var total: Double
}

public enum PPOLoss {
    /// Clipped surrogate on log-probabilities stored at rollout time, value loss (optionally clipped as
    /// SB3 clips it), entropy bonus; advantages normalised within the minibatch (unbiased std + 1e-8).
    public static func evaluate(_ policy: ActorCritic, _ batch: PPOMinibatch, settings: PPOSettings) -> PPOLossResult {
        let count = batch.count, actions = policy.actionCount
        let actorActivations = policy.actor.forward(batch.observations, batch: count)
        let criticActivations = policy.critic.forward(batch.observations, batch: count)
        let logits = actorActivations.last!, values = criticActivations.last!
        let mean = batch.advantages.reduce(0, +) / Double(count)
        let variance = count > 1 ? batch.advantages.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count - 1) : 0
        let scale = 1 / (variance.squareRoot() + 1e-8)
        var logitGradient = [Float](repeating: 0, count: count * actions)
        var valueGradient = [Float](repeating: 0, count: count)
        var policyLoss = 0.0, valueLoss = 0.0, entropySum = 0.0, kl = 0.0, clipped = 0.0
        let clip = settings.clipRange, n = Double(count)
        for sample in 0..<count {
            let distribution = CategoricalDistribution(logits: logits[(sample * actions)..<((sample + 1) * actions)])
            let logProbabilities = distribution.logProbabilities.map(Double.init)
            let probabilities = logProbabilities.map { exp($0) }
            let action = batch.actions[sample]
            let logRatio = logProbabilities[action] - batch.oldLogProbabilities[sample]
            let ratio = exp(logRatio)
            let advantage = (batch.advantages[sample] - mean) * scale
            let unclipped = ratio * advantage, clippedRatio = min(max(ratio, 1 - clip), 1 + clip)
            policyLoss -= min(unclipped, clippedRatio * advantage) / n
            if abs(ratio - 1) > clip { clipped += 1 / n }
            kl += ((ratio - 1) - logRatio) / n
            // d(−min(r·A, clip(r)·A))/d logπ(a) = −A·r where the unclipped term is the active one.
            let unclippedActive = unclipped <= clippedRatio * advantage || (ratio > 1 - clip && ratio < 1 + clip)
            let logProbabilityGradient = unclippedActive ? -advantage * ratio / n : 0
            let entropy = -zip(probabilities, logProbabilities).reduce(0) { $0 + $1.0 * $1.1 }
            entropySum += entropy
            for k in 0..<actions {
                let indicator = k == action ? 1.0 : 0.0
                var gradient = logProbabilityGradient * (indicator - probabilities[k])
                // −c·H/n: dH/dz_k = −p_k(log p_k + H)
                gradient += settings.entropyCoefficient / n * probabilities[k] * (logProbabilities[k] + entropy)
                logitGradient[sample * actions + k] = Float(gradient)
            }
            var predicted = Double(values[sample])
            var valueFlows = true
            if let valueClip = settings.valueClipRange {
                let delta = predicted - batch.oldValues[sample]
                if abs(delta) > valueClip { valueFlows = false }
                predicted = batch.oldValues[sample] + min(max(delta, -valueClip), valueClip)
            }
            let error = predicted - batch.returns[sample]
            valueLoss += error * error / n
            valueGradient[sample] = valueFlows ? Float(settings.valueCoefficient * 2 * error / n) : 0
        }
        let entropy = entropySum / n
        return PPOLossResult(
            policyLoss: policyLoss, valueLoss: valueLoss, entropy: entropy, approximateKL: kl, clipFraction: clipped,
            actorGradient: policy.actor.backward(input: batch.observations, activations: actorActivations, outputGradient: logitGradient, batch: count),
            criticGradient: policy.critic.backward(input: batch.observations, activations: criticActivations, outputGradient: valueGradient, batch: count),
            total: policyLoss - settings.entropyCoefficient * entropy + settings.valueCoefficient * valueLoss)
    }
}

/// Running mean and variance of observations (Chan's parallel update, as SB3's RunningMeanStd).
public struct RunningMeanStd: Sendable, Equatable, Codable {
    public var mean: [Double]
    public var variance: [Double]
    public var count: Double

    public init(size: Int) {
        mean = Array(repeating: 0, count: size)
        variance = Array(repeating: 1, count: size)
        count = 1e-4
    }

    public mutating func update(batch: [[Double]]) {
        guard !batch.isEmpty else { return }
        let batchCount = Double(batch.count)
        for index in mean.indices {
            let batchMean = batch.reduce(0) { $0 + $1[index] } / batchCount
            let batchVariance = batch.reduce(0) { $0 + ($1[index] - batchMean) * ($1[index] - batchMean) } / batchCount
            let delta = batchMean - mean[index], total = count + batchCount
            let m2 = variance[index] * count + batchVariance * batchCount + delta * delta * count * batchCount / total
            mean[index] += delta * batchCount / total
            variance[index] = m2 / total
        }
        count += batchCount
    }

    /// The normaliser training uses and the agent freezes, with the variance floored: a feature (almost)
    /// constant in training (variance below ``constantVariance``) is centred but not scaled (variance 1),
    /// and any other variance is at least ``varianceFloor``, so a value the training never saw moves the
    /// input by about its own size instead of saturating at ±clip out of sample. Every feature is scaled
    /// to order 1 (percent, ±1 flags), so the floor (a standard deviation of 0.01) sits below the real spread
    /// of each feature in real data.
    public var normalizer: ObservationNormalizer {
        ObservationNormalizer(mean: mean, variance: variance.map { $0 < Self.constantVariance ? 1 : max($0, Self.varianceFloor) })
    }

    public static let constantVariance = 1e-6
    public static let varianceFloor = 1e-4
}

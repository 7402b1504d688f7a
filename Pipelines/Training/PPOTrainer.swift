import Foundation
import Policy

/// One update's figures, for the progress line and the JSON training log.
public struct TrainingProgress: Sendable, Codable {
    public var update: Int
    public var environmentSteps: Int
    public var stepsPerSecond: Double
    public var meanReturnLast100: Double?
    public var episodes: Int
    public var policyLoss: Double
    public var valueLoss: Double
    public var entropy: Double
    public var approximateKL: Double
    public var clipFraction: Double
    public var learningRate: Double
}

/// Why training stopped early.
public enum TrainingError: Error, CustomStringConvertible {
    case diverged(update: Int, detail: String)

    public var description: String {
        switch self {
        case let .diverged(update, detail): "training diverged at update \(update) (\(detail)); the last good checkpoint is kept"
        }
    }
}

/// PPO over N environments stepped together, one batched inference per step, seeded end to end: the
/// same seed (and one OpenBLAS thread) gives the same run.
public struct PPOTrainer<Environment: TrainingEnvironment> {
    public var settings: PPOSettings
    public var policy: ActorCritic
    public internal(set) var environments: [Environment]
    var actorOptimizer: AdamOptimizer
    var criticOptimizer: AdamOptimizer
    public var statistics: RunningMeanStd?
    var random: SeededRandom
    /// The run's seed (networks, sampling, minibatch order).
    public let seed: UInt64
    public internal(set) var environmentSteps = 0
    public internal(set) var updates = 0
    public internal(set) var recentReturns: [Double] = []
    public internal(set) var episodes = 0
    /// Wall-clock seconds spent training, across resumed sessions.
    public internal(set) var wallSeconds = 0.0
    /// Steps when the mean of the last 100 episode returns first reached a watched threshold.
    public var watchedThreshold: Double?
    public internal(set) var stepsToThreshold: Int?
    var observations: [[Double]]
    var episodeReturns: [Double]

    public init(settings: PPOSettings, environments: [Environment], seed: UInt64) {
        precondition(!environments.isEmpty, "at least one environment")
        self.settings = settings
        self.environments = environments
        self.seed = seed
        random = SeededRandom(seed: seed)
        let size = environments[0].observationSize, actions = environments[0].actionCount
        let actor = MultilayerPerceptron.orthogonal(sizes: [size] + settings.hiddenLayers + [actions], activation: settings.activation,
                                                    outputGain: 0.01, random: &random)
        let critic = MultilayerPerceptron.orthogonal(sizes: [size] + settings.hiddenLayers + [1], activation: settings.activation,
                                                     outputGain: 1, random: &random)
        policy = ActorCritic(actor: actor, critic: critic)
        actorOptimizer = AdamOptimizer(network: actor, learningRate: Float(settings.learningRate), epsilon: Float(settings.adamEpsilon))
        criticOptimizer = AdamOptimizer(network: critic, learningRate: Float(settings.learningRate), epsilon: Float(settings.adamEpsilon))
        statistics = settings.normalizeObservations ? RunningMeanStd(size: size) : nil
        observations = []
        episodeReturns = Array(repeating: 0, count: environments.count)
        for index in self.environments.indices { observations.append(self.environments[index].reset()) }
    }

    public var normalizer: ObservationNormalizer {
        statistics?.normalizer ?? .identity(size: environments[0].observationSize)
    }

    public var meanReturnLast100: Double? { recentReturns.isEmpty ? nil : recentReturns.reduce(0, +) / Double(recentReturns.count) }

    /// Trains until `totalSteps` environment steps; `onUpdate` sees every update (throw from it to stop).
    public mutating func train(totalSteps: Int, onUpdate: (TrainingProgress, Self) throws -> Void = { _, _ in }) throws {
        let started = Date()
        let stepsAtStart = environmentSteps, wallSecondsAtStart = wallSeconds
        while environmentSteps < totalSteps {
            let progressFraction = Double(environmentSteps) / Double(totalSteps)
            let learningRate = settings.annealLearningRate ? settings.learningRate * (1 - progressFraction) : settings.learningRate
            let rollout = collectRollout()
            let losses = try update(rollout, learningRate: learningRate)
            updates += 1
            let elapsed = max(Date().timeIntervalSince(started), 1e-9)
            wallSeconds = wallSecondsAtStart + elapsed
            try onUpdate(TrainingProgress(update: updates, environmentSteps: environmentSteps,
                                          stepsPerSecond: Double(environmentSteps - stepsAtStart) / elapsed,
                                          meanReturnLast100: meanReturnLast100, episodes: episodes, policyLoss: losses.policyLoss,
                                          valueLoss: losses.valueLoss, entropy: losses.entropy, approximateKL: losses.approximateKL,
                                          clipFraction: losses.clipFraction, learningRate: learningRate), self)
        }
    }

    struct Rollout {
        var observations: [Float] = []
        var actions: [Int] = []
        var logProbabilities: [Double] = []
        var values: [Double] = []
        var rewards: [Double] = []
        var episodeEnded: [Bool] = []
        var lastValues: [Double] = []
    }

    mutating func prepare(_ raw: [[Double]]) -> [Float] {
        if settings.normalizeObservations { statistics?.update(batch: raw) }
        let normalizer = self.normalizer
        return raw.flatMap { normalizer.normalize($0) }
    }

    mutating func collectRollout() -> Rollout {
        let count = environments.count, steps = settings.stepsPerEnvironment
        let size = environments[0].observationSize, actions = environments[0].actionCount
        var rollout = Rollout()
        rollout.observations.reserveCapacity(steps * count * size)
        var batch = prepare(observations)
        for _ in 0..<steps {
            let (logits, values) = policy.evaluate(batch, batch: count)
            rollout.observations += batch
            var finals: [(Int, [Double])] = []
            for environment in 0..<count {
                let distribution = CategoricalDistribution(logits: logits[(environment * actions)..<((environment + 1) * actions)])
                let action = distribution.sample(unit: random.unit())
                rollout.actions.append(action)
                rollout.logProbabilities.append(Double(distribution.logProbabilities[action]))
                rollout.values.append(Double(values[environment]))
                let result = environments[environment].step(action)
                episodeReturns[environment] += result.reward
                rollout.rewards.append(result.reward)
                rollout.episodeEnded.append(result.terminated || result.truncated)
                if result.terminated || result.truncated {
                    if result.truncated { finals.append((rollout.rewards.count - 1, result.observation)) }
                    recordEpisode(episodeReturns[environment])
                    episodeReturns[environment] = 0
                    observations[environment] = environments[environment].reset()
                } else {
                    observations[environment] = result.observation
                }
            }
            // A time limit is not a terminal state: bootstrap from the value of the final observation.
            if !finals.isEmpty {
                let finalInputs = finals.flatMap { normalizer.normalize($0.1) }
                let finalValues = policy.critic(finalInputs, batch: finals.count)
                for (slot, final) in finals.enumerated() { rollout.rewards[final.0] += settings.gamma * Double(finalValues[slot]) }
            }
            environmentSteps += count
            batch = prepare(observations)
        }
        rollout.lastValues = policy.critic(batch, batch: count).map(Double.init)
        return rollout
    }

    mutating func recordEpisode(_ value: Double) {
        episodes += 1
        recentReturns.append(value)
        if recentReturns.count > 100 { recentReturns.removeFirst() }
        if let threshold = watchedThreshold, stepsToThreshold == nil, recentReturns.count == 100, (meanReturnLast100 ?? 0) >= threshold {
            stepsToThreshold = environmentSteps + 1
        }
    }

    mutating func update(_ rollout: Rollout, learningRate: Double) throws -> PPOLossResult {
        let count = environments.count, size = environments[0].observationSize
        let (advantages, returns) = AdvantageEstimation.compute(
            rewards: rollout.rewards, values: rollout.values, episodeEnded: rollout.episodeEnded, lastValues: rollout.lastValues,
            steps: settings.stepsPerEnvironment, environments: count, gamma: settings.gamma, lambda: settings.gaeLambda)
        actorOptimizer.learningRate = Float(learningRate)
        criticOptimizer.learningRate = Float(learningRate)
        let total = rollout.actions.count
        var indices = Array(0..<total)
        var last: PPOLossResult?
        epochs: for _ in 0..<settings.epochs {
            indices.shuffle(using: &random)
            var start = 0
            while start < total {
                let chosen = indices[start..<min(start + settings.minibatchSize, total)]
                start += settings.minibatchSize
                var observations = [Float]()
                observations.reserveCapacity(chosen.count * size)
                for index in chosen { observations += rollout.observations[(index * size)..<((index + 1) * size)] }
                let batch = PPOMinibatch(observations: observations, actions: chosen.map { rollout.actions[$0] },
                                         oldLogProbabilities: chosen.map { rollout.logProbabilities[$0] },
                                         oldValues: chosen.map { rollout.values[$0] }, advantages: chosen.map { advantages[$0] },
                                         returns: chosen.map { returns[$0] })
                var result = PPOLoss.evaluate(policy, batch, settings: settings)
                guard result.total.isFinite, result.actorGradient.allFinite, result.criticGradient.allFinite else {
                    throw TrainingError.diverged(update: updates + 1, detail: "loss \(result.total)")
                }
                if let target = settings.targetKL, result.approximateKL > 1.5 * target {
                    last = result
                    break epochs
                }
                // One global gradient-norm clip over actor and critic.
                let norm = (result.actorGradient.squaredNorm + result.criticGradient.squaredNorm).squareRoot()
                let clip = Float(settings.maximumGradientNorm) / (norm + 1e-6)
                if clip < 1 {
                    result.actorGradient.scale(by: clip)
                    result.criticGradient.scale(by: clip)
                }
                actorOptimizer.apply(result.actorGradient, to: &policy.actor)
                criticOptimizer.apply(result.criticGradient, to: &policy.critic)
                last = result
            }
        }
        return last!
    }
}

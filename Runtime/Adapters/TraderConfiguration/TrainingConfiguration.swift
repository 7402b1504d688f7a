/// `ml/training.yaml`: PPO hyperparameters, budget, seeds and the walk-forward split.
public struct TrainingConfiguration: Sendable, Codable, Equatable {
    public var ppo: PPOHyperparameters
    public var network: NetworkShape
    /// Environment steps per symbol and run.
    public var timesteps: Int
    /// Environments stepped together per worker.
    public var environments: Int
    public var seeds: [Int]
    /// Bars per training episode.
    public var episodeBars: Int
    /// A checkpoint is written after every this many PPO updates (and at the end).
    public var checkpointEveryUpdates: Int
    public var walkForward: WalkForwardSplit
    public var evaluation: EvaluationSettings
    public var promotion: PromotionSettings

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ppo, network, timesteps, environments, seeds, evaluation, promotion
        case episodeBars = "episode_bars"
        case checkpointEveryUpdates = "checkpoint_every_updates"
        case walkForward = "walk_forward"
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        ppo = fields.value(.ppo, or: PPOHyperparameters())
        network = fields.value(.network, or: NetworkShape())
        timesteps = fields.integer(.timesteps, or: 200_000, within: 1_000...1_000_000_000)
        environments = fields.integer(.environments, or: 8, within: 1...256)
        seeds = fields.value(.seeds, or: [0])
        fields.check(!seeds.isEmpty, .seeds, value: "[]", "list at least one seed")
        episodeBars = fields.integer(.episodeBars, or: 2_048, within: 16...1_000_000)
        checkpointEveryUpdates = fields.integer(.checkpointEveryUpdates, or: 5, within: 1...100_000)
        walkForward = fields.value(.walkForward, or: WalkForwardSplit())
        evaluation = fields.value(.evaluation, or: EvaluationSettings())
        promotion = fields.value(.promotion, or: PromotionSettings())
    }
}

/// The `ppo:` block; defaults are stable-baselines3's.
public struct PPOHyperparameters: Sendable, Codable, Equatable {
    public var learningRate: Double
    public var annealLearningRate: Bool
    /// Rollout length per environment before each update (SB3 `n_steps`).
    public var stepsPerEnvironment: Int
    public var minibatchSize: Int
    public var epochs: Int
    public var gamma: Double
    public var gaeLambda: Double
    public var clipRange: Double
    /// Clip range of the value loss; nil disables value clipping.
    public var valueClipRange: Double?
    public var entropyCoefficient: Double
    public var valueCoefficient: Double
    public var maximumGradientNorm: Double
    /// Stop the epochs of an update early when the approximate KL exceeds 1.5 × this; nil disables.
    public var targetKL: Double?
    public var adamEpsilon: Double
    /// Normalise observations by running mean and variance, frozen into the agent (the trading environment;
    /// the CartPole reference run never normalises, as SB3's default).
    public var normalizeObservations: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case learningRate = "learning_rate"
        case annealLearningRate = "anneal_learning_rate"
        case stepsPerEnvironment = "steps_per_environment"
        case minibatchSize = "minibatch_size"
        case epochs, gamma
        case gaeLambda = "gae_lambda"
        case clipRange = "clip_range"
        case valueClipRange = "value_clip_range"
        case entropyCoefficient = "entropy_coefficient"
        case valueCoefficient = "value_coefficient"
        case maximumGradientNorm = "maximum_gradient_norm"
        case targetKL = "target_kl"
        case adamEpsilon = "adam_epsilon"
        case normalizeObservations = "normalize_observations"
    }

    init() {
        learningRate = 3e-4
        annealLearningRate = false
        stepsPerEnvironment = 2_048
        minibatchSize = 64
        epochs = 10
        gamma = 0.99
        gaeLambda = 0.95
        clipRange = 0.2
        valueClipRange = nil
        entropyCoefficient = 0
        valueCoefficient = 0.5
        maximumGradientNorm = 0.5
        targetKL = nil
        adamEpsilon = 1e-5
        normalizeObservations = true
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        learningRate = fields.number(.learningRate, or: 3e-4, within: 1e-7...1)
        annealLearningRate = fields.value(.annealLearningRate, or: false)
        stepsPerEnvironment = fields.integer(.stepsPerEnvironment, or: 2_048, within: 8...1_000_000)
        minibatchSize = fields.integer(.minibatchSize, or: 64, within: 2...1_000_000)
        epochs = fields.integer(.epochs, or: 10, within: 1...1_000)
        gamma = fields.number(.gamma, or: 0.99, within: 0...1)
        gaeLambda = fields.number(.gaeLambda, or: 0.95, within: 0...1)
        clipRange = fields.number(.clipRange, or: 0.2, within: 0.01...1)
        valueClipRange = fields.optional(.valueClipRange)
        if let valueClipRange {
            fields.check(valueClipRange > 0, .valueClipRange, value: valueClipRange, "must be > 0, or null to disable")
        }
        entropyCoefficient = fields.number(.entropyCoefficient, or: 0, within: 0...1)
        valueCoefficient = fields.number(.valueCoefficient, or: 0.5, within: 0...10)
        maximumGradientNorm = fields.number(.maximumGradientNorm, or: 0.5, within: 0.001...1_000)
        targetKL = fields.optional(.targetKL)
        if let targetKL { fields.check(targetKL > 0, .targetKL, value: targetKL, "must be > 0, or null to disable") }
        adamEpsilon = fields.number(.adamEpsilon, or: 1e-5, within: 1e-12...1)
        normalizeObservations = fields.value(.normalizeObservations, or: true)
    }
}

/// The `network:` block: actor and critic are separate MLPs of this shape.
public struct NetworkShape: Sendable, Codable, Equatable {
    public enum Activation: String, ConfigEnumeration { case tanh, relu }

    public var hiddenLayers: [Int]
    public var activation: Activation

    enum CodingKeys: String, CodingKey, CaseIterable {
        case hiddenLayers = "hidden_layers"
        case activation
    }

    init() {
        hiddenLayers = [64, 64]
        activation = .tanh
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        hiddenLayers = fields.value(.hiddenLayers, or: [64, 64])
        fields.check(!hiddenLayers.isEmpty && hiddenLayers.allSatisfy { (1...4_096).contains($0) }, .hiddenLayers,
                     value: hiddenLayers, "give 1 or more layer widths between 1 and 4096")
        activation = fields.value(.activation, or: .tanh)
    }
}

/// The `walk_forward:` block: which part of the history is held out for evaluation.
public struct WalkForwardSplit: Sendable, Codable, Equatable {
    /// Fraction of the bars at the end of the history never trained on.
    public var heldOutFraction: Double
    /// Number of consecutive out-of-sample windows the held-out part is cut into.
    public var windows: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case heldOutFraction = "held_out_fraction"
        case windows
    }

    init() {
        heldOutFraction = 0.2
        windows = 1
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        heldOutFraction = fields.number(.heldOutFraction, or: 0.2, within: 0.05...0.8)
        windows = fields.integer(.windows, or: 1, within: 1...52)
    }
}

import Crypto
import Features
import Foundation
import Storage
import MarketModel
import Policy
import TraderConfiguration
import Training
import TradingEngine

/// What `pipeline train` can train on.
enum TrainingEnvironmentKind: String, CaseIterable, Codable {
    case trading, cartpole
}

/// One run: a symbol (or CartPole) and a seed, trained in one worker process.
struct TrainingJob: Codable, Sendable {
    var symbol: String
    var environment: TrainingEnvironmentKind
    var seed: UInt64
    var timesteps: Int
    var environments: Int
    var resume: Bool

    var label: String { "\(symbol) s\(seed)" }
    static let cartPoleSymbol = "CARTPOLE"
}

/// The final JSON line of a run.
struct TrainingSummary: Codable, Sendable {
    var symbol: String
    var seed: UInt64
    var environment: String
    var version: String
    var envSteps: Int
    var updates: Int
    var wallS: Double
    var stepsPerS: Double
    var meanReturnLast100: Double?
    var stepsToMean100_475: Int?
    var resumedFromUpdate: Int?
    var peakRssMb: Double
    var artifact: String

    enum CodingKeys: String, CodingKey {
        case symbol, seed, environment, version, updates, artifact
        case envSteps = "env_steps", wallS = "wall_s", stepsPerS = "steps_per_s", meanReturnLast100 = "mean_return_last100"
        case stepsToMean100_475 = "steps_to_mean100_475", resumedFromUpdate = "resumed_from_update", peakRssMb = "peak_rss_mb"
    }

    /// Writes `mean_return_last100` always and, for CartPole, `steps_to_mean100_475` always (null when
    /// not reached or no episode ended), so a reader never mistakes a missing key for a format change.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(symbol, forKey: .symbol)
        try container.encode(seed, forKey: .seed)
        try container.encode(environment, forKey: .environment)
        try container.encode(version, forKey: .version)
        try container.encode(envSteps, forKey: .envSteps)
        try container.encode(updates, forKey: .updates)
        try container.encode(wallS, forKey: .wallS)
        try container.encode(stepsPerS, forKey: .stepsPerS)
        try container.encode(meanReturnLast100, forKey: .meanReturnLast100)
        if environment == TrainingEnvironmentKind.cartpole.rawValue { try container.encode(stepsToMean100_475, forKey: .stepsToMean100_475) }
        try container.encodeIfPresent(resumedFromUpdate, forKey: .resumedFromUpdate)
        try container.encode(peakRssMb, forKey: .peakRssMb)
        try container.encode(artifact, forKey: .artifact)
    }
}

/// Runs one training job to an agent artifact: loads the data, builds the environments and the trainer,
/// resumes from a checkpoint when asked, logs every update (terminal and JSON lines), checkpoints
/// periodically and writes `agents/{SYMBOL}/{version}/` at the end.
struct TrainingSession {
    let configuration: PipelineConfiguration
    let job: TrainingJob
    /// Where the funding settlements the tensor's features were built with are read (at their own times).
    var store: (any Store)? = nil
    let output: (String) -> Void

    var settings: PPOSettings {
        let ppo = configuration.training.ppo
        var settings = PPOSettings()
        settings.learningRate = ppo.learningRate
        settings.annealLearningRate = ppo.annealLearningRate
        settings.stepsPerEnvironment = ppo.stepsPerEnvironment
        settings.minibatchSize = ppo.minibatchSize
        settings.epochs = ppo.epochs
        settings.gamma = ppo.gamma
        settings.gaeLambda = ppo.gaeLambda
        settings.clipRange = ppo.clipRange
        settings.valueClipRange = ppo.valueClipRange
        settings.entropyCoefficient = ppo.entropyCoefficient
        settings.valueCoefficient = ppo.valueCoefficient
        settings.maximumGradientNorm = ppo.maximumGradientNorm
        settings.targetKL = ppo.targetKL
        settings.adamEpsilon = ppo.adamEpsilon
        settings.hiddenLayers = configuration.training.network.hiddenLayers
        settings.activation = Activation(rawValue: configuration.training.network.activation.rawValue) ?? .tanh
        settings.normalizeObservations = job.environment == .trading && ppo.normalizeObservations
        return settings
    }

    var trainingDirectory: String { "\(configuration.paths.agents)/\(job.symbol)/.training" }
    var checkpointPath: String { "\(trainingDirectory)/s\(job.seed).checkpoint.safetensors" }

    func run() throws -> TrainingSummary {
        switch job.environment {
        case .cartpole:
            let environments = (0..<job.environments).map { CartPole(seed: job.seed &* 1_000 &+ UInt64($0)) }
            let description = RunDescription(
                featureSpecHash: "none (CartPole-v1)", featureNames: ["cart_position", "cart_velocity", "pole_angle", "pole_angular_velocity"],
                positionFeatures: [], actionMeanings: ["push_left", "push_right"], dataset: nil, extra: [:])
            return try train(environments, description: description)
        case .trading:
            let symbol = Symbol(job.symbol)!
            guard let parameters = configuration.engineParameters(for: symbol) else {
                throw TrainingDataError(description: "\(symbol): not in trading/symbols.yaml")
            }
            let spec = FeatureSpec.standard
            let path = "\(configuration.paths.datasets)/\(symbol.name)/features-\(spec.shortHash).h5"
            if !FileManager.default.fileExists(atPath: path) {
                let others = ((try? FileManager.default.contentsOfDirectory(atPath: "\(configuration.paths.datasets)/\(symbol.name)")) ?? [])
                    .filter { $0.hasPrefix("features-") && $0.hasSuffix(".h5") }.sorted()
                let hint = others.isEmpty ? "" : " (found \(others.joined(separator: ", ")), built with another feature spec)"
                throw TrainingDataError(description: "\(path): no feature tensor for feature spec \(spec.shortHash)\(hint); run `pipeline align --symbols \(symbol)` first")
            }
            var dataset = try TrainingDataset.load(
                path: path, spec: spec, tradingTimeframe: configuration.symbols.tradingTimeframe,
                stopTimeframe: configuration.risk.atr.timeframe, confirmationTimeframes: configuration.symbols.confirmationTimeframes)
            if let store, dataset.metadata.lastFundingTime > 0 {
                // The settlements the features knew (none after the tensor's newest), over the training rows.
                dataset.rows.settlements = try store.fundingRates(
                    symbol: symbol, from: dataset.trainingRange.firstOpenTime,
                    to: min(dataset.trainingRange.lastOpenTime + 60_000, dataset.metadata.lastFundingTime))
            }
            let episodeBars = min(configuration.training.episodeBars, dataset.rows.count / 2)
            guard episodeBars >= 16 else {
                throw TrainingDataError(description: "\(path): \(dataset.rows.count) training rows are too few for episodes")
            }
            let capital = configuration.capitalPerSymbol
            let rewards = configuration.rewards
            let weights = RewardWeights(equityChange: rewards.equityChange, drawdownPenalty: rewards.drawdownPenalty,
                                        tradePenalty: rewards.tradePenalty, holdingPenalty: rewards.holdingPenalty)
            let environments = (0..<job.environments).map {
                TradingEnvironment(rows: dataset.rows, parameters: parameters, rewards: weights, capital: capital, episodeBars: episodeBars,
                                   confirmation: configuration.confirmationRules, seed: job.seed &* 1_000 &+ UInt64($0))
            }
            output("\(job.label): \(dataset.trainingRange.rowCount) training rows \(UTCTime.format(dataset.trainingRange.firstOpenTime)) → \(UTCTime.format(dataset.trainingRange.lastOpenTime)), held out: \(dataset.heldOutRange.map { "\($0.rowCount) rows from \(UTCTime.format($0.firstOpenTime))" } ?? "none"); episodes of \(episodeBars) bars, capital \(String(format: "%.2f", capital)) USDT")
            let description = RunDescription(
                featureSpecHash: spec.hash, featureNames: dataset.metadata.featureNames, positionFeatures: TradingEnvironment.positionFeatures,
                actionMeanings: AgentAction.allCases.map { "\($0)" }, dataset: dataset,
                extra: ["episode_bars": Double(episodeBars), "capital": capital, "reward_equity_change": weights.equityChange,
                        "reward_drawdown_penalty": weights.drawdownPenalty, "reward_trade_penalty": weights.tradePenalty,
                        "reward_holding_penalty": weights.holdingPenalty, "risk_per_trade": parameters.risk.riskPerTrade])
            return try train(environments, description: description)
        }
    }

    /// What the manifest records beyond the trainer's state.
    struct RunDescription {
        var featureSpecHash: String
        var featureNames: [String]
        var positionFeatures: [String]
        var actionMeanings: [String]
        var dataset: TrainingDataset?
        var extra: [String: Double]
    }

    func fingerprint(_ settings: PPOSettings, _ description: RunDescription) -> String {
        var parts = ["env=\(job.environment.rawValue)", "symbol=\(job.symbol)", "seed=\(job.seed)", "envs=\(job.environments)",
                     "spec=\(description.featureSpecHash)", "data=\(description.dataset?.sha256 ?? "-")",
                     "layers=\(settings.hiddenLayers)", "activation=\(settings.activation.rawValue)"]
        parts += settings.dictionary.merging(description.extra) { $1 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return SHA256.hash(data: Data(parts.joined(separator: "\n").utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

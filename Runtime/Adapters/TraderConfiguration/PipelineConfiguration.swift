import Foundation
import MarketModel

/// What the offline pipeline needs: the trading configuration plus `ml/training.yaml` (PPO, budget, the
/// walk-forward split, evaluation and promotion) and `ml/rewards.yaml`. The trading part's fields are
/// read through it directly (`configuration.symbols`).
@dynamicMemberLookup
public struct PipelineConfiguration: Sendable {
    public var trading: TradingConfiguration
    public var training: TrainingConfiguration
    public var rewards: RewardsConfiguration

    /// The files it reads, relative to the directory, in the order they are reported.
    public static let files = TradingConfiguration.files + ["ml/training.yaml", "ml/rewards.yaml"]

    public subscript<Value>(dynamicMember keyPath: KeyPath<TradingConfiguration, Value>) -> Value { trading[keyPath: keyPath] }

    /// Loads and validates `directory` (every problem of every file at once); see `TradingConfiguration.load`.
    public static func load(directory: String, environment: [String: String]) throws(ConfigurationError) -> PipelineConfiguration {
        var loader = try ConfigurationLoader(directory: directory)
        let trading = TradingConfiguration.read(&loader, environment: environment)
        let training: TrainingConfiguration? = loader.decodeFile("ml/training.yaml")
        let rewards: RewardsConfiguration? = loader.decodeFile("ml/rewards.yaml")
        try loader.finish()
        return PipelineConfiguration(trading: trading!, training: training!, rewards: rewards!)
    }

    /// The effective configuration as YAML, every secret redacted: what `pipeline config check` prints.
    public func redactedDescription() -> String {
        (["# configuration directory: \(trading.directory)"] + trading.redactedSections + [
            ConfigurationLoader.section("ml/training.yaml", training), ConfigurationLoader.section("ml/rewards.yaml", rewards),
            "# environment (and .env)\n" + trading.environment.description, "# database: \(trading.database)",
        ]).joined(separator: "\n")
    }
}

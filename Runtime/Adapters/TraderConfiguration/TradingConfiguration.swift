import Foundation
import MarketModel

/// What a process that trades needs: `trading/*` and `system/*` of a configuration directory plus the
/// environment. The live trader loads only this, so it runs without the `ml/` files; the pipeline
/// loads `PipelineConfiguration`, which adds them. Every problem of every file is reported together.
public struct TradingConfiguration: Sendable {
    /// The directory the files were read from.
    public var directory: String
    public var symbols: SymbolsConfiguration
    public var risk: RiskConfiguration
    public var execution: ExecutionConfiguration
    public var runtime: RuntimeConfiguration
    public var paths: PathsConfiguration
    public var logging: LoggingConfiguration
    public var environment: EnvironmentSettings

    /// The files it reads, relative to the directory, in the order they are reported.
    public static let files = ["trading/symbols.yaml", "trading/risk.yaml", "trading/execution.yaml", "trading/runtime.yaml",
                               "system/paths.yaml", "system/logging.yaml"]

    /// The environment variable that names the configuration directory when `--config` is not given.
    public static let directoryVariable = ConfigurationLoader.directoryVariable

    /// The database this configuration points at.
    public var database: DatabaseLocation { environment.databaseLocation(defaultSQLitePath: paths.sqliteDatabase) }

    /// Loads and validates `directory`. `environment` is the process environment (tests pass their own);
    /// it is merged over `directory/.env` when that file exists.
    public static func load(directory: String, environment: [String: String]) throws(ConfigurationError) -> TradingConfiguration {
        var loader = try ConfigurationLoader(directory: directory)
        let configuration = read(&loader, environment: environment)
        try loader.finish()
        return configuration!
    }

    /// Reads the trading part into `loader`, which collects the problems; nil when there are any.
    static func read(_ loader: inout ConfigurationLoader, environment: [String: String]) -> TradingConfiguration? {
        let symbols: SymbolsConfiguration? = loader.decodeFile("trading/symbols.yaml")
        let risk: RiskConfiguration? = loader.decodeFile("trading/risk.yaml")
        let execution: ExecutionConfiguration? = loader.decodeFile("trading/execution.yaml")
        let runtime: RuntimeConfiguration? = loader.decodeFile("trading/runtime.yaml")
        let paths: PathsConfiguration? = loader.decodeFile("system/paths.yaml")
        let logging: LoggingConfiguration? = loader.decodeFile("system/logging.yaml")
        let settings = loader.environmentSettings(environment)
        guard let symbols, let risk, let execution, let runtime, let paths, let logging else { return nil }
        return TradingConfiguration(directory: loader.directory, symbols: symbols, risk: risk, execution: execution, runtime: runtime,
                                    paths: paths, logging: logging, environment: settings)
    }

    /// The directory chosen by `--config` (when given), else `TRADER_CONFIG`, else `config`.
    public static func directory(option: String?, environment: [String: String]) -> String {
        ConfigurationLoader.directory(option: option, environment: environment)
    }

    /// The printed sections of these files, every secret redacted.
    var redactedSections: [String] {
        [ConfigurationLoader.section("trading/symbols.yaml", symbols), ConfigurationLoader.section("trading/risk.yaml", risk),
         ConfigurationLoader.section("trading/execution.yaml", execution), ConfigurationLoader.section("trading/runtime.yaml", runtime),
         ConfigurationLoader.section("system/paths.yaml", paths),
         ConfigurationLoader.section("system/logging.yaml", logging)]
    }

    /// The effective configuration as YAML, every secret redacted.
    public func redactedDescription() -> String {
        (["# configuration directory: \(directory)"] + redactedSections + [
            "# environment (and .env)\n" + environment.description, "# database: \(database)",
        ]).joined(separator: "\n")
    }
}

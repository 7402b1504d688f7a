import ArgumentParser
import BuildInfo
import Foundation
import LogOutput
import Logging
import MarketModel
import Storage
import TraderConfiguration
import TraderRuntime

/// `trader`: the live runtime of the trading system. Paper trading by default.
@main
struct TraderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trader",
        abstract: "The live trader: streams BitGet market data, runs each symbol's promoted agent through the risk manager, and trades (on paper unless live trading is enabled three times over).",
        discussion: """
            trader run starts the services (market feed, decisions, agent reloads, operator requests, the \
            live-Sharpe retrain trigger, /metrics and /health) and stops gracefully on SIGTERM or SIGINT. \
            trader status prints what the store holds without starting anything; trader halt, resume, pause \
            and unpause queue an operator request that the running trader (or the next one) carries out; \
            trader reconcile --dry-run compares the store with the BitGet account.
            Every command takes --config DIR (default: $TRADER_CONFIG, else config/); the database is DB_URL \
            (default: the SQLite file of system/paths.yaml).
            """,
        version: BuildInfo.codeVersion(environment: ProcessInfo.processInfo.environment),
        subcommands: [RunCommand.self, StatusCommand.self, ResumeCommand.self, HaltCommand.self, PauseCommand.self, UnpauseCommand.self,
                      ReconcileCommand.self])
}

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("Configuration directory (default: $TRADER_CONFIG, else config/).", valueName: "DIR"))
    var configDirectory: String?

    @Flag(name: .customLong("live"), help: "The live account's records (default: paper).") var liveAccount = false
    @Flag(help: "With --live: BitGet's demo trading account (demo API keys, the paptrading header), kept apart from the real one.")
    var demoTrading = false
    /// The account whose records the command reads or writes: paper, demo (BitGet's demo account) or live (real money).
    var mode: String { liveAccount ? (demoTrading ? "demo" : "live") : "paper" }

    func validate() throws {
        if demoTrading, !liveAccount { throw ValidationError("--demo-trading needs --live (it is BitGet's demo account, traded as a live one)") }
    }
}

/// The configuration and the store, loaded once per command.
struct TraderContext {
    let configuration: TradingConfiguration
    let logger: Logger

    /// Loads and validates the configuration (every problem at once, exit 78) and starts logging.
    static func load(_ options: CommonOptions, label: String) throws -> TraderContext {
        let environment = ProcessInfo.processInfo.environment
        let directory = TradingConfiguration.directory(option: options.configDirectory, environment: environment)
        let configuration: TradingConfiguration
        do {
            configuration = try TradingConfiguration.load(directory: directory, environment: environment)
        } catch {
            printError(error.description)
            throw ExitCode(78)  // EX_CONFIG
        }
        LogOutput.bootstrap(configuration.logOptions)
        return TraderContext(configuration: configuration, logger: Logger(label: label))
    }

    /// Opens the configured database; an unreachable one, or one whose schema is not the code's, is
    /// refused with what to do.
    func openStore() throws -> any Store {
        let location = configuration.database
        do {
            switch location {
            case let .sqlite(path):
                return try StoreFactory.open(sqlitePath: path, postgresURL: nil, displayLocation: location.description,
                                             migrationsDirectory: configuration.paths.migrations, requireCurrentSchema: true).0
            case let .postgresql(url):
                return try StoreFactory.open(sqlitePath: nil, postgresURL: url.revealed, displayLocation: location.description,
                                             migrationsDirectory: configuration.paths.migrations, requireCurrentSchema: true).0
            }
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

import Synchronization
import ArgumentParser
import TraderConfiguration
import Foundation
import LogOutput
import Logging
import Storage

/// What a command needs, built once: the validated configuration, logging, and (on demand) the store.
struct CommandContext {
    let configuration: PipelineConfiguration
    let logger: Logger

    /// Loads the configuration (printing every problem and exiting with status 78 when it is invalid)
    /// and starts logging.
    static func load(_ options: GlobalOptions, label: String) throws -> CommandContext {
        let environment = ProcessInfo.processInfo.environment
        let directory = TradingConfiguration.directory(option: options.configDirectory, environment: environment)
        let configuration: PipelineConfiguration
        do {
            configuration = try PipelineConfiguration.load(directory: directory, environment: environment)
        } catch {
            printError(error.description)
            throw ExitCode(78)  // EX_CONFIG
        }
        LoggingBootstrap.once(configuration)
        if environment["TRADER_PARENT_WATCH"] == "1" { ParentWatch.start() }
        return CommandContext(configuration: configuration, logger: Logger(label: label))
    }

    /// Opens the configured database; every command but `init-db` requires the schema to be current.
    func openStore(requireCurrentSchema: Bool = true) throws -> (any Store, [Migration]) {
        let location = configuration.database
        do {
            switch location {
            case let .sqlite(path):
                return try StoreFactory.open(sqlitePath: path, postgresURL: nil, displayLocation: location.description,
                                             migrationsDirectory: configuration.paths.migrations,
                                             requireCurrentSchema: requireCurrentSchema)
            case let .postgresql(url):
                return try StoreFactory.open(sqlitePath: nil, postgresURL: url.revealed, displayLocation: location.description,
                                             migrationsDirectory: configuration.paths.migrations,
                                             requireCurrentSchema: requireCurrentSchema)
            }
        } catch let error as StoreError {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}

/// swift-log may be bootstrapped once per process.
enum LoggingBootstrap {
    private static let done = Mutex(false)

    static func once(_ configuration: PipelineConfiguration) {
        done.withLock { done in
            guard !done else { return }
            done = true
            LogOutput.bootstrap(configuration.trading.logOptions)
        }
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

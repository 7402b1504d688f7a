import Foundation
import Logging
import TraderConfiguration

/// A swift-log handler that writes each record to its destinations, as text or JSON per destination,
/// with every configured secret scrubbed from the line.
public struct StructuredLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let outputs: [(LogRecordFormatter, any LogDestination)]

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let record = LogRecord(time: Date().timeIntervalSince1970, level: event.level, label: label,
                               message: event.message.description, metadata: merged)
        for (formatter, destination) in outputs {
            destination.write(formatter.format(record), time: record.time)
        }
    }
}

/// Sets up swift-log from `system/logging.yaml`: console (text on a terminal, JSON otherwise, unless
/// forced) and optionally a daily-rotated file under the logs directory.
public enum LogOutput {
    /// The handler factory for `configuration`; `secrets` are scrubbed from every line.
    public static func makeHandlerFactory(
        configuration: LoggingConfiguration, logsDirectory: String, secrets: [String],
        standardErrorIsTerminal: Bool = isatty(2) == 1
    ) -> @Sendable (String) -> any LogHandler {
        var outputs: [(LogRecordFormatter, any LogDestination)] = []
        if configuration.console.enabled {
            let style: LogRecordFormatter.Style = switch configuration.console.format {
            case .text: .text
            case .json: .json
            case .auto: standardErrorIsTerminal ? .text : .json
            }
            outputs.append((LogRecordFormatter(style: style, secrets: secrets), StandardErrorDestination()))
        }
        if configuration.file.enabled {
            let file = RotatingFileDestination(
                directory: logsDirectory, prefix: configuration.file.prefix,
                daily: configuration.file.rotation == .daily, retainDays: configuration.file.retainDays)
            outputs.append((LogRecordFormatter(style: configuration.file.format == .text ? .text : .json, secrets: secrets), file))
        }
        let level = Logger.Level(rawValue: configuration.level.rawValue) ?? .info
        let frozen = outputs.map { SendableOutput(formatter: $0.0, destination: $0.1) }
        return { label in
            StructuredLogHandler(logLevel: level, label: label, outputs: frozen.map { ($0.formatter, $0.destination) })
        }
    }

    /// Bootstraps the process-wide logging system once.
    public static func bootstrap(configuration: LoggingConfiguration, logsDirectory: String, secrets: [String]) {
        let factory = makeHandlerFactory(configuration: configuration, logsDirectory: logsDirectory, secrets: secrets)
        LoggingSystem.bootstrap(factory)
    }
}

private struct SendableOutput: Sendable {
    var formatter: LogRecordFormatter
    var destination: any LogDestination
}

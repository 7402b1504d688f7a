import Foundation
import Logging

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

/// How log lines are written: the level, the console (standard error) and an optional rotated file.
/// The configuration layer builds it from `system/logging.yaml`; tests build it by hand.
public struct LogOptions: Sendable {
    /// `auto`: human text on a terminal, one JSON object per line otherwise.
    public enum Format: String, Sendable { case auto, text, json }

    /// A log file in `directory`: `{prefix}-YYYY-MM-DD.log` when rotated daily (files older than
    /// `retainDays` deleted; 0 keeps all), else `{prefix}.log`.
    public struct File: Sendable {
        public var directory: String
        public var prefix: String
        public var daily: Bool
        public var retainDays: Int
        /// `text` or `json` (`auto` means json for files).
        public var format: Format

        public init(directory: String, prefix: String, daily: Bool, retainDays: Int, format: Format) {
            self.directory = directory
            self.prefix = prefix
            self.daily = daily
            self.retainDays = retainDays
            self.format = format
        }
    }

    public var level: Logger.Level
    /// The console's format; nil: nothing on the console.
    public var console: Format?
    public var file: File?
    /// Values scrubbed from every line (configured secrets), a second line of defence.
    public var secrets: [String]

    public init(level: Logger.Level = .info, console: Format? = .auto, file: File? = nil, secrets: [String] = []) {
        self.level = level
        self.console = console
        self.file = file
        self.secrets = secrets
    }
}

/// Sets up swift-log: console (text on a terminal, JSON otherwise, unless forced) and optionally a
/// daily-rotated file.
public enum LogOutput {
    /// The handler factory for `options`.
    public static func makeHandlerFactory(_ options: LogOptions, standardErrorIsTerminal: Bool = isatty(2) == 1)
        -> @Sendable (String) -> any LogHandler
    {
        var outputs: [(LogRecordFormatter, any LogDestination)] = []
        if let console = options.console {
            let style: LogRecordFormatter.Style = switch console {
            case .text: .text
            case .json: .json
            case .auto: standardErrorIsTerminal ? .text : .json
            }
            outputs.append((LogRecordFormatter(style: style, secrets: options.secrets), StandardErrorDestination()))
        }
        if let file = options.file {
            let destination = RotatingFileDestination(directory: file.directory, prefix: file.prefix, daily: file.daily,
                                                      retainDays: file.retainDays)
            outputs.append((LogRecordFormatter(style: file.format == .text ? .text : .json, secrets: options.secrets), destination))
        }
        let level = options.level
        let frozen = outputs.map { SendableOutput(formatter: $0.0, destination: $0.1) }
        return { label in
            StructuredLogHandler(logLevel: level, label: label, outputs: frozen.map { ($0.formatter, $0.destination) })
        }
    }

    /// Bootstraps the process-wide logging system (swift-log allows it once per process).
    public static func bootstrap(_ options: LogOptions) {
        LoggingSystem.bootstrap(makeHandlerFactory(options))
    }
}

private struct SendableOutput: Sendable {
    var formatter: LogRecordFormatter
    var destination: any LogDestination
}

import LogOutput
import Logging

extension LoggingConfiguration {
    /// The log options of `system/logging.yaml`, with files under `logsDirectory` and `secrets` scrubbed.
    public func logOptions(logsDirectory: String, secrets: [String]) -> LogOptions {
        let formats: [Format: LogOptions.Format] = [.auto: .auto, .text: .text, .json: .json]
        return LogOptions(
            level: Logger.Level(rawValue: level.rawValue) ?? .info, console: console.enabled ? formats[console.format] : nil,
            file: file.enabled ? LogOptions.File(directory: logsDirectory, prefix: file.prefix, daily: file.rotation == .daily,
                                                 retainDays: file.retainDays, format: formats[file.format] ?? .json) : nil,
            secrets: secrets)
    }
}

extension TradingConfiguration {
    /// The log options of this configuration: its logs directory, every configured secret scrubbed.
    public var logOptions: LogOptions { logging.logOptions(logsDirectory: paths.logs, secrets: environment.secretValues) }
}

/// `system/paths.yaml`: where generated files live. Relative paths are relative to the working directory.
public struct PathsConfiguration: Sendable, Codable, Equatable {
    /// CSV backups `data/{SYMBOL}/{SYMBOL}_{tf}.csv` and the embedded SQLite database.
    public var data: String
    /// HDF5 feature tensors.
    public var datasets: String
    /// Versioned agent artifacts.
    public var agents: String
    /// Log files.
    public var logs: String
    /// Backtest and evaluation reports (JSON and charts).
    public var reports: String
    /// A directory of versioned SQL migrations (`sqlite/` and `postgresql/` inside) that replaces the
    /// ones built into the binary; nil (the default) uses the built-in ones.
    public var migrations: String?
    /// The embedded SQLite database file used when `DB_URL` is unset.
    public var sqliteDatabase: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case data, datasets, agents, logs, reports, migrations
        case sqliteDatabase = "sqlite_database"
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        data = fields.value(.data, or: "data")
        datasets = fields.value(.datasets, or: "datasets")
        agents = fields.value(.agents, or: "agents")
        logs = fields.value(.logs, or: "logs")
        reports = fields.value(.reports, or: "reports")
        migrations = fields.optional(.migrations)
        sqliteDatabase = fields.value(.sqliteDatabase, or: data + "/trader.sqlite")
        for (key, value) in [(CodingKeys.data, data), (.datasets, datasets), (.agents, agents), (.logs, logs), (.reports, reports),
                             (.migrations, migrations ?? "-"), (.sqliteDatabase, sqliteDatabase)] {
            fields.check(!value.isEmpty && !value.contains("\0"), key, value: "\"\(value)\"", "must be a path")
        }
    }
}

/// `system/logging.yaml`: level and destinations of log lines.
public struct LoggingConfiguration: Sendable, Codable, Equatable {
    public enum Level: String, ConfigEnumeration { case trace, debug, info, notice, warning, error, critical }
    /// `auto`: human text on a terminal, one JSON object per line otherwise.
    public enum Format: String, ConfigEnumeration { case auto, text, json }
    public enum Rotation: String, ConfigEnumeration { case daily, none }

    public var level: Level
    public var console: ConsoleOutput
    public var file: FileOutput

    public struct ConsoleOutput: Sendable, Codable, Equatable {
        public var enabled: Bool
        public var format: Format

        enum CodingKeys: String, CodingKey, CaseIterable { case enabled, format }

        init() {
            enabled = true
            format = .auto
        }

        public init(from decoder: any Decoder) throws {
            let fields = ConfigMapping(decoder, keys: CodingKeys.self)
            enabled = fields.value(.enabled, or: true)
            format = fields.value(.format, or: .auto)
        }
    }

    public struct FileOutput: Sendable, Codable, Equatable {
        public var enabled: Bool
        public var format: Format
        public var rotation: Rotation
        /// File name prefix inside the logs directory: `{prefix}-YYYY-MM-DD.log` when rotated daily.
        public var prefix: String
        /// Rotated files older than this many days are deleted; 0 keeps everything.
        public var retainDays: Int

        enum CodingKeys: String, CodingKey, CaseIterable {
            case enabled, format, rotation, prefix
            case retainDays = "retain_days"
        }

        init() {
            enabled = false
            format = .json
            rotation = .daily
            prefix = "trader"
            retainDays = 30
        }

        public init(from decoder: any Decoder) throws {
            let fields = ConfigMapping(decoder, keys: CodingKeys.self)
            enabled = fields.value(.enabled, or: false)
            format = fields.value(.format, or: .json)
            fields.check(format != .auto, .format, value: format.rawValue, "must be text or json for files")
            rotation = fields.value(.rotation, or: .daily)
            prefix = fields.value(.prefix, or: "trader")
            fields.check(!prefix.isEmpty && !prefix.contains("/"), .prefix, value: prefix, "must be a plain file name")
            retainDays = fields.integer(.retainDays, or: 30, within: 0...3_650)
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case level, console, file }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        level = fields.value(.level, or: .info)
        console = fields.value(.console, or: ConsoleOutput())
        file = fields.value(.file, or: FileOutput())
    }
}

import Foundation

/// Settings that come only from the process environment or `config/.env`: the database location,
/// exchange credentials and the Telegram bot. The environment wins over the file.
public struct EnvironmentSettings: Sendable, CustomStringConvertible {
    /// Variables this project reads; any other key in `config/.env` is rejected as a likely typo.
    public static let knownKeys = [
        "DB_URL", "BITGET_API_KEY", "BITGET_SECRET", "BITGET_PASSPHRASE", "BITGET_BASE_URL", "BITGET_WS_URL",
        "TELEGRAM_TOKEN", "ALLOWED_USER_ID", "TELEGRAM_BASE_URL", "TRADER_CONFIG",
    ]

    public var databaseURL: Secret?
    public var bitgetAPIKey: Secret?
    public var bitgetSecret: Secret?
    public var bitgetPassphrase: Secret?
    public var bitgetBaseURL: String
    public var bitgetWebSocketURL: String
    public var telegramToken: Secret?
    /// The one Telegram user id allowed to control the bot.
    public var allowedUserID: Int64?
    public var telegramBaseURL: String

    /// Every secret value that is set, so log output can be scrubbed of them as a second line of defence.
    public var secretValues: [String] {
        [databaseURL, bitgetAPIKey, bitgetSecret, bitgetPassphrase, telegramToken].compactMap { $0?.revealed }
            .filter { $0.count >= 4 }
    }

    /// Whether key, secret and passphrase are all present (BitGet requires all three to trade).
    public var hasCompleteExchangeCredentials: Bool {
        [bitgetAPIKey, bitgetSecret, bitgetPassphrase].allSatisfy { !($0?.revealed.isEmpty ?? true) }
    }

    /// Reads `values` (environment merged over `.env`), recording problems against `file`.
    init(values: [String: String], file: String, sink: inout [ConfigurationIssue]) {
        func secret(_ key: String) -> Secret? { values[key].flatMap { $0.isEmpty ? nil : Secret($0) } }
        databaseURL = secret("DB_URL")
        bitgetAPIKey = secret("BITGET_API_KEY")
        bitgetSecret = secret("BITGET_SECRET")
        bitgetPassphrase = secret("BITGET_PASSPHRASE")
        bitgetBaseURL = values["BITGET_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://api.bitget.com"
        bitgetWebSocketURL = values["BITGET_WS_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "wss://ws.bitget.com/v2/ws/public"
        telegramToken = secret("TELEGRAM_TOKEN")
        telegramBaseURL = values["TELEGRAM_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://api.telegram.org"
        allowedUserID = nil
        if let text = values["ALLOWED_USER_ID"], !text.isEmpty {
            if let id = Int64(text), id > 0 { allowedUserID = id } else {
                sink.append(ConfigurationIssue(file: file, keyPath: "ALLOWED_USER_ID", value: text,
                                               message: "must be a positive Telegram user id (digits only)"))
            }
        }
        for (key, url) in [("BITGET_BASE_URL", bitgetBaseURL), ("TELEGRAM_BASE_URL", telegramBaseURL)]
        where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            sink.append(ConfigurationIssue(file: file, keyPath: key, value: url, message: "must start with http:// or https://"))
        }
        if !(bitgetWebSocketURL.hasPrefix("ws://") || bitgetWebSocketURL.hasPrefix("wss://")) {
            sink.append(ConfigurationIssue(file: file, keyPath: "BITGET_WS_URL", value: bitgetWebSocketURL,
                                           message: "must start with ws:// or wss://"))
        }
        if let url = databaseURL?.revealed, !(url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") || url.hasPrefix("sqlite:")) {
            sink.append(ConfigurationIssue(file: file, keyPath: "DB_URL", value: "<redacted>",
                                           message: "must start with postgresql://, postgres:// or sqlite:"))
        }
    }

    /// The database to use: PostgreSQL when `DB_URL` names one, else SQLite (`sqlite:PATH` or the
    /// configured default file).
    public func databaseLocation(defaultSQLitePath: String) -> DatabaseLocation {
        guard let url = databaseURL?.revealed, !url.isEmpty else { return .sqlite(path: defaultSQLitePath) }
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            return .sqlite(path: path.isEmpty ? defaultSQLitePath : path)
        }
        return .postgresql(url: Secret(url))
    }

    public var description: String {
        func show(_ secret: Secret?) -> String { secret == nil ? "(unset)" : "<redacted>" }
        return [
            "DB_URL=\(databaseURL.map { DatabaseLocation.redactPassword($0.revealed) } ?? "(unset: embedded SQLite)")",
            "BITGET_API_KEY=\(show(bitgetAPIKey))", "BITGET_SECRET=\(show(bitgetSecret))",
            "BITGET_PASSPHRASE=\(show(bitgetPassphrase))", "BITGET_BASE_URL=\(bitgetBaseURL)",
            "BITGET_WS_URL=\(bitgetWebSocketURL)", "TELEGRAM_TOKEN=\(show(telegramToken))",
            "ALLOWED_USER_ID=\(allowedUserID.map(String.init) ?? "(unset)")", "TELEGRAM_BASE_URL=\(telegramBaseURL)",
        ].joined(separator: "\n")
    }
}

/// Parser of `config/.env`: `KEY=VALUE` lines, `#` comments, optional `export ` and quotes.
enum DotEnvFile {
    static func parse(_ text: String, file: String, issues: inout [ConfigurationIssue]) -> [String: String] {
        var values: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else {
                issues.append(ConfigurationIssue(file: file, line: index + 1, keyPath: "",
                                                 message: "expected KEY=VALUE (the line is not shown: it may hold a secret)"))
                continue
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            guard EnvironmentSettings.knownKeys.contains(key) else {
                var message = "unknown key"
                if let suggestion = nearest(to: key, in: EnvironmentSettings.knownKeys) { message += "; did you mean \(suggestion)?" }
                issues.append(ConfigurationIssue(file: file, line: index + 1, keyPath: key,
                                                 message: message + " (allowed: \(EnvironmentSettings.knownKeys.joined(separator: ", ")))"))
                continue
            }
            values[key] = value
        }
        return values
    }
}

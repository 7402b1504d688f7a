import Foundation
import Logging
import MarketModel

/// One log line, before formatting.
struct LogRecord {
    /// Wall-clock time of the event, seconds since 1970.
    var time: Double
    var level: Logger.Level
    var label: String
    var message: String
    var metadata: Logger.Metadata
}

/// Formats a record as human text or as one JSON object (`ts`, `level`, `label`, `message`,
/// `metadata`), and scrubs every known secret value from the result.
struct LogRecordFormatter: Sendable {
    enum Style: Sendable { case text, json }

    var style: Style
    /// Values that must never appear in output (credentials, database passwords).
    var secrets: [String]

    func format(_ record: LogRecord) -> String {
        let line = switch style {
        case .text: text(record)
        case .json: json(record)
        }
        return scrub(line)
    }

    func scrub(_ line: String) -> String {
        var line = line
        for secret in secrets where line.contains(secret) {
            line = line.replacingOccurrences(of: secret, with: "<redacted>")
        }
        return line
    }

    private func text(_ record: LogRecord) -> String {
        var line = "\(Self.timestamp(record.time)) \(record.level.rawValue.uppercased()) \(record.label): \(record.message)"
        if !record.metadata.isEmpty {
            line += " " + record.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        return line
    }

    private func json(_ record: LogRecord) -> String {
        var line = "{\"ts\":\"\(Self.timestamp(record.time))\",\"level\":\"\(record.level.rawValue)\","
        line += "\"label\":\(Self.quoted(record.label)),\"message\":\(Self.quoted(record.message))"
        if !record.metadata.isEmpty {
            line += ",\"metadata\":" + Self.object(record.metadata)
        }
        return line + "}"
    }

    private static func object(_ metadata: Logger.Metadata) -> String {
        "{" + metadata.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\(value($0.value))" }.joined(separator: ",") + "}"
    }

    private static func value(_ value: Logger.MetadataValue) -> String {
        switch value {
        case let .string(text): quoted(text)
        case let .stringConvertible(convertible): quoted(convertible.description)
        case let .array(items): "[" + items.map(Self.value).joined(separator: ",") + "]"
        case let .dictionary(dictionary): object(dictionary)
        }
    }

    /// A JSON string literal (RFC 8259 escaping).
    static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// ISO 8601 UTC with milliseconds, e.g. `2026-11-26T08:53:19.123Z`.
    static func timestamp(_ time: Double) -> String {
        UTCTime(milliseconds: Int64((time * 1000).rounded(.down))).iso8601
    }
}

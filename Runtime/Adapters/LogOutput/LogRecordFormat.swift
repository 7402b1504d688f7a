import Foundation
import Logging

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
        let milliseconds = Int64((time * 1000).rounded(.down))
        let day = UTCDate(milliseconds: milliseconds)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", day.year, day.month, day.day,
                      day.hour, day.minute, day.second, day.millisecond)
    }
}

/// Calendar fields of a UTC instant, without Foundation's calendar machinery.
struct UTCDate {
    var year, month, day, hour, minute, second, millisecond: Int

    init(milliseconds: Int64) {
        let totalSeconds = Int(milliseconds.quotientAndRemainder(dividingBy: 1000).quotient)
        millisecond = Int(milliseconds - Int64(totalSeconds) * 1000)
        var days = totalSeconds / 86_400
        var secondOfDay = totalSeconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
        // Civil-from-days (Howard Hinnant's algorithm).
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// `YYYY-MM-DD`.
    var dayString: String { String(format: "%04d-%02d-%02d", year, month, day) }
}

import Foundation
import Yams

/// Collects the issues of one file while it is decoded. Decoding is single-threaded; the sink only
/// lives for the duration of one `YAMLDecoder.decode` call.
final class ConfigurationIssueSink: @unchecked Sendable {
    let file: String
    var issues: [ConfigurationIssue] = []

    init(file: String) { self.file = file }

    static let userInfoKey = CodingUserInfoKey(rawValue: "trader.configuration.issues")!

    func record(_ codingPath: [any CodingKey], line: Int?, value: String? = nil, _ message: String) {
        issues.append(ConfigurationIssue(
            file: file, line: line, keyPath: Self.keyPath(codingPath), value: value, message: message))
    }

    /// `symbols[2].leverage.max` from a coding path.
    static func keyPath(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return text
    }
}

/// A key of any name, so unknown keys in a mapping can be seen and reported.
struct AnyConfigKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// Thrown by a section that could not be read at all; its issues are already in the sink.
struct ConfigurationSectionFailed: Error {}

/// Reads the keys of one YAML mapping, recording every problem in the file's sink instead of stopping at
/// the first, so a user sees all of a file's mistakes in one run. Unknown keys are rejected with the
/// nearest valid key suggested.
struct ConfigMapping<Key: CodingKey & CaseIterable & RawRepresentable<String>> {
    private let decoder: any Decoder
    private let container: KeyedDecodingContainer<AnyConfigKey>?
    let sink: ConfigurationIssueSink

    init(_ decoder: any Decoder, keys: Key.Type) {
        guard let sink = decoder.userInfo[ConfigurationIssueSink.userInfoKey] as? ConfigurationIssueSink else {
            preconditionFailure("configuration sections are decoded through ConfigurationFile")
        }
        self.decoder = decoder
        self.sink = sink
        if let container = try? decoder.container(keyedBy: AnyConfigKey.self) {
            self.container = container
            let allowed = Key.allCases.map(\.rawValue)
            for key in container.allKeys where Key(rawValue: key.stringValue) == nil {
                let line = (try? container.superDecoder(forKey: key))?.mark?.line
                var message = "unknown key"
                if let suggestion = nearest(to: key.stringValue, in: allowed) { message += "; did you mean \(suggestion)?" }
                message += " (allowed: \(allowed.joined(separator: ", ")))"
                sink.record(decoder.codingPath + [key], line: line, message)
            }
        } else {
            self.container = nil
            let path = decoder.codingPath
            sink.record(path, line: decoder.mark?.line,
                        "expected a mapping of keys (\(Key.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    /// Whether the key is present (and not null).
    func contains(_ key: Key) -> Bool {
        guard let container, container.contains(AnyConfigKey(stringValue: key.rawValue)) else { return false }
        return (try? container.decodeNil(forKey: AnyConfigKey(stringValue: key.rawValue))) == false
    }

    /// The value of `key`, or `fallback` when it is absent. A value of the wrong type is recorded as an
    /// issue and `fallback` is returned so decoding can go on.
    func value<T: Decodable>(_ key: Key, or fallback: T) -> T {
        read(key, required: false) ?? fallback
    }

    /// The value of a key the file must contain; a missing key is recorded and `placeholder` returned.
    func required<T: Decodable>(_ key: Key, placeholder: T) -> T {
        read(key, required: true) ?? placeholder
    }

    /// An optional value: nil when absent or null.
    func optional<T: Decodable>(_ key: Key) -> T? {
        read(key, required: false)
    }

    /// Records `message` against `key` (with its current value) unless `condition` holds.
    func check(_ condition: Bool, _ key: Key, value: Any, _ message: @autoclosure () -> String) {
        guard !condition else { return }
        sink.record(decoder.codingPath + [AnyConfigKey(stringValue: key.rawValue)], line: line(of: key),
                    value: Self.display(value), message())
    }

    /// Records `message` against `key.subkey` (a field of a nested mapping) unless `condition` holds.
    func check(_ condition: Bool, _ key: Key, subkey: String, value: Any, _ message: @autoclosure () -> String) {
        guard !condition else { return }
        let path = decoder.codingPath + [AnyConfigKey(stringValue: key.rawValue), AnyConfigKey(stringValue: subkey)]
        sink.record(path, line: line(of: key), value: Self.display(value), message())
    }

    /// A number that must lie within `range`; outside it, the issue names the range.
    func number(_ key: Key, or fallback: Double, within range: ClosedRange<Double>, unit: String = "") -> Double {
        let number = value(key, or: fallback)
        check(range.contains(number), key, value: number,
              "must be between \(Self.display(range.lowerBound)) and \(Self.display(range.upperBound))\(unit)")
        return number
    }

    /// An integer that must lie within `range`.
    func integer(_ key: Key, or fallback: Int, within range: ClosedRange<Int>) -> Int {
        let number = value(key, or: fallback)
        check(range.contains(number), key, value: number,
              "must be between \(range.lowerBound) and \(range.upperBound)")
        return number
    }

    private func read<T: Decodable>(_ key: Key, required: Bool) -> T? {
        let codingKey = AnyConfigKey(stringValue: key.rawValue)
        guard let container else { return nil }
        guard contains(key) else {
            if required {
                sink.record(decoder.codingPath + [codingKey], line: decoder.mark?.line, "required key is missing")
            }
            return nil
        }
        do {
            return try container.decode(T.self, forKey: codingKey)
        } catch is ConfigurationSectionFailed {
            return nil
        } catch {
            var path = decoder.codingPath + [codingKey]
            var raw = try? container.decode(String.self, forKey: codingKey)
            if case let DecodingError.dataCorrupted(context) = error, context.codingPath.count > path.count {
                path = context.codingPath  // an element inside a list: point at it
                raw = nil
            }
            sink.record(path, line: line(of: key), value: raw, Self.explain(error, expected: T.self))
            return nil
        }
    }

    private func line(of key: Key) -> Int? {
        (try? container?.superDecoder(forKey: AnyConfigKey(stringValue: key.rawValue)))?.mark?.line
    }

    private static func explain(_ error: any Error, expected: Any.Type) -> String {
        if let described = expected as? any ConfigValueDescribing.Type {
            return "must be \(described.expectedDescription)"
        }
        if case let DecodingError.dataCorrupted(context) = error, !context.debugDescription.isEmpty {
            return context.debugDescription
        }
        return "expected \(typeName(expected))"
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type: "a number"
        case is Int.Type: "a whole number"
        case is Bool.Type: "true or false"
        case is String.Type: "text"
        default: String(describing: type).hasPrefix("Array") ? "a list" : "a mapping"
        }
    }

    static func display(_ value: Any) -> String {
        if let number = value as? Double {
            return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        }
        return String(describing: value)
    }
}

/// A configuration value type that can say what it accepts, for error messages.
public protocol ConfigValueDescribing {
    static var expectedDescription: String { get }
}

/// Enumerations read from configuration name their allowed values when decoding fails.
public protocol ConfigEnumeration: Codable, CaseIterable, RawRepresentable<String>, ConfigValueDescribing, Sendable {}

extension ConfigEnumeration {
    public static var expectedDescription: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "must be \(Self.expectedDescription)"))
        }
        self = value
    }
}

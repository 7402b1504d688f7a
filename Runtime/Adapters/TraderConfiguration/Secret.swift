/// A credential. It prints as `<redacted>` wherever it is interpolated, dumped or reflected; only
/// `revealed` gives the value, and only code that signs requests or opens connections calls it.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable, Encodable
{
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The plain value. Never log it.
    public var revealed: String { value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A database location. PostgreSQL URLs may carry a password, so only the redacted form is printable.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// The embedded SQLite database at this file path.
    case sqlite(path: String)
    /// A PostgreSQL server; the URL is the libpq connection URI.
    case postgresql(url: Secret)

    public var description: String {
        switch self {
        case let .sqlite(path): "sqlite:\(path)"
        case let .postgresql(url): Self.redactPassword(url.revealed)
        }
    }

    /// `postgresql://user:secret@host/db` → `postgresql://user:<redacted>@host/db`; a `password=`
    /// query parameter is redacted too.
    static func redactPassword(_ url: String) -> String {
        var text = url
        if let schemeEnd = text.range(of: "://"), let at = text[schemeEnd.upperBound...].firstIndex(of: "@"),
            let colon = text[schemeEnd.upperBound..<at].firstIndex(of: ":")
        {
            text.replaceSubrange(text.index(after: colon)..<at, with: "<redacted>")
        }
        if let parameter = text.range(of: "password=") {
            let end = text[parameter.upperBound...].firstIndex(of: "&") ?? text.endIndex
            text.replaceSubrange(parameter.upperBound..<end, with: "<redacted>")
        }
        return text
    }
}

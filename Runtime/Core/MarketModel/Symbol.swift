/// A perpetual-contract symbol such as `BTCUSDT`: upper-case letters and digits only.
public struct Symbol: Sendable, Hashable, Codable, Comparable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public let name: String

    /// Returns nil unless `name` is 2 to 30 upper-case ASCII letters or digits.
    public init?(_ name: String) {
        guard (2...30).contains(name.utf8.count),
            name.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        self.name = name
    }

    public init(stringLiteral value: String) {
        guard let symbol = Symbol(value) else { preconditionFailure("invalid symbol literal \(value)") }
        self = symbol
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let symbol = Symbol(text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "\(text): a symbol is upper-case letters and digits, e.g. BTCUSDT"))
        }
        self = symbol
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }

    public var description: String { name }
    public static func < (lhs: Symbol, rhs: Symbol) -> Bool { lhs.name < rhs.name }
}

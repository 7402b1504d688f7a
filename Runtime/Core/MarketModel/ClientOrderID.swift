/// The id an order carries to the exchange (`clientOid`), made deterministically from the symbol, the
/// agent version and the decision time: the same decision always sends the same id, so a retry after a
/// crash or a lost response can never create a second order, and the order can be looked up by it.
/// Example: `BTCUSDT-E-1750000000000-3f9a1c2e` (symbol, purpose, decision time in UTC ms, FNV-1a hash of
/// the agent version): at most 42 characters of `[A-Z0-9-]`.
public struct ClientOrderID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// What an order is for.
    public enum Purpose: String, Sendable, Codable {
        /// An entry, the agent's or the risk gate's exit, and the close of a halt (its own purpose, so a
        /// halt right after an exit sent at the same bar never reuses that exit's id).
        case entry = "E", exit = "X", halt = "H"
    }

    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// The id of the order that decision `purpose` at `decisionTime` (UTC ms, the decision bar's close)
    /// of `agentVersion` on `symbol` sends.
    public init(symbol: Symbol, purpose: Purpose, decisionTime: Int64, agentVersion: String) {
        self.init(symbol: symbol, purpose: purpose, decisionTime: decisionTime, versionHash: Self.hash(agentVersion))
    }

    /// The same id from the agent version's `hash(_:)`, computed once by a caller that sends many orders.
    public init(symbol: Symbol, purpose: Purpose, decisionTime: Int64, versionHash: String) {
        rawValue = symbol.name + "-" + purpose.rawValue + "-" + String(decisionTime) + "-" + versionHash
    }

    /// The purpose encoded in the id, when it is one of ours.
    public var purpose: Purpose? {
        let parts = rawValue.split(separator: "-")
        return parts.count == 4 ? Purpose(rawValue: String(parts[1])) : nil
    }

    /// The close of the decision bar encoded in the id (UTC ms), when it is one of ours.
    public var decisionTime: Int64? {
        let parts = rawValue.split(separator: "-")
        return parts.count == 4 && Purpose(rawValue: String(parts[1])) != nil ? Int64(parts[2]) : nil
    }

    public var description: String { rawValue }
    public static func < (lhs: ClientOrderID, rhs: ClientOrderID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// FNV-1a 32 of `text` as 8 hex digits (the last part of an id).
    public static func hash(_ text: String) -> String {
        var hash: UInt32 = 0x811C_9DC5
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

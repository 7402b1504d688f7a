/// What the caller of the exchange client should do about a failure.
public enum RecoveryAction: String, Sendable {
    /// Transient: wait and try again (rate limits, server errors, timeouts, dropped connections).
    case retry
    /// This item is bad (a malformed row, a rejected order): log it and go on without it.
    case skip
    /// Something is wrong with the account or market state: stop trading and tell the operator.
    case halt
    /// A setting is wrong (credentials, symbol, URL): fix the configuration.
    case fixConfiguration = "fix-configuration"
}

/// A failure talking to BitGet (or the simulator), typed by what to do next.
public enum BitGetError: Error, Sendable, CustomStringConvertible {
    case rateLimited(retryAfterSeconds: Double?)
    case server(status: Int, code: String, message: String)
    case transport(String)
    /// No connection could be opened (refused, unresolvable, connect timeout): the request never left.
    case notConnected(String)
    /// The exchange refused the credentials: the message names which one to check.
    case credentials(code: String, message: String, check: String)
    /// A business error for this request (insufficient balance, bad size, unknown order…).
    case rejected(code: String, message: String)
    case unknownSymbol(String)
    /// The payload could not be understood; `raw` is the text received (truncated).
    case malformed(reason: String, raw: String)

    public var action: RecoveryAction {
        switch self {
        case .rateLimited, .server, .transport, .notConnected: .retry
        case .credentials, .unknownSymbol: .fixConfiguration
        case .rejected, .malformed: .skip
        }
    }

    public var description: String {
        switch self {
        case let .rateLimited(after): "rate limited by the exchange" + (after.map { "; retry after \($0) s" } ?? "")
        case let .server(status, code, message): "exchange error HTTP \(status) \(code): \(message)"
        case let .transport(reason): "network error: \(reason)"
        case let .notConnected(reason): "no connection to the exchange (nothing was sent): \(reason)"
        case let .credentials(code, message, check): "the exchange refused the credentials (\(code) \(message)): check \(check)"
        case let .rejected(code, message): "the exchange rejected the request: \(code) \(message)"
        case let .unknownSymbol(symbol): "\(symbol) is not listed by the exchange (USDT-FUTURES)"
        case let .malformed(reason, raw): "malformed exchange payload (\(reason)): \(raw.prefix(300))"
        }
    }

    /// Maps an error envelope to a typed error.
    static func from(status: Int, code: String, message: String) -> BitGetError {
        switch code {
        case "429", "1001": return .rateLimited(retryAfterSeconds: nil)
        case "40001", "40006", "40037": return .credentials(code: code, message: message, check: "BITGET_API_KEY")
        case "40002", "40009": return .credentials(code: code, message: message, check: "BITGET_SECRET")
        case "40011", "40012": return .credentials(code: code, message: message, check: "BITGET_PASSPHRASE")
        case "40004", "40005", "40008":
            return .credentials(code: code, message: message, check: "the system clock (request timestamp out of window)")
        case "40099":
            return .credentials(code: code, message: message,
                                check: "--demo-trading (a demo account's API key needs it; a real account's must not have it)")
        case "40014", "40018": return .credentials(code: code, message: message, check: "the API key's permissions and IP whitelist")
        case "40200": return .server(status: status, code: code, message: message)
        default:
            return status >= 500 ? .server(status: status, code: code, message: message) : .rejected(code: code, message: message)
        }
    }
}

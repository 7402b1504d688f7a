import Crypto
import Foundation

/// API credentials. BitGet needs all three for every signed request. Printed, logged or dumped, they
/// show only the key's last four characters.
public struct BitGetCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var apiKey: String
    public var secret: String
    public var passphrase: String

    public init(apiKey: String, secret: String, passphrase: String) {
        self.apiKey = apiKey
        self.secret = secret
        self.passphrase = passphrase
    }

    public var description: String { "BitGet credentials (key …\(apiKey.suffix(4)), secret and passphrase redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["apiKey": "…\(apiKey.suffix(4))"]) }
}

/// BitGet v2 request signing: `ACCESS-SIGN = base64(HMAC-SHA256(secret, prehash))` with
/// `prehash = timestamp + METHOD + requestPath + ("?" + query, if any) + body`.
public enum BitGetSigner {
    public static func prehash(timestamp: String, method: String, path: String, query: String, body: String) -> String {
        timestamp + method.uppercased() + path + (query.isEmpty ? "" : "?" + query) + body
    }

    public static func signature(secret: String, prehash: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(prehash.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Data(code).base64EncodedString()
    }

    /// The four authentication headers of a request made at `timestamp` (ms since the epoch, as text).
    public static func headers(credentials: BitGetCredentials, timestamp: String, method: String, path: String, query: String,
                               body: String) -> [(String, String)] {
        let sign = signature(secret: credentials.secret,
                             prehash: prehash(timestamp: timestamp, method: method, path: path, query: query, body: body))
        return [("ACCESS-KEY", credentials.apiKey), ("ACCESS-SIGN", sign), ("ACCESS-TIMESTAMP", timestamp),
                ("ACCESS-PASSPHRASE", credentials.passphrase)]
    }

    /// The WebSocket login signature: over `timestamp (seconds) + "GET" + "/user/verify"`.
    public static func webSocketLoginSignature(secret: String, timestampSeconds: String) -> String {
        signature(secret: secret, prehash: timestampSeconds + "GET" + "/user/verify")
    }
}

import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// An update from the Bot API, reduced to what the control channel reads.
public struct TelegramUpdate: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        /// A text message (`text` nil for a photo, a sticker…), sent at `sentAt` (Unix seconds: a command
        /// sent while the trader was down can be told from a fresh one), in a private chat or not.
        case message(chatID: Int64, fromID: Int64?, messageID: Int64, text: String?, sentAt: Int64, isPrivate: Bool)
        /// A press of an inline button.
        case callback(id: String, fromID: Int64, chatID: Int64?, messageID: Int64?, data: String?)
        /// Any other kind, or one that could not be read (logged): confirmed and skipped.
        case other
    }

    public var updateID: Int64
    public var content: Content
}

/// A Bot API failure, typed by what the caller does next.
public enum TelegramError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 429: wait `seconds` (the answer's `retry_after`), then send the same again.
    case retryAfter(seconds: Double)
    /// 409: another instance polls with this token (or a webhook is set).
    case conflict(String)
    /// 400: this request is wrong and never will be right: log it, never retry.
    case badRequest(String)
    /// 401/404: the token is wrong.
    case unauthorized(String)
    /// 403: the bot was blocked or removed from the chat.
    case forbidden(String)
    /// 5xx or a network failure: retry with backoff.
    case unavailable(String)
    /// An answer that could not be read: the request may have been carried out, so it is not resent.
    case malformed(String)

    /// Whether sending the same request again is right (a poll is simply made again in any case).
    public var isRetryable: Bool {
        switch self {
        case .retryAfter, .unavailable: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case let .retryAfter(seconds): "Telegram flood control: retry after \(seconds) s"
        case let .conflict(text): "another bot instance is polling with this token (stop it, or delete the webhook): \(text)"
        case let .badRequest(text): "Telegram refused the request: \(text)"
        case let .unauthorized(text): "Telegram refused the token (check TELEGRAM_TOKEN): \(text)"
        case let .forbidden(text): "Telegram forbids it (the bot was blocked or removed?): \(text)"
        case let .unavailable(text): "Telegram is unavailable: \(text)"
        case let .malformed(text): "unreadable Telegram answer: \(text)"
        }
    }
}

/// The Bot API over async-http-client: `TELEGRAM_BASE_URL` (`https://api.telegram.org` by default, the
/// fake server in tests) + `/bot<TOKEN>/<method>`, JSON bodies, the `{"ok":…}` envelope mapped to
/// `TelegramError`. The token is part of the URL only; no error or log line carries the URL.
public final class TelegramClient: Sendable {
    public let baseURL: String
    let token: String
    let http: HTTPClient
    let logger: Logger
    /// Seconds a call may take beyond its long-poll time.
    let requestTimeout: Double

    public init(baseURL: String = "https://api.telegram.org", token: String, http: HTTPClient = .shared, requestTimeout: Double = 15,
                logger: Logger = Logger(label: "telegram")) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.http = http
        self.requestTimeout = requestTimeout
        self.logger = logger
    }

    /// Calls `method` with `parameters` (JSON) and returns the envelope's `result`.
    public func call(_ method: String, _ parameters: [String: Any] = [:], longPollSeconds: Int = 0) async throws(TelegramError) -> Any {
        guard let body = try? JSONSerialization.data(withJSONObject: parameters) else { throw .badRequest("\(method): parameters are not JSON") }
        return try await send(method, body: Array(body), contentType: "application/json", longPollSeconds: longPollSeconds)
    }

    /// Calls `method` with a `multipart/form-data` body (an upload).
    func call(_ method: String, multipart body: [UInt8], boundary: String) async throws(TelegramError) -> Any {
        try await send(method, body: body, contentType: "multipart/form-data; boundary=\(boundary)", longPollSeconds: 0)
    }

    private func send(_ method: String, body: [UInt8], contentType: String, longPollSeconds: Int) async throws(TelegramError) -> Any {
        var request = HTTPClientRequest(url: "\(baseURL)/bot\(token)/\(method)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(bytes: body))
        let data: Data
        let status: Int
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64((requestTimeout + Double(longPollSeconds)) * 1000)))
            status = Int(response.status.code)
            data = Data(try await response.body.collect(upTo: 16 << 20).readableBytesView)
        } catch {
            throw .unavailable("\(method): \(type(of: error)) \(Self.redacted("\(error)", token: token))")
        }
        let envelope = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        if status == 200 {
            guard let envelope, envelope["ok"] as? Bool == true else { throw .malformed("\(method): HTTP 200 without an ok envelope") }
            return envelope["result"] ?? NSNull()
        }
        // Decided by the HTTP status (the server sets it to error_code; a proxy's page has no envelope).
        let description = (envelope?["description"] as? String) ?? "HTTP \(status) without a Bot API answer"
        switch status {
        case 429:
            let after = ((envelope?["parameters"] as? [String: Any])?["retry_after"] as? NSNumber)?.doubleValue ?? 1
            throw .retryAfter(seconds: after)
        case 409: throw .conflict(description)
        case 400: throw .badRequest("\(method): \(description)")
        case 401, 404: throw .unauthorized(description)
        case 403: throw .forbidden(description)
        case 400..<500: throw .badRequest("\(method): \(status) \(description)")
        default: throw .unavailable("\(method): \(status) \(description)")
        }
    }

    static func redacted(_ text: String, token: String) -> String { token.isEmpty ? text : text.replacingOccurrences(of: token, with: "<token>") }
}

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A message the fake Bot API server received (`sendMessage`, or the new text of `editMessageText`).
public struct SentMessage: Sendable, Equatable {
    public var messageID: Int64
    public var chatID: Int64
    public var text: String
    public var parseMode: String?
    /// The inline keyboard's buttons as (text, callback data), row by row flattened.
    public var buttons: [[String]]
    /// `sendMessage` or `editMessageText`.
    public var method: String
}

/// A photo the fake Bot API server received (`sendPhoto`).
public struct SentPhoto: Sendable, Equatable {
    public var messageID: Int64
    public var chatID: Int64
    public var caption: String?
    public var filename: String
    public var bytes: [UInt8]
}

/// A loopback Telegram Bot API server for tests and the demo: `/bot<TOKEN>/<method>` (case-insensitive
/// methods; parameters as JSON body, form or query), the `{"ok":…}` envelope with the HTTP status equal to
/// `error_code`, `getUpdates` long polling with offset confirmation (a second concurrent poll ends the
/// first with 409), `sendMessage` (4096-character limit, empty text refused), `sendPhoto` (a
/// multipart upload of at most 10 MB, caption at most 1024 characters), `editMessageText`,
/// `answerCallbackQuery`, `setMyCommands`, `getMe`, `deleteWebhook`. It records what was sent, feeds
/// updates (commands and button presses from any user id) and injects 429 with `retry_after`, 5xx, slow
/// answers and 409.
public final class FakeTelegramServer: Sendable {
    public struct Injected: Sendable {
        public var status: Int
        public var retryAfter: Int?
        public var delaySeconds: Double
        public init(status: Int, retryAfter: Int? = nil, delaySeconds: Double = 0) {
            self.status = status
            self.retryAfter = retryAfter
            self.delaySeconds = delaySeconds
        }
    }

    struct State: Sendable {
        var updates: [(id: Int64, json: String)] = []
        var nextUpdateID: Int64 = 100_000_001
        var nextMessageID: Int64 = 1
        var sent: [SentMessage] = []
        var photos: [SentPhoto] = []
        var callbackAnswers: [String] = []
        var commands: [String] = []
        /// Faults for the next calls of a method (`*`: any method), in order.
        var injected: [(method: String, fault: Injected)] = []
        var pollGeneration = 0
        var calls: [String: Int] = [:]
    }

    public let token: String
    let state = Mutex(State())
    let logger: Logger

    public init(token: String = "123456:TEST-token", logger: Logger = Logger(label: "fake-telegram")) {
        self.token = token
        self.logger = logger
    }

    // MARK: The test's side

    /// Queues a text message from `userID` in a private chat (chat id = user id unless `chatID`: then a
    /// group), dated `sentSecondsAgo` before now.
    public func sendText(_ text: String, from userID: Int64, chatID: Int64? = nil, sentSecondsAgo: Int = 0) {
        let chat = chatID ?? userID
        enqueue { id in
            ["update_id": id, "message": ["message_id": id, "date": Int(Date().timeIntervalSince1970) - sentSecondsAgo, "text": text,
                                          "from": ["id": userID, "is_bot": false, "first_name": "User\(userID)"],
                                          "chat": ["id": chat, "type": chat == userID ? "private" : "group"]]]
        }
    }

    /// Queues a press of an inline button carrying `data` by `userID` on message `messageID`.
    public func pressButton(_ data: String, from userID: Int64, messageID: Int64, chatID: Int64? = nil) {
        enqueue { id in
            ["update_id": id, "callback_query": ["id": "cb\(id)", "data": data, "from": ["id": userID, "is_bot": false, "first_name": "User\(userID)"],
                                                 "message": ["message_id": messageID, "date": 0, "chat": ["id": chatID ?? userID, "type": "private"]]]]
        }
    }

    /// Queues a raw update body (malformed ones included), as JSON text with `update_id` set by the server.
    public func sendRawUpdate(_ make: @escaping @Sendable (Int64) -> String) {
        state.withLock { state in
            state.updates.append((state.nextUpdateID, make(state.nextUpdateID)))
            state.nextUpdateID += 1
        }
    }

    private func enqueue(_ make: (Int64) -> [String: Any]) {
        state.withLock { state in
            let id = state.nextUpdateID
            state.nextUpdateID += 1
            let data = (try? JSONSerialization.data(withJSONObject: make(id), options: [.sortedKeys])) ?? Data()
            state.updates.append((id, String(decoding: data, as: UTF8.self)))
        }
    }

    /// The next calls of `method` (`*`: any) answer with these faults, in order.
    public func inject(_ faults: [Injected], method: String = "*") {
        state.withLock { $0.injected += faults.map { (method.lowercased(), $0) } }
    }

    public var sent: [SentMessage] { state.withLock { $0.sent } }
    public var photos: [SentPhoto] { state.withLock { $0.photos } }
    public var callbackAnswers: [String] { state.withLock { $0.callbackAnswers } }
    /// The command names of the last `setMyCommands`.
    public var commands: [String] { state.withLock { $0.commands } }
    /// How many calls each method received (lower-cased), faults included.
    public var calls: [String: Int] { state.withLock { $0.calls } }
    /// Updates not yet confirmed by an offset.
    public var pendingUpdates: Int { state.withLock { $0.updates.count } }

    // MARK: Serving

    /// A new server on a free loopback port for the duration of `body`, which gets it and its port.
    public static func serving<Value: Sendable>(token: String = "123456:TEST-token",
                                                _ body: (FakeTelegramServer, Int) async throws -> Value) async throws -> Value {
        let server = FakeTelegramServer(token: token)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }  // a server that cannot start ends the wait for its port
                try await server.run { continuation.yield($0) }
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else { throw CancellationError() }
            let value = try await body(server, port)
            group.cancelAll()
            return value
        }
    }

    /// Serves on `127.0.0.1:port` (0: any free port) until cancelled; `ready` gets the bound port.
    public func run(port: Int = 0, ready: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        let server = self
        for method in [HTTPRequest.Method.get, .post] {
            router.on(":bot/:method", method: method) { request, context in
                try await server.handle(request, bot: context.parameters.get("bot") ?? "", method: context.parameters.get("method") ?? "")
            }
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "fake-telegram"),
                              onServerRunning: { channel in ready(channel.localAddress?.port ?? 0) }, logger: logger)
        try await app.run()
    }
}

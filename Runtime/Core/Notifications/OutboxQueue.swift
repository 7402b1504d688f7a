/// A message waiting to go out (an alert, a reply), as the durable outbox stores it.
public struct OutgoingMessage: Sendable, Equatable {
    public enum Priority: Int, Sendable, Comparable {
        /// Stop failed, halt, liquidation risk: sent before anything else, never merged.
        case critical = 0
        case normal = 1
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The store's id: increasing in the order messages were queued.
    public var id: Int64
    public var chatID: Int64
    public var text: String
    public var priority: Priority
    /// Failed attempts so far, and the earliest time of the next, UTC ms.
    public var attempts: Int
    public var notBefore: Int64
    /// Never merged with others: it was part of a merged send Telegram refused (which one was bad is
    /// found by sending them one by one).
    public var sendsAlone = false

    public init(id: Int64, chatID: Int64, text: String, priority: Priority = .normal, attempts: Int = 0, notBefore: Int64 = 0) {
        self.id = id
        self.chatID = chatID
        self.text = text
        self.priority = priority
        self.attempts = attempts
        self.notBefore = notBefore
    }
}

/// One send: the messages it carries (several when a burst was merged) and the text.
public struct OutboxBatch: Sendable, Equatable {
    public var ids: [Int64]
    public var chatID: Int64
    public var text: String
}

/// How a send ended, as the transport reports it.
public enum DeliveryResult: Sendable, Equatable {
    case delivered
    /// Flood control: nothing to this chat before `seconds` have passed.
    case retryAfter(seconds: Double)
    /// A 5xx or a network failure: tried again later with backoff.
    case unavailable
    /// The request itself is wrong (a 400): never tried again; the reason is logged.
    case refused(String)
}

/// The outbox's order and pace, as a pure state machine (the store keeps the messages; time comes in
/// with every call, UTC ms): critical messages first, then the oldest; at most one send per chat every
/// `spacingMilliseconds` (Telegram: about one a second), and none before a 429's `retry_after`;
/// consecutive normal messages to one chat merged into one send up to `mergeLimit` UTF-16 units (a burst
/// of alerts is one message); a 5xx waits 1, 2, 4 … 60 s; a refusal is dropped, never retried. Built
/// again from the stored messages after a restart, it sends them in the same order.
public struct OutboxQueue: Sendable {
    public var spacingMilliseconds: Int64
    public var mergeLimit: Int
    private(set) var waiting: [OutgoingMessage] = []
    /// Per chat: no send before this time (spacing, or a 429).
    private var chatFreeAt: [Int64: Int64] = [:]

    public init(spacingMilliseconds: Int64 = 1_000, mergeLimit: Int = 3_500, stored: [OutgoingMessage] = []) {
        self.spacingMilliseconds = spacingMilliseconds
        self.mergeLimit = mergeLimit
        waiting = stored
        sort()
    }

    public var count: Int { waiting.count }

    /// The ids of the messages waiting.
    public var ids: [Int64] { waiting.map(\.id) }

    /// The waiting message `id` (its attempts and next time after a failed send), nil once it left.
    public func message(_ id: Int64) -> OutgoingMessage? { waiting.first { $0.id == id } }

    public mutating func enqueue(_ message: OutgoingMessage) { enqueue(contentsOf: [message]) }

    /// Queues several at once (sorted once: a restart may load thousands).
    public mutating func enqueue(contentsOf messages: [OutgoingMessage]) {
        waiting += messages
        sort()
    }

    private mutating func sort() { waiting.sort { ($0.priority, $0.id) < ($1.priority, $1.id) } }

    /// The send due at `time`, or nil when nothing may go now (see `nextTime`). A chat's messages go in
    /// order: while its first is waiting (a backoff), the ones after it wait too.
    public func next(at time: Int64) -> OutboxBatch? {
        var seen: Set<Int64> = []
        let heads = waiting.filter { seen.insert($0.chatID).inserted }
        guard let first = heads.first(where: { due($0, at: time) }) else { return nil }
        var batch = OutboxBatch(ids: [first.id], chatID: first.chatID, text: first.text)
        guard first.priority == .normal, !first.sendsAlone else { return batch }
        // Merge the next normal messages of the same chat, in order, while they are due and fit.
        for message in waiting where message.id != first.id && message.priority == .normal && message.chatID == first.chatID && message.id > first.id {
            guard due(message, at: time), !message.sendsAlone, batch.text.utf16.count + 1 + message.text.utf16.count <= mergeLimit else { break }
            batch.ids.append(message.id)
            batch.text += "\n" + message.text
        }
        return batch
    }

    /// The earliest time something may be sent (nil when the queue is empty).
    public func nextTime() -> Int64? {
        waiting.map { max($0.notBefore, chatFreeAt[$0.chatID] ?? 0) }.min()
    }

    private func due(_ message: OutgoingMessage, at time: Int64) -> Bool {
        message.notBefore <= time && (chatFreeAt[message.chatID] ?? 0) <= time
    }

    /// Books how `batch` went at `time`. Returns the ids that leave the queue (delivered or refused). A
    /// refused merged send loses nothing: its messages are sent again one by one, so only a bad one is dropped.
    @discardableResult
    public mutating func settle(_ batch: OutboxBatch, _ result: DeliveryResult, at time: Int64) -> [Int64] {
        if case .refused = result, batch.ids.count > 1 {
            for index in waiting.indices where batch.ids.contains(waiting[index].id) { waiting[index].sendsAlone = true }
            chatFreeAt[batch.chatID] = time + spacingMilliseconds
            return []
        }
        switch result {
        case .delivered, .refused:
            waiting.removeAll { batch.ids.contains($0.id) }
            chatFreeAt[batch.chatID] = time + spacingMilliseconds
            return batch.ids
        case let .retryAfter(seconds):
            chatFreeAt[batch.chatID] = time + Int64((seconds * 1000).rounded(.up))
            return []
        case .unavailable:
            for index in waiting.indices where batch.ids.contains(waiting[index].id) {
                waiting[index].attempts += 1
                waiting[index].notBefore = time + min(60_000, 1_000 << min(waiting[index].attempts - 1, 6))
            }
            return []
        }
    }
}

import Foundation
import Logging
import Notifications
import Storage
import Telegram

/// The durable outbox: every reply and alert is stored (`telegram_outbox`) before it is sent, and sent
/// in the order and at the pace of `OutboxQueue` — critical first, about one a second per chat, a 429's
/// `retry_after` honoured, 5xx and network failures retried with backoff, a 400 dropped with its reason
/// logged. A restart sends what was left. A crash between a send and its record sends that message
/// again (at least once, never lost).
actor TelegramOutbox {
    let records: TelegramRecords
    let store: AsyncStore
    let client: TelegramClient
    let logger: Logger
    private var queue = OutboxQueue()
    /// Wakes the sender when something is queued.
    private var wake: CheckedContinuation<Void, Never>?
    /// The last id given to a message the store did not take (counting down from 0).
    private var unstoredID: Int64 = 0

    init(records: TelegramRecords, store: AsyncStore, client: TelegramClient, logger: Logger) {
        self.records = records
        self.store = store
        self.client = client
        self.logger = logger
    }

    /// How long delivered and refused messages are kept (days).
    static let keepDays: Int64 = 30

    /// Loads what an earlier run left unsent (merged with what this run queued meanwhile); returns how many.
    func restore() async throws -> Int {
        let records = self.records
        let rows = try await store.run { _ in try records.waiting() }
        let queued = Set(queue.ids)
        let loaded = rows.filter { !queued.contains($0.id) }.map {
            OutgoingMessage(id: $0.id, chatID: $0.chatID, text: $0.text, priority: $0.priority == 0 ? .critical : .normal, attempts: $0.attempts,
                            notBefore: $0.notBefore)
        }
        queue.enqueue(contentsOf: loaded)
        return loaded.count
    }

    /// Stores `html` (already escaped) for `chatID`, cut into Telegram-sized messages on line boundaries.
    /// A store failure is logged and the message is sent from memory only.
    func send(_ html: String, to chatID: Int64, critical: Bool = false) async {
        let records = self.records
        let now = TraderClock.now()
        for chunk in TelegramText.chunks(html) {
            let id: Int64
            do {
                id = try await store.run { _ in try records.enqueue(chatID: chatID, text: chunk, priority: critical ? 0 : 1, at: now) }
            } catch {
                logger.error("the Telegram outbox cannot be written; the message is kept in memory only", metadata: ["error": "\(error)"])
                unstoredID -= 1
                id = unstoredID  // negative: never a stored id
            }
            queue.enqueue(OutgoingMessage(id: id, chatID: chatID, text: chunk, priority: critical ? .critical : .normal))
        }
        wake?.resume()
        wake = nil
    }

    var waitingCount: Int { queue.count }

    /// Sends until cancelled; first loads what an earlier run left (retried every 10 s while the store is down).
    func run() async {
        var restored = false
        var nextRestore: Int64 = 0, nextPrune: Int64 = 0
        while !Task.isCancelled {
            let now = TraderClock.now()
            if now >= nextPrune {
                // Once a day: settled messages older than `keepDays` are forgotten (a failure only delays it).
                nextPrune = now + 86_400_000
                let records = self.records, horizon = now - Self.keepDays * 86_400_000
                do {
                    try await store.run { _ in try records.pruneSettled(before: horizon) }
                } catch {
                    logger.warning("old Telegram messages could not be pruned", metadata: ["error": "\(error)"])
                }
            }
            if !restored, now >= nextRestore {
                do {
                    let count = try await restore()
                    restored = true
                    if count > 0 { logger.notice("Telegram messages left unsent by an earlier run are sent now", metadata: ["messages": "\(count)"]) }
                } catch {
                    nextRestore = now + 10_000
                    logger.warning("the Telegram outbox cannot be read; what an earlier run left unsent waits", metadata: ["error": "\(error)"])
                }
            }
            if let batch = queue.next(at: now) {
                await deliver(batch)
                continue
            }
            let delay = queue.nextTime().map { max(10, $0 - now) } ?? 60_000
            await sleep(milliseconds: min(delay, restored ? 60_000 : 10_000))
        }
    }

    private func sleep(milliseconds: Int64) async {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(milliseconds))
            await self?.wakeUp()
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { wake = $0 }
        } onCancel: {
            Task { await self.wakeUp() }
        }
        timer.cancel()
    }

    private func wakeUp() {
        wake?.resume()
        wake = nil
    }

    private func deliver(_ batch: OutboxBatch) async {
        let result: DeliveryResult
        do {
            _ = try await client.sendMessage(chatID: batch.chatID, html: batch.text)
            result = .delivered
        } catch {
            switch error {
            case let .retryAfter(seconds): result = .retryAfter(seconds: seconds)
            case .unavailable, .unauthorized, .conflict: result = .unavailable
            case let .badRequest(reason), let .forbidden(reason): result = .refused(reason)
            case let .malformed(reason):
                // The answer was unreadable, the message may well have arrived: not sent again.
                logger.warning("Telegram's answer to a message was unreadable; it is not sent again", metadata: ["reason": "\(reason)"])
                result = .delivered
            }
        }
        let now = TraderClock.now()
        let left = queue.settle(batch, result, at: now)
        let records = self.records
        let stored = batch.ids.filter { $0 > 0 }
        do {
            switch result {
            case .delivered: try await store.run { _ in try records.settle(stored, status: "sent", at: now) }
            case let .refused(reason):
                guard !left.isEmpty else {
                    logger.warning("Telegram refused a merged message; its parts are sent one by one", metadata: ["reason": "\(reason)", "messages": "\(batch.ids.count)"])
                    break
                }
                logger.error("Telegram refused a message; it is dropped", metadata: ["reason": "\(reason)", "messages": "\(left.count)"])
                let refused = left.filter { $0 > 0 }
                try await store.run { _ in try records.settle(refused, status: "refused", reason: reason, at: now) }
            case .retryAfter: break
            case .unavailable:
                let rescheduled = stored.compactMap { queue.message($0) }
                try await store.run { _ in for message in rescheduled { try records.retryLater(message.id, attempts: message.attempts, notBefore: message.notBefore) } }
            }
        } catch {
            logger.warning("the outbox record of a send was not written (the message may be sent again after a restart)",
                           metadata: ["error": "\(error)"])
        }
    }
}

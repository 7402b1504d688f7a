import Notifications
import Testing

/// The outbox's order and pace, step by step with the time given.
struct OutboxQueueTests {
    /// Sends whatever is due from `start` to `end`, a millisecond step of `step`, answering with `answer`;
    /// returns what was sent, with when.
    static func drain(_ queue: inout OutboxQueue, from start: Int64, to end: Int64, step: Int64 = 100,
                      answer: (OutboxBatch, Int) -> DeliveryResult = { _, _ in .delivered }) -> [(time: Int64, batch: OutboxBatch)] {
        var sent: [(Int64, OutboxBatch)] = []
        var time = start
        var attempt = 0
        while time <= end {
            while let batch = queue.next(at: time) {
                let result = answer(batch, attempt)
                attempt += 1
                queue.settle(batch, result, at: time)
                sent.append((time, batch))
            }
            time += step
        }
        return sent
    }

    @Test func criticalFirstThenOldestAtOneSendPerChatPerSecond() {
        var queue = OutboxQueue(mergeLimit: 10)  // small: no merging of these
        queue.enqueue(OutgoingMessage(id: 1, chatID: 7, text: "entry BTC"))
        queue.enqueue(OutgoingMessage(id: 2, chatID: 7, text: "exit BTC"))
        queue.enqueue(OutgoingMessage(id: 3, chatID: 7, text: "STOP FAILED", priority: .critical))
        queue.enqueue(OutgoingMessage(id: 4, chatID: 8, text: "other chat"))
        let sent = Self.drain(&queue, from: 0, to: 3_000)
        #expect(sent.map(\.batch.ids) == [[3], [4], [1], [2]], "the critical alert first; another chat is not held back")
        #expect(sent.map(\.time) == [0, 0, 1_000, 2_000], "one a second per chat")
        #expect(queue.count == 0)
    }

    @Test func aBurstIsMergedIntoOneMessageUpToTheLimit() {
        var queue = OutboxQueue(mergeLimit: 20)
        for id in 1...5 { queue.enqueue(OutgoingMessage(id: Int64(id), chatID: 7, text: "alert \(id)")) }  // 7 characters each
        let sent = Self.drain(&queue, from: 0, to: 2_000)
        #expect(sent.map(\.batch.ids) == [[1, 2], [3, 4], [5]] && sent.first?.batch.text == "alert 1\nalert 2")
    }

    @Test func aRateLimitThenSuccessDeliversExactlyOnceInOrder() {
        var queue = OutboxQueue(mergeLimit: 5)
        queue.enqueue(OutgoingMessage(id: 1, chatID: 7, text: "one"))
        queue.enqueue(OutgoingMessage(id: 2, chatID: 7, text: "two"))
        let sent = Self.drain(&queue, from: 0, to: 10_000) { _, attempt in attempt == 0 ? .retryAfter(seconds: 3) : .delivered }
        #expect(sent.map(\.batch.ids) == [[1], [1], [2]], "the first again after the wait, then the second")
        #expect(sent.map(\.time) == [0, 3_000, 4_000], "nothing to the chat before retry_after")
    }

    @Test func serverErrorsBackOffAndARefusalIsDroppedNotRetried() {
        var queue = OutboxQueue(mergeLimit: 5)
        queue.enqueue(OutgoingMessage(id: 1, chatID: 7, text: "bad"))
        queue.enqueue(OutgoingMessage(id: 2, chatID: 8, text: "flaky"))
        let sent = Self.drain(&queue, from: 0, to: 10_000) { batch, _ in
            batch.ids == [1] ? .refused("Bad Request: can't parse entities") : .unavailable
        }
        #expect(sent.filter { $0.batch.ids == [1] }.count == 1, "a 400 is never sent again")
        #expect(sent.filter { $0.batch.ids == [2] }.map(\.time) == [0, 1_000, 3_000, 7_000], "1 s, 2 s, 4 s between attempts")
        #expect(queue.count == 1 && queue.nextTime() == 15_000, "then 8 s: \(String(describing: queue.nextTime()))")
    }

    @Test func aRefusedMergedSendIsSentAgainOneByOneAndOnlyTheBadPartIsDropped() {
        var queue = OutboxQueue(mergeLimit: 100)
        for (id, text) in [(1, "fine"), (2, "<b>broken"), (3, "also fine")] { queue.enqueue(OutgoingMessage(id: Int64(id), chatID: 7, text: text)) }
        var refused: [[Int64]] = []
        let sent = Self.drain(&queue, from: 0, to: 10_000) { batch, _ in
            guard batch.text.contains("<b>broken") else { return .delivered }
            refused.append(batch.ids)
            return .refused("Bad Request: can't parse entities")
        }
        #expect(sent.map(\.batch.ids) == [[1, 2, 3], [1], [2], [3]], "merged, refused, then one by one")
        #expect(refused == [[1, 2, 3], [2]], "only the bad message is dropped")
        #expect(queue.count == 0)
    }

    @Test func aChatsMessagesKeepTheirOrderThroughABackoff() {
        var queue = OutboxQueue(mergeLimit: 5)
        queue.enqueue(OutgoingMessage(id: 1, chatID: 7, text: "first"))
        queue.enqueue(OutgoingMessage(id: 2, chatID: 7, text: "second"))
        let sent = Self.drain(&queue, from: 0, to: 5_000) { batch, attempt in attempt == 0 ? .unavailable : .delivered }
        #expect(sent.map(\.batch.ids) == [[1], [1], [2]], "the second waits for the first")
        #expect(sent.map(\.time) == [0, 1_000, 2_000])
    }

    @Test func aRestartSendsWhatWasStoredInTheSameOrder() {
        let stored = [OutgoingMessage(id: 5, chatID: 7, text: "later"), OutgoingMessage(id: 2, chatID: 7, text: "halt", priority: .critical),
                      OutgoingMessage(id: 3, chatID: 7, text: "earlier")]
        var queue = OutboxQueue(mergeLimit: 5, stored: stored)
        #expect(Self.drain(&queue, from: 0, to: 5_000).map(\.batch.ids) == [[2], [3], [5]])
        #expect(queue.next(at: 10_000) == nil && queue.nextTime() == nil)
    }
}

import Foundation

/// Runs `produce` on its own thread and `consume` on the caller's, handing items over through a queue of
/// at most `depth` items: reading and parsing the next batch overlaps with storing the current one, and
/// memory stays bounded. An error on either side stops both and is rethrown here.
func pipelined<Item: Sendable>(
    depth: Int = 2,
    produce: @escaping @Sendable (_ emit: (Item) throws -> Void) throws -> Void,
    consume: (Item) throws -> Void
) throws {
    let queue = HandOffQueue<Item>(depth: depth)
    let producer = Thread {
        do {
            try produce { item in try queue.put(item) }
            queue.finish(nil)
        } catch {
            queue.finish(error)
        }
    }
    producer.stackSize = 1 << 22
    producer.start()
    do {
        while let item = try queue.take() { try consume(item) }
    } catch {
        queue.cancel()
        queue.waitUntilProducerStopped()
        throw error
    }
}

/// A bounded single-producer, single-consumer queue.
private final class HandOffQueue<Item: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Item] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private let depth: Int

    init(depth: Int) { self.depth = depth }

    struct Cancelled: Error {}

    func put(_ item: Item) throws {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= depth && !cancelled { condition.wait() }
        if cancelled { throw Cancelled() }
        items.append(item)
        condition.broadcast()
    }

    func finish(_ error: (any Error)?) {
        condition.lock()
        finished = true
        if !(error is Cancelled) { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    /// The next item, nil at the end; rethrows the producer's error.
    func take() throws -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished { condition.wait() }
        if !items.isEmpty {
            let item = items.removeFirst()
            condition.broadcast()
            return item
        }
        if let failure { throw failure }
        return nil
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    func waitUntilProducerStopped() {
        condition.lock()
        while !finished { condition.wait() }
        condition.unlock()
    }
}

/// Calls `body` for every item, at most `width` at once, and returns the results in the items' order.
/// For work that waits on child processes (training workers, pipeline stages, benchmark trials).
public func boundedConcurrentMap<Item: Sendable, Output: Sendable>(_ items: [Item], width: Int,
                                                            _ body: @escaping @Sendable (Item) async -> Output) async -> [Output] {
    await withTaskGroup(of: (Int, Output).self) { group in
        var results = [Output?](repeating: nil, count: items.count)
        var next = 0
        func startNext() {
            guard next < items.count else { return }
            let index = next
            next += 1
            group.addTask { (index, await body(items[index])) }
        }
        for _ in 0..<max(1, width) { startNext() }
        while let (index, output) = await group.next() {
            results[index] = output
            startNext()
        }
        return results.map { $0! }
    }
}

import MarketModel

extension BitGetVenue {
    /// Runs `body` while no other call for `symbol` runs, callers served in arrival order. An actor is
    /// reentrant at every `await`, so without this two commands for one symbol could interleave (an entry
    /// and a reconciliation's flatten, say). The lock is handed from one caller to the next without being
    /// released, so no newcomer overtakes a waiter. Not reentrant: a wrapped method never calls another.
    /// A caller cancelled while it waited gives the lock on without running.
    func exclusively<T>(_ symbol: Symbol, _ body: () async throws -> T) async throws -> T {
        if busySymbols.contains(symbol) {
            await withCheckedContinuation { waitingForSymbol[symbol, default: []].append($0) }  // resumed as the owner
        } else {
            busySymbols.insert(symbol)
        }
        defer { handOn(symbol) }
        try Task.checkCancellation()
        return try await body()
    }

    private func handOn(_ symbol: Symbol) {
        if let next = waitingForSymbol[symbol]?.first {
            waitingForSymbol[symbol]?.removeFirst()
            next.resume()
        } else {
            busySymbols.remove(symbol)
        }
    }
}

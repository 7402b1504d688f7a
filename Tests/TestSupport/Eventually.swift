/// Waits, in steps of `interval` and at most `timeout`, until `condition` holds; returns whether it did.
/// For states another process or task reaches (a file appears, a lock is released); never a fixed
/// sleep, and never a blocked thread: each step is a `Task.sleep`.
public func eventually(timeout: Duration, interval: Duration = .milliseconds(50),
                       _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try condition()
}

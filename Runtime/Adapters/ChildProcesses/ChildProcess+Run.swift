import Foundation
import Subprocess

extension ChildProcess {
    /// Runs the child to completion and returns how it ended and what it printed. `input` is written to
    /// its standard input; `onOutputLine` sees every line of standard output as it arrives (a pipeline
    /// stage relays them), and every line is also collected. A child that cannot be started throws.
    public func run(input: String? = nil, onOutputLine: (@Sendable (String) async -> Void)? = nil) async throws -> ChildProcessResult {
        let collected = OutputCollector()
        let outcome = try await Subprocess.run(configuration, input: .inputWriter, output: .sequence, error: .sequence) { execution in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await buffer in execution.standardOutput {
                        for line in buffer.withUnsafeBytes({ collected.add(output: $0) }) { await onOutputLine?(line) }
                    }
                    if let last = collected.finishOutput() { await onOutputLine?(last) }
                }
                group.addTask {
                    for try await buffer in execution.standardError { buffer.withUnsafeBytes { collected.add(error: $0) } }
                }
                group.addTask {
                    if let input { _ = try await execution.standardInputWriter.write(input) }
                    try await execution.standardInputWriter.finish()
                }
                try await group.waitForAll()
            }
        }
        return ChildProcessResult(outcome.terminationStatus, output: collected.output, error: collected.error)
    }

    /// Starts the child and runs `body` while it runs: `body` may read its output lines as they arrive,
    /// signal it, and wait for conditions. When `body` returns, throws or is cancelled, a child still
    /// running is stopped (SIGTERM, then SIGKILL after `stopGracePeriod`) and waited for, so no process
    /// outlives the call. Returns `body`'s value and how the child ended.
    public func withRunning<Value: Sendable>(_ body: (RunningChild) async throws -> Value) async throws -> (value: Value, result: ChildProcessResult) {
        let collected = OutputCollector()
        let grace = stopGracePeriod
        let outcome = try await Subprocess.run(configuration, input: .none, output: .sequence, error: .sequence) { execution in
            let (lines, continuation) = AsyncStream.makeStream(of: String.self)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { continuation.finish() }
                    for try await buffer in execution.standardOutput {
                        for line in buffer.withUnsafeBytes({ collected.add(output: $0) }) { continuation.yield(line) }
                    }
                    if let last = collected.finishOutput() { continuation.yield(last) }
                }
                group.addTask {
                    for try await buffer in execution.standardError { buffer.withUnsafeBytes { collected.add(error: $0) } }
                }
                let child = RunningChild(processIdentifier: execution.processIdentifier.value, outputLines: lines) { signal in
                    try? execution.send(signal: Signal(rawValue: signal))
                }
                let value: Value
                do {
                    value = try await body(child)
                } catch {
                    await execution.teardown(using: [.gracefulShutDown(allowedDurationToNextStep: grace)])
                    throw error
                }
                if child.isRunning { await execution.teardown(using: [.gracefulShutDown(allowedDurationToNextStep: grace)]) }
                try await group.waitForAll()
                return value
            }
        }
        return (outcome.closureResult, ChildProcessResult(outcome.terminationStatus, output: collected.output, error: collected.error))
    }
}

/// A child while `withRunning` runs it.
public struct RunningChild: Sendable {
    public let processIdentifier: Int32
    /// Lines of standard output as they arrive (buffered, so unread lines never stall the child); ends
    /// when the child closes its standard output.
    public let outputLines: AsyncStream<String>
    let signal: @Sendable (Int32) -> Void

    /// Sends `signal` (e.g. `SIGKILL`) to the child.
    public func send(signal: Int32) { self.signal(signal) }

    /// Whether the process is still alive (not exited, not a zombie awaiting collection).
    public var isRunning: Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(processIdentifier)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// Waits for the first output line that satisfies `matches` (nil when the output ends first).
    public func firstLine(where matches: (String) -> Bool) async -> String? {
        for await line in outputLines where matches(line) { return line }
        return nil
    }

    /// Waits until the child has ended by itself (its output closed and the process gone), at most
    /// `timeout`; returns whether it ended.
    public func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        let lines = outputLines
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in lines {} }  // the output ends when the child does
            group.addTask { try? await Task.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
        return await wait(timeout: max(.zero, deadline - ContinuousClock.now), interval: .milliseconds(20)) { !isRunning }
    }

    /// Waits (in steps of `interval`, at most `timeout`) until `condition` holds or the child has
    /// exited; returns whether the condition held.
    public func wait(timeout: Duration, interval: Duration = .milliseconds(50),
                     until condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            if !isRunning { return try condition() }
            try? await Task.sleep(for: interval)
        }
        return try condition()
    }
}

import Foundation
import Synchronization

/// Runs `pipeline <subcommand>` as a child process: its output lines are relayed with a label, JSON lines
/// (summaries) are collected, and the last error line is kept for the record.
enum ChildProcess {
    struct Result: Sendable {
        var status: Int32
        var killedBySignal: Bool
        var summaries: [String]
        var errorText: String

        var succeeded: Bool { status == 0 && !killedBySignal }
        /// The last line of standard error, or how the process ended.
        var failure: String {
            errorText.split(separator: "\n").last.map(String.init)
                ?? (killedBySignal ? "killed by signal \(status)" : "exit status \(status)")
        }
    }

    static let printLock = Mutex(())

    /// Prints a line without interleaving with other relayed lines.
    static func say(_ line: String) {
        printLock.withLock { _ in
            print(line)
            fflush(nil)  // relayed lines keep their order with the children's and with stderr, even into a pipe
        }
    }

    /// Runs this executable with `arguments`. Children stop by themselves when this process dies
    /// (`TRADER_PARENT_WATCH`), and use one OpenBLAS thread each.
    static func run(_ arguments: [String], label: String, relayErrors: Bool = true) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: currentExecutable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        environment["TRADER_PARENT_WATCH"] = "1"
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            return Result(status: -1, killedBySignal: false, summaries: [], errorText: "cannot start \(currentExecutable): \(error)")
        }
        let errorText = Mutex("")
        let errorsRead = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            errorText.withLock { $0 = String(decoding: data, as: UTF8.self) }
            errorsRead.signal()
        }
        var summaries: [String] = []
        var pending = Data()
        while true {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending = Data(pending[(newline + 1)...])
                if line.hasPrefix("{") { summaries.append(line) } else { say(label.isEmpty ? line : "[\(label)] \(line)") }
            }
        }
        process.waitUntilExit()
        errorsRead.wait()
        let text = errorText.withLock { $0 }.trimmingCharacters(in: .whitespacesAndNewlines)
        // Structured log lines on stderr are for the log file, not the terminal.
        let problems = text.split(separator: "\n").filter { !$0.hasPrefix("{\"ts\"") }.joined(separator: "\n")
        if relayErrors, !problems.isEmpty, process.terminationStatus != 0 || process.terminationReason == .uncaughtSignal {
            say(problems.split(separator: "\n").map { label.isEmpty ? String($0) : "[\(label)] \($0)" }.joined(separator: "\n"))
        }
        return Result(status: process.terminationStatus, killedBySignal: process.terminationReason == .uncaughtSignal,
                      summaries: summaries, errorText: problems)
    }

    /// This executable's path, so children run the same build.
    static let currentExecutable: String = {
        var buffer = [CChar](repeating: 0, count: 4_096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return length > 0 ? String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }()

    /// Decodes summary lines to string dictionaries (numbers as text).
    static func fields(_ line: String) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return [:] }
        return object.mapValues { value in
            if let text = value as? String { return text }
            if value is NSNull { return "" }
            return "\(value)"
        }
    }
}

/// Prints a stage's JSON summary line: what `pipeline run` records as the stage's outputs.
func printSummaryLine(_ fields: [String: Any]) throws {
    print(String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
}

/// Calls `body` for every item on its own thread, at most `width` at once, and returns the results in
/// the items' order. For work that blocks on child processes (training workers, pipeline stages).
func boundedParallelMap<Item: Sendable, Output: Sendable>(_ items: [Item], width: Int,
                                                          _ body: @escaping @Sendable (Item) -> Output) -> [Output] {
    let results = Mutex([Output?](repeating: nil, count: items.count))
    let slots = DispatchSemaphore(value: max(1, width))
    let group = DispatchGroup()
    for (index, item) in items.enumerated() {
        slots.wait()
        group.enter()
        Thread.detachNewThread {
            let output = body(item)
            results.withLock { $0[index] = output }
            slots.signal()
            group.leave()
        }
    }
    group.wait()
    return results.withLock { $0 }.map { $0! }
}

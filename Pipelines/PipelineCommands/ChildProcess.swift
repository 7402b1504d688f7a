import ChildProcesses
import Foundation
import Synchronization

/// Runs `pipeline <subcommand>` as a child process (a stage or a training worker) through the project's
/// process runner: its output lines are relayed with a label, JSON lines (summaries) are collected, and
/// the last error line is kept for the record. Awaiting it holds no cooperative thread.
enum StageProcess {
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
    static func run(_ arguments: [String], label: String, relayErrors: Bool = true) async -> Result {
        let command = ChildProcess(ChildProcess.currentExecutable, arguments,
                                   environment: .inherit(["OPENBLAS_NUM_THREADS": "1", "TRADER_PARENT_WATCH": "1"]))
        let summaries = Mutex<[String]>([])
        let result: ChildProcessResult
        do {
            result = try await command.run { line in
                if line.hasPrefix("{") { summaries.withLock { $0.append(line) } } else { say(label.isEmpty ? line : "[\(label)] \(line)") }
            }
        } catch {
            return Result(status: -1, killedBySignal: false, summaries: [], errorText: "cannot start \(command.executable): \(error)")
        }
        let text = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        // Structured log lines on stderr are for the log file, not the terminal.
        let problems = text.split(separator: "\n").filter { !$0.hasPrefix("{\"ts\"") }.joined(separator: "\n")
        if relayErrors, !problems.isEmpty, !result.succeeded {
            say(problems.split(separator: "\n").map { label.isEmpty ? String($0) : "[\(label)] \($0)" }.joined(separator: "\n"))
        }
        return Result(status: result.status, killedBySignal: result.killedBySignal, summaries: summaries.withLock { $0 },
                      errorText: problems)
    }

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

import Foundation
import Subprocess
import Synchronization

/// A child process to start: the one process runner of the project (pipeline stages, training workers,
/// the trader's retrain trigger, benchmarks, tests). Built on swift-subprocess, whose waits and pipe I/O
/// run on its own monitor threads: awaiting a child never blocks a thread of Swift's cooperative pool.
public struct ChildProcess: Sendable {
    /// How the child's environment is made.
    public enum Environment: Sendable {
        /// This process's environment with these variables added or replaced.
        case inherit([String: String])
        /// Exactly these variables.
        case exactly([String: String])
    }

    /// An absolute path, or a name looked up on `PATH`.
    public var executable: String
    public var arguments: [String]
    public var environment: Environment
    /// nil: this process's working directory.
    public var workingDirectory: String?
    /// After a body returns (or throws, or is cancelled), SIGTERM, then SIGKILL after this long.
    public var stopGracePeriod: Duration = .seconds(5)

    public init(_ executable: String, _ arguments: [String] = [], environment: Environment = .inherit([:]),
                workingDirectory: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// This executable's own path (`/proc/self/exe`), so children run the same build.
    public static let currentExecutable: String = {
        var buffer = [CChar](repeating: 0, count: 4_096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return length > 0 ? String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }()

    var configuration: Configuration {
        let executable: Executable = self.executable.contains("/") ? .path(.init(self.executable)) : .name(self.executable)
        let environment: Subprocess.Environment = switch self.environment {
        case let .inherit(updates): .inherit.updating(Dictionary(uniqueKeysWithValues: updates.compactMap { key, value in
            Subprocess.Environment.Key(rawValue: key).map { ($0, Optional(value)) } }))
        case let .exactly(values): .custom(Dictionary(uniqueKeysWithValues: values.compactMap { key, value in
            Subprocess.Environment.Key(rawValue: key).map { ($0, value) } }))
        }
        var options = PlatformOptions()
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: stopGracePeriod)]
        return Configuration(executable: executable, arguments: Arguments(arguments), environment: environment,
                             workingDirectory: workingDirectory.map { .init($0) }, platformOptions: options)
    }

    /// What a command printed, for messages: the executable and arguments.
    public var commandLine: String { ([executable] + arguments).joined(separator: " ") }
}

/// How a child ended and what it printed.
public struct ChildProcessResult: Sendable {
    /// The exit status, or the number of the signal that ended it.
    public var status: Int32
    public var killedBySignal: Bool
    public var standardOutput: String
    public var standardError: String

    public var succeeded: Bool { status == 0 && !killedBySignal }
    /// Both streams, for searching.
    public var combined: String { standardOutput + standardError }

    init(_ termination: TerminationStatus, output: String, error: String) {
        switch termination {
        case let .exited(code): (status, killedBySignal) = (code, false)
        case let .signaled(signal): (status, killedBySignal) = (signal, true)
        }
        standardOutput = output
        standardError = error
    }

    /// The last line of standard error, or how the process ended.
    public var failure: String {
        standardError.split(separator: "\n").last.map(String.init)
            ?? (killedBySignal ? "killed by signal \(status)" : "exit status \(status)")
    }
}

/// A child's standard output and error as they arrive, byte for byte, cut into lines for whoever
/// follows the output.
final class OutputCollector: Sendable {
    private struct State {
        var output: [UInt8] = []
        var error: [UInt8] = []
        /// Where the next unreported line of standard output starts.
        var lineStart = 0
    }

    private let state = Mutex(State())

    /// Appends bytes of standard output; returns the lines they completed (without the newline).
    func add(output bytes: UnsafeRawBufferPointer) -> [String] {
        state.withLock { state in
            state.output.append(contentsOf: bytes)
            var lines: [String] = []
            while let newline = state.output[state.lineStart...].firstIndex(of: 0x0A) {
                lines.append(String(decoding: state.output[state.lineStart..<newline], as: UTF8.self))
                state.lineStart = newline + 1
            }
            return lines
        }
    }

    /// The unterminated last line of standard output, if any (once the output has ended).
    func finishOutput() -> String? {
        state.withLock { state in
            guard state.lineStart < state.output.count else { return nil }
            defer { state.lineStart = state.output.count }
            return String(decoding: state.output[state.lineStart...], as: UTF8.self)
        }
    }

    func add(error bytes: UnsafeRawBufferPointer) { state.withLock { $0.error.append(contentsOf: bytes) } }
    var output: String { state.withLock { String(decoding: $0.output, as: UTF8.self) } }
    var error: String { state.withLock { String(decoding: $0.error, as: UTF8.self) } }
}

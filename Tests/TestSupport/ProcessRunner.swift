import ChildProcesses
import Foundation

/// What a command run by a test printed, and how it ended.
public typealias CommandResult = ChildProcessResult

/// Runs this package's executables as child processes (through the project's one process runner), so
/// tests wait for them without holding a thread of the cooperative pool.
public enum ProcessRunner {
    /// The directory holding the built products (the test bundle's directory).
    public static var productsDirectory: String {
        let bundle = Bundle.main.bundleURL
        if FileManager.default.fileExists(atPath: bundle.appendingPathComponent("pipeline").path) { return bundle.path }
        return URL(fileURLWithPath: TestEnvironment.packageRoot).appendingPathComponent(".build/debug").path
    }

    /// `executable` of this package, ready to run in `directory`. With `replaceEnvironment`, the child
    /// gets only `PATH` and `environment` (so no `DB_URL` or exchange variable leaks in from the shell).
    public static func command(_ executable: String, _ arguments: [String], in directory: String? = nil,
                               environment: [String: String] = [:], replaceEnvironment: Bool = false) -> ChildProcess {
        var values = environment
        if replaceEnvironment {
            for key in ["PATH", "TMPDIR", "OPENBLAS_NUM_THREADS"] where values[key] == nil {
                if let value = ProcessInfo.processInfo.environment[key] { values[key] = value }
            }
        }
        return ChildProcess(productsDirectory + "/" + executable, arguments,
                            environment: replaceEnvironment ? .exactly(values) : .inherit(values), workingDirectory: directory)
    }

    /// Runs `executable arguments…` in `directory` to completion.
    public static func run(_ executable: String, _ arguments: [String], in directory: String,
                           environment: [String: String] = [:], replaceEnvironment: Bool = false) async throws -> CommandResult {
        try await command(executable, arguments, in: directory, environment: environment, replaceEnvironment: replaceEnvironment).run()
    }
}

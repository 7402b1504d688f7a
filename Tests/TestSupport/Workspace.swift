import ChildProcesses
import Foundation

/// A throwaway working directory for running the executables end to end: the repository's configuration
/// copied to `config/`. It lives in the test's scratch directory and is deleted with it.
public struct Workspace: Sendable {
    public let directory: String
    public let configuration: ConfigurationFixture

    public init() throws {
        directory = TestEnvironment.temporaryDirectory("workspace")
        configuration = try ConfigurationFixture()
        try FileManager.default.moveItem(atPath: configuration.directory, toPath: directory + "/config")
    }

    /// Edits a configuration file of the workspace.
    public func configurationFile(_ file: String, replacing old: String, with new: String) throws {
        let path = directory + "/config/" + file
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard text.contains(old) else { throw TestSetupError("workspace edit: \(old) not found in \(file)") }
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// `pipeline arguments…` here. `DB_URL` and the exchange variables come only from `environment`.
    public func command(_ arguments: [String], environment: [String: String] = [:]) -> ChildProcess {
        ProcessRunner.command("pipeline", arguments, in: directory, environment: environment, replaceEnvironment: true)
    }

    /// Runs `pipeline arguments…` here to completion.
    public func pipeline(_ arguments: String..., environment: [String: String] = [:]) async throws -> CommandResult {
        try await pipeline(arguments, environment: environment)
    }

    public func pipeline(_ arguments: [String], environment: [String: String] = [:]) async throws -> CommandResult {
        try await command(arguments, environment: environment).run()
    }

    /// `trader arguments…` here, with only `environment` (and `PATH`) as its environment.
    public func trader(_ arguments: [String], environment: [String: String] = [:]) -> ChildProcess {
        ProcessRunner.command("trader", arguments, in: directory, environment: environment, replaceEnvironment: true)
    }

    public func path(_ relative: String) -> String { directory + "/" + relative }

    /// Writes the first `lines` data rows of a shared dataset file (and its header) into the workspace,
    /// returning the copy's path: history up to a point, for a simulator that serves the rest.
    public func datasetPrefix(_ file: String, rows lines: Int, as name: String) throws -> String {
        let text = try String(contentsOfFile: TestEnvironment.dataset(file), encoding: .utf8)
        let kept = text.split(separator: "\n", omittingEmptySubsequences: true).prefix(lines + 1)
        let path = self.path(name)
        try (kept.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

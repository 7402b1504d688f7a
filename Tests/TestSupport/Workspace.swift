import Foundation

/// A throwaway working directory for running the executables end to end: the repository's configuration
/// copied to `config/`, with the migrations path pointing back at the repository.
public struct Workspace: Sendable {
    public let directory: String
    public let configuration: ConfigurationFixture

    public init() throws {
        directory = TestEnvironment.temporaryDirectory("workspace")
        configuration = try ConfigurationFixture()
        try FileManager.default.moveItem(atPath: configuration.directory, toPath: directory + "/config")
        try configurationFile("system/paths.yaml", replacing: "migrations: db/migrations",
                              with: "migrations: \(TestEnvironment.migrationsDirectory)")
    }

    /// Edits a configuration file of the workspace.
    public func configurationFile(_ file: String, replacing old: String, with new: String) throws {
        let path = directory + "/config/" + file
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard text.contains(old) else { throw TestSetupError("workspace edit: \(old) not found in \(file)") }
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Runs `pipeline arguments…` here. `DB_URL` and the exchange variables come only from `environment`.
    public func pipeline(_ arguments: String..., environment: [String: String] = [:]) throws -> CommandResult {
        try pipeline(arguments, environment: environment)
    }

    public func pipeline(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try ProcessRunner.run("pipeline", arguments, in: directory, environment: environment, replaceEnvironment: true)
    }

    public func path(_ relative: String) -> String { directory + "/" + relative }
}

import TraderConfiguration
import Foundation

/// Copies the repository's configuration to a temporary directory and lets a test edit files in it.
public struct ConfigurationFixture: Sendable {
    public let directory = TestEnvironment.temporaryDirectory("config")

    public init() throws {
        for file in PipelineConfiguration.files + [".env.example"] {
            let source = TestEnvironment.configDirectory + "/" + file
            let destination = directory + "/" + file
            try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: source, toPath: destination)
        }
    }

    /// Deletes the directory.
    public func remove() { TestEnvironment.remove(directory) }

    public func write(_ file: String, _ text: String) throws {
        try text.write(toFile: directory + "/" + file, atomically: true, encoding: .utf8)
    }

    public func replace(in file: String, _ old: String, with new: String) throws {
        let path = directory + "/" + file
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard text.contains(old) else { throw TestSetupError("fixture edit: \(old) not found in \(file)") }
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
    }

    public func load(environment: [String: String] = [:]) throws(ConfigurationError) -> PipelineConfiguration {
        try PipelineConfiguration.load(directory: directory, environment: environment)
    }

    /// The issues of a load that must fail.
    public func issues(environment: [String: String] = [:]) -> [String] {
        do {
            _ = try load(environment: environment)
            return ["(the configuration was expected to be invalid, but it loaded)"]
        } catch {
            return error.issues.map(\.description)
        }
    }
}


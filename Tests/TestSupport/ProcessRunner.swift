import Foundation

/// Runs one of this package's executables as a child process and captures its output.
public struct CommandResult: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
    /// Both streams, for searching.
    public var combined: String { standardOutput + standardError }
}

public enum ProcessRunner {
    /// The directory holding the built products (the test bundle's directory).
    public static var productsDirectory: String {
        let bundle = Bundle.main.bundleURL
        if FileManager.default.fileExists(atPath: bundle.appendingPathComponent("pipeline").path) { return bundle.path }
        return URL(fileURLWithPath: TestEnvironment.packageRoot).appendingPathComponent(".build/debug").path
    }

    /// Runs `executable arguments…` in `directory` with `environment` added to (or replacing) the
    /// process's own.
    public static func run(_ executable: String, _ arguments: [String], in directory: String,
                           environment: [String: String] = [:], replaceEnvironment: Bool = false) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: productsDirectory + "/" + executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var merged = replaceEnvironment ? [:] : ProcessInfo.processInfo.environment
        if replaceEnvironment, let path = ProcessInfo.processInfo.environment["PATH"] { merged["PATH"] = path }
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both pipes before waiting, so a full pipe never blocks the child.
        let readGroup = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        readGroup.enter()
        DispatchQueue.global().async {
            errorData = error.fileHandleForReading.readDataToEndOfFile()
            readGroup.leave()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        readGroup.wait()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
                             standardError: String(decoding: errorData, as: UTF8.self))
    }
}

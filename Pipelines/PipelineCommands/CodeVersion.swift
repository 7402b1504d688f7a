import Foundation

/// The version of the code that produced an artifact: `$TRADER_CODE_VERSION` when set (release builds,
/// containers), else `git describe --always --dirty` of the working directory, else the package version.
enum CodeVersion {
    static let package = "0.1.0"

    static let current: String = {
        if let value = ProcessInfo.processInfo.environment["TRADER_CODE_VERSION"], !value.isEmpty { return value }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "describe", "--always", "--dirty", "--tags"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if process.terminationStatus == 0, !text.isEmpty { return "\(package)+\(text)" }
        } catch {}
        return package
    }()
}

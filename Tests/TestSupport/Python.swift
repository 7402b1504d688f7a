import Foundation

/// Runs a Python 3 script (scripts/setup installs numpy, h5py and safetensors) for cross-checks.
public enum Python {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `script` with `arguments` and returns its standard output; throws with its standard error.
    public static func run(_ script: String, _ arguments: [String] = []) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        nonisolated(unsafe) var errorData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errorData = errors.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "python3 failed (scripts/setup installs numpy, h5py, safetensors): " + String(decoding: errorData, as: UTF8.self))
        }
        return data
    }

    /// Runs `script` and decodes its standard output as a JSON object.
    public static func json(_ script: String, _ arguments: [String] = []) throws -> [String: Any] {
        let data = try run(script, arguments)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Failure(description: "python3 printed no JSON object: " + String(decoding: data, as: UTF8.self))
        }
        return object
    }
}

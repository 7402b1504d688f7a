import ChildProcesses
import Foundation

/// Runs Python 3 for cross-checks (h5py, safetensors, numpy read what the Swift code wrote). The
/// interpreter is `$TRADER_PYTHON`, else the project's `.venv` that `scripts/setup` fills from
/// `scripts/requirements-tests.txt`, else `python3` on `PATH`.
public enum Python {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The interpreter the cross-checks use.
    public static var interpreter: String {
        if let path = ProcessInfo.processInfo.environment["TRADER_PYTHON"], !path.isEmpty { return path }
        let venv = TestEnvironment.packageRoot + "/.venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }

    /// Runs `script` with `arguments` and returns its standard output; throws with its standard error.
    public static func run(_ script: String, _ arguments: [String] = []) async throws -> Data {
        let result = try await ChildProcess(interpreter, ["-c", script] + arguments).run()
        guard result.succeeded else {
            throw Failure(description: "\(interpreter) failed (scripts/setup installs scripts/requirements-tests.txt into .venv): "
                + result.standardError)
        }
        return Data(result.standardOutput.utf8)
    }

    /// Runs `script` and decodes its standard output as a JSON object.
    public static func json(_ script: String, _ arguments: [String] = []) async throws -> [String: Any] {
        let data = try await run(script, arguments)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Failure(description: "python printed no JSON object: " + String(decoding: data, as: UTF8.self))
        }
        return object
    }
}

import ChildProcesses
import Foundation

/// `bitget-sim` running as a child process on a free port, for the duration of a closure.
public struct SimulatorProcess: Sendable {
    public let port: Int

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var webSocketURL: String { "ws://127.0.0.1:\(port)/v2/ws/public" }

    /// Starts `bitget-sim --port 0 arguments…`, waits for it to report its port, runs `body`, and stops the
    /// simulator when `body` ends (returns or throws): no simulator outlives the test.
    public static func with<Value: Sendable>(_ arguments: [String], _ body: (SimulatorProcess) async throws -> Value) async throws -> Value {
        let command = ProcessRunner.command("bitget-sim", ["--port", "0"] + arguments)
        let (value, result) = try await command.withRunning { child -> Value? in
            guard let line = await child.firstLine(where: { $0.contains("listening on http://127.0.0.1:") }),
                  let range = line.range(of: "listening on http://127.0.0.1:"),
                  let port = Int(line[range.upperBound...].prefix { $0.isNumber })
            else { return nil }
            return try await body(SimulatorProcess(port: port))
        }
        guard let value else { throw TestSetupError("bitget-sim did not start: \(result.combined.suffix(2_000))") }
        return value
    }
}

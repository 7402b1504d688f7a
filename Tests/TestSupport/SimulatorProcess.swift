import Foundation

/// `bitget-sim` started as a child process on a free port; `stop()` terminates it.
public final class SimulatorProcess: @unchecked Sendable {
    public let port: Int
    private let process: Process

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var webSocketURL: String { "ws://127.0.0.1:\(port)/v2/ws/public" }

    /// Starts `bitget-sim --port 0 arguments…` and waits (up to a minute) for it to report its port.
    public init(_ arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessRunner.productsDirectory + "/bitget-sim")
        process.arguments = ["--port", "0"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: "listening on http://127.0.0.1:"),
               let port = Int(text[range.upperBound...].prefix { $0.isNumber }) {
                self.port = port
                return
            }
        }
        process.terminate()
        throw TestSetupError("bitget-sim did not start: \(text)")
    }

    public func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }
}

import ChildProcesses
import Foundation

/// Runs this executable again with other arguments and measures the child: its own timing, the wall
/// time, and its peak resident memory, which the child reports itself (`VmHWM` at its end) on the
/// same line as its timing: `SECONDS PEAK_MB`.
struct ChildRun {
    var innerSeconds: Double
    var wallSeconds: Double
    var peakMegabytes: Double

    static func measure(_ arguments: [String]) async throws -> ChildRun {
        let started = Date()
        let result = try await ChildProcess(ChildProcess.currentExecutable, arguments).run()
        let wall = Date().timeIntervalSince(started)
        let fields = result.standardOutput.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        guard result.succeeded, fields.count == 2 else {
            throw BenchError("child \(arguments.joined(separator: " ")) failed (status \(result.status)): \(result.combined)")
        }
        return ChildRun(innerSeconds: fields[0], wallSeconds: wall, peakMegabytes: fields[1])
    }

    /// What a measured child prints last: its timing and its own peak resident memory.
    static func report(seconds: Double) {
        Swift.print("\(seconds) \(peakResidentMegabytes(pid: "self") ?? 0)")
    }

    /// `VmHWM` of a process (`self` or a pid), MB.
    static func peakResidentMegabytes(pid: String) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes / 1_024
    }

    func print(label: String, rows: Int) {
        Swift.print(String(format: "%@ %9.0f rows/s  (%.2f s import, %.2f s with start-up), peak memory %.0f MB",
                           label, Double(rows) / innerSeconds, innerSeconds, wallSeconds, peakMegabytes))
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

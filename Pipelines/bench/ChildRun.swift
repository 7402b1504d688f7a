import Foundation

/// Runs this executable again with other arguments and measures the child: its own timing line, the
/// wall time and its peak resident memory (from `wait4`).
struct ChildRun {
    var innerSeconds: Double
    var wallSeconds: Double
    var peakMegabytes: Double

    static func measure(_ arguments: [String]) throws -> ChildRun {
        let executable = CommandLine.arguments[0]
        let output = Pipe()
        var fileActions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_adddup2(&fileActions, output.fileHandleForWriting.fileDescriptor, 1)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let started = Date()
        let status = posix_spawn(&pid, executable, &fileActions, nil, argv, environ)
        guard status == 0 else { throw BenchError("cannot start \(executable): \(String(cString: strerror(status)))") }
        try output.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        var exitStatus: Int32 = 0
        var usage = rusage()
        wait4(pid, &exitStatus, 0, &usage)
        let wall = Date().timeIntervalSince(started)
        guard exitStatus == 0, let inner = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw BenchError("child \(arguments.joined(separator: " ")) failed (status \(exitStatus)): \(text)")
        }
        return ChildRun(innerSeconds: inner, wallSeconds: wall, peakMegabytes: Double(usage.ru_maxrss) / 1024)
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

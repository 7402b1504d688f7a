import Foundation
import MarketModel
import Synchronization

/// Where formatted lines go. Implementations are thread-safe.
protocol LogDestination: Sendable {
    /// Writes one line; `time` (seconds since 1970) picks the rotated file.
    func write(_ line: String, time: Double)
}

/// Standard error: command output on standard output stays clean for pipes.
struct StandardErrorDestination: LogDestination {
    func write(_ line: String, time: Double) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { buffer in _ = Foundation.write(2, buffer.baseAddress, buffer.count) }
    }
}

/// A file in the logs directory, `{prefix}-YYYY-MM-DD.log` with daily rotation (or `{prefix}.log`),
/// deleting rotated files older than `retainDays`.
final class RotatingFileDestination: LogDestination {
    private struct State {
        var openDay: String?
        var descriptor: Int32 = -1
    }

    let directory: String
    let prefix: String
    let daily: Bool
    let retainDays: Int
    private let state = Mutex(State())

    init(directory: String, prefix: String, daily: Bool, retainDays: Int) {
        self.directory = directory
        self.prefix = prefix
        self.daily = daily
        self.retainDays = retainDays
    }

    deinit {
        state.withLock { if $0.descriptor >= 0 { close($0.descriptor) } }
    }

    /// The file a line written at `time` goes to.
    func path(at time: Double) -> String {
        let day = UTCTime(milliseconds: Int64(time * 1000)).dayString
        return daily ? "\(directory)/\(prefix)-\(day).log" : "\(directory)/\(prefix).log"
    }

    func write(_ line: String, time: Double) {
        let day = daily ? UTCTime(milliseconds: Int64(time * 1000)).dayString : "-"
        state.withLock { state in
            if state.openDay != day || state.descriptor < 0 {
                if state.descriptor >= 0 { close(state.descriptor) }
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                state.descriptor = open(path(at: time), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
                state.openDay = day
                if daily { pruneOldFiles(today: day) }
            }
            guard state.descriptor >= 0 else { return }
            let bytes = Array((line + "\n").utf8)
            bytes.withUnsafeBytes { buffer in _ = Foundation.write(state.descriptor, buffer.baseAddress, buffer.count) }
        }
    }

    /// Deletes `{prefix}-YYYY-MM-DD.log` files whose day is more than `retainDays` before `today`.
    private func pruneOldFiles(today: String) {
        guard retainDays > 0, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        let cutoff = UTCTime(milliseconds: Int64(Date().timeIntervalSince1970 * 1000) - Int64(retainDays) * 86_400_000).dayString
        for name in names where name.hasPrefix(prefix + "-") && name.hasSuffix(".log") {
            let day = name.dropFirst(prefix.count + 1).dropLast(4)
            if day.count == 10, day < cutoff { try? FileManager.default.removeItem(atPath: directory + "/" + name) }
        }
    }
}

import ChildProcesses
import Foundation

extension RunningChild {
    /// Kills the child and every process under it at one instant, as a power cut or the OOM killer of a
    /// container would: the tree is frozen top-down with SIGSTOP (a stopped process starts no more
    /// children, and nothing in it runs on), then each is sent SIGKILL. A plain SIGKILL of the child
    /// leaves its children running until they notice (within a second), which can let them finish.
    public func killProcessTree() {
        var frozen: [Int32] = []
        var next = [processIdentifier]
        while let pid = next.popLast() {
            kill(pid, SIGSTOP)
            frozen.append(pid)
            next += Self.children(of: pid).filter { !frozen.contains($0) }
        }
        for pid in frozen { kill(pid, SIGKILL) }
    }

    /// The processes whose parent is `pid` (from `/proc/*/stat`).
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let child = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // After the command name: state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid ? child : nil
        }
    }
}

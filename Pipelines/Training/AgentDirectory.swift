import Foundation
import MarketModel
import Policy

/// Why an agent artifact or checkpoint could not be written.
public struct AgentWriteError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// Writes agent artifacts: `agents/{SYMBOL}/{version}/` appears complete or not at all (the files are
/// written and synced in a hidden temporary directory beside it, which is then renamed into place).
public enum AgentDirectory {
    /// A sortable, unique version: `20261126T104508123Z-s0` (UTC to the millisecond, then the seed).
    public static func version(at date: Date, seed: UInt64) -> String {
        let time = UTCTime(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
        return String(format: "%04d%02d%02dT%02d%02d%02d%03dZ-s%llu", time.year, time.month, time.day, time.hour, time.minute,
                      time.second, time.millisecond, seed)
    }

    /// The directory of `version` of `symbol`.
    public static func path(agentsDirectory: String, symbol: String, version: String) -> String {
        "\(agentsDirectory)/\(symbol)/\(version)"
    }

    /// Writes `artifact` to `agents/{symbol}/{version}/` atomically and returns the directory. An existing
    /// version is never overwritten.
    @discardableResult
    public static func write(_ artifact: AgentArtifact, agentsDirectory: String) throws -> String {
        let manifest = artifact.manifest
        let parent = "\(agentsDirectory)/\(manifest.symbol)"
        let destination = "\(parent)/\(manifest.version)"
        let manager = FileManager.default
        guard !manager.fileExists(atPath: destination) else {
            throw AgentWriteError(path: destination, reason: "already exists; versions are never overwritten")
        }
        let temporary = "\(parent)/.tmp-\(manifest.version)-\(getpid())"
        try? manager.removeItem(atPath: temporary)
        try manager.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        do {
            try writeSynced(artifact.policyData(), to: "\(temporary)/\(AgentArtifact.policyFile)")
            try writeSynced(manifest.encoded(), to: "\(temporary)/\(AgentArtifact.manifestFile)")
            guard rename(temporary, destination) == 0 else {
                throw AgentWriteError(path: destination, reason: "cannot rename \(temporary) into place: \(String(cString: strerror(errno)))")
            }
            syncDirectory(parent)
        } catch {
            try? manager.removeItem(atPath: temporary)
            throw error
        }
        return destination
    }

    /// Writes `data` to `path` through a temporary file that is synced and renamed over it.
    public static func writeSynced(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw AgentWriteError(path: path, reason: "cannot create: \(String(cString: strerror(errno)))") }
        var failure: String?
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 {
                    failure = String(cString: strerror(errno))
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        if failure == nil, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw AgentWriteError(path: path, reason: "cannot write: \(failure)")
        }
    }

    static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }
}

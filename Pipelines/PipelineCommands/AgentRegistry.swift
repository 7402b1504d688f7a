import AgentArtifacts
import Features
import Foundation
import Policy
import Storage

/// The agents directory and its bookkeeping: versions on disk, `agents/{SYMBOL}/current` (a symbolic
/// link to the promoted version, switched atomically), statuses and promotion history in the store.
struct AgentRegistry: Sendable {
    let directory: String
    let records: PipelineRecords

    /// `20261126T104508123Z-s0`.
    static func isVersion(_ name: String) -> Bool {
        let parts = name.split(separator: "-")
        guard parts.count == 2, parts[0].count == 19, parts[1].hasPrefix("s"), UInt64(parts[1].dropFirst()) != nil else { return false }
        let stamp = Array(parts[0])
        return stamp[8] == "T" && stamp[18] == "Z" && (stamp[0..<8] + stamp[9..<18]).allSatisfy(\.isNumber)
    }

    /// Version directories of a symbol, oldest first.
    func versions(symbol: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/\(symbol)")) ?? []
        return entries.filter(Self.isVersion).sorted()
    }

    /// Symbols with an agents directory.
    func symbols() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    func path(symbol: String, version: String) -> String { "\(directory)/\(symbol)/\(version)" }

    /// The version `current` points at, if any.
    func currentVersion(symbol: String) -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(symbol)/current") else { return nil }
        return (target as NSString).lastPathComponent
    }

    /// Loads a version, refusing a damaged one or one built for other features.
    func load(symbol: String, version: String) throws -> AgentArtifact {
        try AgentFiles.load(directory: path(symbol: symbol, version: version), expectedFeatureSpecHash: FeatureSpec.standard.hash)
    }

    /// Finds `text` (a version, `SYMBOL/VERSION` or a version directory path) among the agents.
    func resolve(_ text: String) throws -> (symbol: String, version: String) {
        let parts = text.split(separator: "/").map(String.init).filter { !$0.isEmpty }
        if parts.count >= 2, versions(symbol: parts[parts.count - 2]).contains(parts[parts.count - 1]) {
            return (parts[parts.count - 2], parts[parts.count - 1])
        }
        let matches = symbols().filter { versions(symbol: $0).contains(text) }
        guard matches.count == 1 else {
            throw RegistryError(description: matches.isEmpty ? "no agent version \(text) under \(directory)/" : "\(text) exists for \(matches.joined(separator: ", ")); say SYMBOL/\(text)")
        }
        return (matches[0], text)
    }

    /// Points `current` at `version` (after loading it successfully) and records the change.
    func promote(symbol: String, version: String, kind: String, reason: String, now: Int64) throws -> String? {
        let artifact: AgentArtifact
        do {
            artifact = try load(symbol: symbol, version: version)
        } catch {
            throw RegistryError(description: "\(symbol) \(version) cannot be promoted: \(error)")
        }
        let previous = currentVersion(symbol: symbol)
        let link = "\(directory)/\(symbol)/current", temporary = "\(directory)/\(symbol)/.current-\(getpid())"
        unlink(temporary)
        guard symlink(version, temporary) == 0, rename(temporary, link) == 0 else {
            unlink(temporary)
            throw RegistryError(description: "cannot switch \(link) to \(version): \(String(cString: strerror(errno)))")
        }
        if try records.agents(symbol: symbol).first(where: { $0.version == version }) == nil {
            try records.saveAgent(AgentRecord(symbol: symbol, version: version, status: "candidate", path: path(symbol: symbol, version: version),
                                              featureSpecHash: artifact.manifest.featureSpecHash, createdAt: now, metrics: nil, reason: nil))
        }
        try records.recordPromotion(symbol: symbol, version: version, previous: previous, kind: kind, reason: reason, at: now)
        return previous
    }

    /// The version `current` replaced when it was promoted (walking back through rollbacks).
    func rollbackTarget(symbol: String) throws -> String? {
        guard let current = currentVersion(symbol: symbol) else { return nil }
        return try records.promotions(symbol: symbol).first { $0.version == current && $0.kind == "promote" }?.previousVersion
    }
}

struct RegistryError: Error, CustomStringConvertible, Sendable {
    var description: String
}

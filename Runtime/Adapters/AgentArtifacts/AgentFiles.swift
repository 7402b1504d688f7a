import Foundation
import Policy

/// Reads agent artifacts from disk: `agents/{SYMBOL}/{version}/manifest.json` and `policy.safetensors`.
/// The checks themselves are Core's (`AgentArtifact.decode`); this is only the file reading.
public enum AgentFiles {
    /// Loads and checks a directory. With `expectedFeatureSpecHash`, an agent trained on other features is
    /// refused, naming both hashes.
    public static func load(directory: String, expectedFeatureSpecHash: String? = nil) throws -> AgentArtifact {
        func fail(_ reason: String) -> AgentLoadError { AgentLoadError(directory: directory, reason: reason) }
        guard let manifestData = FileManager.default.contents(atPath: directory + "/" + AgentArtifact.manifestFile) else {
            throw fail("\(AgentArtifact.manifestFile) is missing (incomplete or not an agent directory)")
        }
        guard let policyData = FileManager.default.contents(atPath: directory + "/" + AgentArtifact.policyFile) else {
            throw fail("\(AgentArtifact.policyFile) is missing (incomplete agent directory)")
        }
        return try AgentArtifact.decode(manifestData: manifestData, policyData: policyData, source: directory,
                                        expectedFeatureSpecHash: expectedFeatureSpecHash)
    }
}

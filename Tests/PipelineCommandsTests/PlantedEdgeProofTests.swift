import ChildProcesses
import Foundation
import Testing
import TestSupport

/// The proof that the learner learns and the gate tells luck from skill, small enough for CI (the full
/// run, 20 random walks, is `bench planted-edge`; its figures are in the README): the real pipeline
/// (align, train, evaluate) on a generated market with a planted time-of-day edge must give an agent
/// that earns a good share of what the regime-knowing oracle earns out of sample, after the same costs,
/// and that the gate promotes; on pure random walks the gate must promote nothing.
@Suite(.serialized) struct PlantedEdgeProofTests {
    @Test func theAgentFindsThePlantedEdgeAndTheGatePromotesOnlyIt() async throws {
        let result = try await ProcessRunner.run(
            "bench", ["planted-edge", "--config", TestEnvironment.configDirectory, "--seeds", "2", "--random-walks", "2", "--edge", "0.5",
                      "--days", "90", "--timesteps", "2000000", "--parallel", "2"],
            in: TestEnvironment.packageRoot)
        #expect(result.succeeded, "\(result.combined.suffix(4_000))")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        let summary = try #require(lines.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] },
                                   "\(result.combined.suffix(4_000))")
        let share = try #require((summary["oracle_share"] as? [Double])?.first)
        #expect(share > 0.3, "the agent's share of the oracle's out-of-sample return: \(share)\n\(result.standardOutput)")
        #expect(summary["planted_promoted"] as? Int == 1, "\(result.standardOutput)")
        #expect(summary["random_walks"] as? Int == 2 && summary["random_walks_promoted"] as? Int == 0, "\(result.standardOutput)")
        // Every random walk's verdict says why.
        #expect(lines.filter { $0.hasPrefix("random walk seed") }.allSatisfy { $0.contains("rejected: ") }, "\(result.standardOutput)")
    }
}

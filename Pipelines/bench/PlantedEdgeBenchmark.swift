import AgentArtifacts
import ArgumentParser
import ChildProcesses
import Evaluation
import ExchangeSimulator
import Features
import Foundation
import MarketModel
import Policy
import Storage
import TraderConfiguration
import TradingEngine

/// `bench planted-edge`: does the learner find an edge that is known to be there, and does the gate tell
/// it from luck? Each trial generates a BTCUSDT market (`MarketGenerator`, the `bitget-sim --generate`
/// market), stores it, and runs the real pipeline on it (`pipeline run --stages align,train,evaluate`),
/// then replays the held-out range with the trained agent and with the oracle that knows the regime,
/// through the same engine, costs and rules. Planted-edge trials report the agent's share of the
/// oracle's return and the gate's verdict; random-walk trials (edge 0) report the gate's verdict and why.
struct PlantedEdgeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "planted-edge",
        abstract: "Train on markets with a planted edge and on pure random walks; report the agent's share of the oracle and the gate's verdicts.")

    @Option(help: "The repository's config directory (copied; BTCUSDT only).") var config = "config"
    @Option(help: "Planted drift in units of the per-minute volatility.") var edge = 0.5
    @Option(help: "Seeds of the planted-edge markets, comma-separated.") var seeds = "1,2,3"
    @Option(help: "Random-walk markets (edge 0), seeds 101, 102, …") var randomWalks = 20
    @Option(help: "Environment steps of each training.") var timesteps = 2_000_000
    @Option(help: "Days of 1m bars per market (the last 20% are held out).") var days = 90
    @Option(help: "Trials at once (each is a pipeline with one training worker).") var parallel = 2

    func run() async throws {
        let configurationDirectory = URL(fileURLWithPath: config).standardizedFileURL.path
        let planted = seeds.split(separator: ",").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        let trials = planted.map { PlantedEdgeTrial(seed: $0, edge: edge, days: days, timesteps: timesteps, configuration: configurationDirectory) }
            + (0..<randomWalks).map { PlantedEdgeTrial(seed: 101 + UInt64($0), edge: 0, days: days, timesteps: timesteps,
                                                       configuration: configurationDirectory) }
        print("planted edge \(edge) (σ units per 1m bar) on seeds \(planted.map(String.init).joined(separator: ",")), \(randomWalks) random walks; \(timesteps) training steps, \(days) days each")
        let outcomes = await boundedConcurrentMap(trials, width: parallel) { trial in
            do { return try await trial.run() } catch { return PlantedEdgeTrial.Outcome(failure: "\(trial.label): \(error)") }
        }
        var failures = 0
        for outcome in outcomes {
            if let failure = outcome.failure {
                failures += 1
                print("FAILED \(failure)")
            } else {
                print(outcome.line)
            }
        }
        let plantedOutcomes = outcomes.prefix(planted.count).filter { $0.failure == nil }
        let walks = outcomes.dropFirst(planted.count).filter { $0.failure == nil }
        let fractions = plantedOutcomes.map(\.oracleShare)
        let luck = walks.map(\.luck).reduce(PlantedEdgeTrial.LuckCount(), +)
        let summary: [String: Any] = [
            "edge": edge, "timesteps": timesteps, "planted_trials": plantedOutcomes.count,
            "planted_promoted": plantedOutcomes.filter(\.promoted).count,
            "oracle_share": fractions, "oracle_share_min": fractions.min() ?? 0,
            "random_walks": walks.count, "random_walks_promoted": walks.filter(\.promoted).count, "failures": failures,
            "luck_judged": luck.judged, "luck_profitable": luck.profitable, "luck_old_gate_promoted": luck.oldGatePromoted,
            "luck_promoted": luck.promoted,
        ]
        print(String(format: "planted edge: agent earned %@ of the oracle's out-of-sample return; promoted %d of %d",
                     fractions.map { String(format: "%.0f%%", $0 * 100) }.joined(separator: ", "), plantedOutcomes.filter(\.promoted).count,
                     plantedOutcomes.count))
        print("random walks: promoted \(walks.filter(\.promoted).count) of \(walks.count) (false-promotion rate \(walks.isEmpty ? 0 : 100 * walks.filter(\.promoted).count / walks.count)%)")
        print("zero-edge random bracket strategies on the random walks: \(luck.judged) judged, \(luck.profitable) made money by luck, the old point-estimate gate would promote \(luck.oldGatePromoted), the gate promoted \(luck.promoted)")
        print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
        if failures > 0 { throw ExitCode.failure }
    }
}

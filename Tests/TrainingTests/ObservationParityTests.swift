import Features
import Foundation
import MarketModel
import Policy
import Testing
import TradingEngine
@testable import Training

/// A policy that plays a fixed action list and keeps the observation vectors an agent would see.
struct ScriptedPolicy: TradingPolicy {
    let name = "scripted"
    let actions: [AgentAction]
    let vector: (Observation) -> [Double]
    var seen: [[Double]] = []
    mutating func action(for observation: Observation) -> AgentAction {
        seen.append(vector(observation))
        return actions[observation.index]
    }
}

@Suite struct ObservationParityTests {
    /// The training environment and the backtester (which evaluation and the live loop share) drive the
    /// same engine: with the same actions they see identical observations and end with the same equity.
    @Test func theTrainingEnvironmentAndTheBacktesterAgree() throws {
        let rows = RealRows.rows
        let count = rows.count
        var random = SeededRandom(seed: 5)
        let actions: [AgentAction] = (0..<count).map { _ in random.next() % 33 == 0 ? (random.next() % 2 == 0 ? .long : .short) : .hold }

        var environment = TradingEnvironment(rows: rows, parameters: RealRows.parameters, rewards: RewardWeights(), capital: 1_000,
                                             episodeBars: count - 2, seed: 1)
        var environmentObservations = [environment.reset()]
        for index in 0..<(count - 2) {
            environmentObservations.append(environment.step(actions[index].rawValue).observation)
        }

        let manifestStub = AgentArtifactTests.sampleArtifact(observationSize: rows.featureCount + 5)
        let agent = AgentPolicy(artifact: manifestStub)
        let engine = SimulatedTradingEngine(parameters: RealRows.parameters, initialCapital: 1_000,
                                   funding: FundingSchedule(rates: rows.fundingRates(intervalHours: RealRows.parameters.fundingIntervalHours),
                                                            fallbackRate: RealRows.parameters.fallbackFundingRate),
                                   confirmation: .off)
        var backtester = Backtester(engine: engine, policy: ScriptedPolicy(actions: actions, vector: agent.observationVector), columns: rows.columns)
        let doubles = rows.features.map(Double.init)
        doubles.withUnsafeBufferPointer { all in
            for index in 0..<(count - 1) {
                backtester.step(rows.bars[index], features: UnsafeBufferPointer(rebasing: all[(index * rows.featureCount)..<((index + 1) * rows.featureCount)]),
                                isValid: rows.valid[index] != 0)
            }
        }
        let seen = backtester.policy.seen
        #expect(seen.count == environmentObservations.count)
        let mismatch = zip(seen, environmentObservations).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(mismatch == nil, "first differing row: \(mismatch.map { "\($0.offset)" } ?? "-")")
        #expect(backtester.engine.trades.count > 10, "the script traded")
        #expect(abs(backtester.engine.equity - environment.equity) < 1e-9)
    }
}

import Foundation
import Policy
import Testing
@testable import Training

/// An environment whose reward turns NaN after `healthySteps` steps, to provoke a divergence.
struct PoisonedEnvironment: TrainingEnvironment {
    var inner = CartPole(seed: 1)
    var healthySteps: Int
    var steps = 0
    var observationSize: Int { inner.observationSize }
    var actionCount: Int { inner.actionCount }
    mutating func reset() -> [Double] { inner.reset() }
    mutating func reseed(_ seed: UInt64) { inner.reseed(seed) }
    mutating func step(_ action: Int) -> EnvironmentStep {
        steps += 1
        var result = inner.step(action)
        if steps > healthySteps { result.reward = .nan }
        return result
    }
}

@Suite struct CheckpointTests {
    static var smallSettings: PPOSettings {
        var settings = PPOSettings()
        settings.stepsPerEnvironment = 256
        settings.epochs = 2
        settings.normalizeObservations = true
        return settings
    }

    @Test func aRestoredTrainerContinuesFromTheSavedState() throws {
        var original = PPOTrainer(settings: Self.smallSettings, environments: [CartPole(seed: 1), CartPole(seed: 2)], seed: 8)
        try original.train(totalSteps: 1_024)
        let data = try original.checkpointData(fingerprint: "run-a", context: ["version": "v1"])

        var resumed = PPOTrainer(settings: Self.smallSettings, environments: [CartPole(seed: 1), CartPole(seed: 2)], seed: 8)
        let state = try resumed.restore(from: data, path: "memory", fingerprint: "run-a")
        #expect(state.context["version"] == "v1")
        #expect(resumed.policy == original.policy)
        #expect(resumed.actorOptimizer == original.actorOptimizer && resumed.criticOptimizer == original.criticOptimizer)
        #expect(resumed.statistics == original.statistics)
        #expect(resumed.environmentSteps == 1_024 && resumed.updates == original.updates && resumed.episodes == original.episodes)
        #expect(resumed.recentReturns == original.recentReturns)

        try resumed.train(totalSteps: 1_536)
        #expect(resumed.environmentSteps == 1_536 && resumed.updates == original.updates + 1)
        #expect(resumed.policy != original.policy)
    }

    @Test func anotherRunsCheckpointIsRefused() throws {
        var trainer = PPOTrainer(settings: Self.smallSettings, environments: [CartPole(seed: 1)], seed: 8)
        try trainer.train(totalSteps: 256)
        let data = try trainer.checkpointData(fingerprint: "run-a", context: [:])
        var other = PPOTrainer(settings: Self.smallSettings, environments: [CartPole(seed: 1)], seed: 8)
        let error = try #require(throws: CheckpointError.self) { try other.restore(from: data, path: "c.safetensors", fingerprint: "run-b") }
        #expect(error.description.contains("another run"))
        #expect(throws: CheckpointError.self) { try other.restore(from: Data([1, 2, 3]), path: "c.safetensors", fingerprint: "run-a") }
    }

    /// A NaN stops the run with a clear error before the bad gradient touches the networks.
    @Test func aNaNStopsTrainingAndKeepsTheLastGoodNetworks() throws {
        var trainer = PPOTrainer(settings: Self.smallSettings, environments: [PoisonedEnvironment(healthySteps: 600)], seed: 2)
        var lastGood: ActorCritic?
        let error = try #require(throws: TrainingError.self) {
            try trainer.train(totalSteps: 10_000) { _, trainer in lastGood = trainer.policy }
        }
        #expect(error.description.contains("diverged at update 3"))
        #expect(trainer.policy == lastGood, "the failed update changed nothing")
        #expect(trainer.policy.actor.layers.allSatisfy { $0.weight.allSatisfy(\.isFinite) })
    }
}

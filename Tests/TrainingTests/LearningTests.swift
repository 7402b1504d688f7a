import Foundation
import Policy
import Testing
@testable import Training

@Suite struct LearningTests {
    /// A short run must beat random play clearly (random CartPole play lasts about 22 steps).
    @Test func cartPoleImprovesWellBeyondRandomWithinASmallBudget() throws {
        var trainer = PPOTrainer(settings: PPOSettings(), environments: [CartPole(seed: 1)], seed: 1)
        try trainer.train(totalSteps: 24_576)
        let mean = try #require(trainer.meanReturnLast100)
        #expect(mean > 80, "mean of the last 100 episodes \(mean)")
    }

    @Test func theSameSeedGivesTheSameRun() throws {
        var settings = PPOSettings()
        settings.stepsPerEnvironment = 256
        settings.epochs = 2
        settings.normalizeObservations = true
        func run() throws -> ActorCritic {
            var trainer = PPOTrainer(settings: settings, environments: [CartPole(seed: 5), CartPole(seed: 6)], seed: 42)
            try trainer.train(totalSteps: 1_024)
            return trainer.policy
        }
        #expect(try run() == run())
    }

    @Test func cartPoleFollowsItsRules() {
        var cart = CartPole(seed: 2)
        let start = cart.reset()
        #expect(start.allSatisfy { abs($0) <= 0.05 })
        var steps = 0, last = EnvironmentStep(observation: start, reward: 0, terminated: false, truncated: false)
        while !last.terminated && !last.truncated {
            last = cart.step(1)  // always push right: the pole falls within a few dozen steps
            steps += 1
        }
        #expect(last.terminated && steps < 100)
        #expect(abs(last.observation[2]) > 12 * 2 * .pi / 360 || abs(last.observation[0]) > 2.4)
    }
}

import ArgumentParser
import Foundation
import Training

/// `bench ppo`: PPO with SB3's defaults on CartPole (learning and throughput) and on the SB3 anchor's
/// random-walk trading environment.
struct PPOBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppo", abstract: "PPO on CartPole (steps to a mean of 475, steps/s) and on the anchor's trading env.")

    @Option(help: "Seeds for the CartPole learning run.") var seeds: [UInt64] = [0, 1, 2]
    @Option(help: "Step budget of the CartPole learning run.") var budget = 150_000
    @Option(help: "Environments for the throughput figures.") var environments: [Int] = [1, 8]
    @Option(help: "Steps of each throughput run.") var throughputSteps = 100_000
    @Flag(help: "Only the throughput figures.") var throughputOnly = false

    func run() throws {
        print("PPO, SB3 defaults (64×64 tanh, separate actor and critic, lr 3e-4, 2048 steps/env, batch 64, 10 epochs), OPENBLAS_NUM_THREADS=\(ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset")")
        if !throughputOnly {
            var reached = 0
            for seed in seeds {
                var trainer = PPOTrainer(settings: PPOSettings(), environments: [CartPole(seed: seed &* 1000)], seed: seed)
                trainer.watchedThreshold = 475
                let started = Date()
                do {
                    try trainer.train(totalSteps: budget) { _, trainer in
                        if trainer.stepsToThreshold != nil { throw Reached() }
                    }
                } catch is Reached {}
                let steps = trainer.stepsToThreshold
                if steps != nil { reached += 1 }
                print(String(format: "  CartPole seed %d: mean of the last 100 episodes >= 475 at %@ steps (%.1f s); mean now %.1f",
                             seed, steps.map(String.init) ?? "never within \(budget)", Date().timeIntervalSince(started),
                             trainer.meanReturnLast100 ?? 0))
            }
            print("  reached on \(reached) of \(seeds.count) seeds within \(budget) steps (target: 2 of 3 within 150k; SB3 ~66k)")
        }
        for count in environments {
            var trainer = PPOTrainer(settings: PPOSettings(), environments: (0..<count).map { CartPole(seed: UInt64($0)) }, seed: 0)
            let started = Date()
            try trainer.train(totalSteps: throughputSteps)
            let rate = Double(trainer.environmentSteps) / Date().timeIntervalSince(started)
            let anchor = count == 1 ? 1_661.0 : 3_168.0
            print(String(format: "  CartPole, %d env(s): %.0f env-steps/s including training (SB3 %.0f: %.1f×)", count, rate, anchor, rate / anchor))
        }
        if !throughputOnly {
            var trainer = PPOTrainer(settings: PPOSettings(), environments: [RandomWalkTradingEnvironment(seed: 5)], seed: 0)
            try trainer.train(totalSteps: 100_000)
            var evaluation = RandomWalkTradingEnvironment(seed: 99)
            var randomEvaluation = RandomWalkTradingEnvironment(seed: 99)
            var generator = SeededRandom(seed: 3)
            var deterministic = 0.0, random = 0.0
            for _ in 0..<10 {
                var observation = evaluation.reset()
                _ = randomEvaluation.reset()
                for _ in 0..<2_048 {
                    let action = trainer.policy.distribution(trainer.normalizer.normalize(observation)).mode
                    let step = evaluation.step(action)
                    deterministic += step.reward / 10
                    observation = step.observation
                    random += randomEvaluation.step(Int(generator.next() % 3)).reward / 10
                }
            }
            print(String(format: "  anchor trading env after 100k steps: deterministic policy %.3f per episode, random %.3f (SB3: -0.11 to -0.16 vs -0.91)",
                         deterministic, random))
        }
    }

    struct Reached: Error {}
}

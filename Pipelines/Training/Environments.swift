import Foundation
import MarketModel

/// One step of an environment.
public struct EnvironmentStep: Sendable {
    public var observation: [Double]
    public var reward: Double
    /// The episode reached a terminal state (no bootstrap).
    public var terminated: Bool
    /// The episode hit a time limit (bootstrapped from the final observation's value).
    public var truncated: Bool
}

/// What PPO trains on. Each environment owns its random generator, so runs are reproducible.
public protocol TrainingEnvironment {
    var observationSize: Int { get }
    var actionCount: Int { get }
    mutating func reset() -> [Double]
    mutating func step(_ action: Int) -> EnvironmentStep
    /// Restarts the environment's random generator (a resumed run draws fresh episodes from here).
    mutating func reseed(_ seed: UInt64)
}

/// The generator of training runs (environments, sampling, minibatch order); its state is part of a checkpoint.
public typealias SeededRandom = SplitMix64

/// CartPole-v1 with Gymnasium's classic-control dynamics (Euler, τ = 0.02 s), a reward of 1 per step,
/// termination beyond ±2.4 m or ±12°, and truncation at 500 steps.
public struct CartPole: TrainingEnvironment {
    public let observationSize = 4
    public let actionCount = 2
    private var state = [0.0, 0.0, 0.0, 0.0]
    private var steps = 0
    private var random: SeededRandom

    public init(seed: UInt64) { random = SeededRandom(seed: seed) }
    public mutating func reseed(_ seed: UInt64) { random = SeededRandom(seed: seed) }

    public mutating func reset() -> [Double] {
        state = (0..<4).map { _ in random.unit() * 0.1 - 0.05 }
        steps = 0
        return state
    }

    public mutating func step(_ action: Int) -> EnvironmentStep {
        let gravity = 9.8, cartMass = 1.0, poleMass = 0.1, halfLength = 0.5, forceMagnitude = 10.0, tau = 0.02
        let totalMass = cartMass + poleMass, poleMassLength = poleMass * halfLength
        var (x, velocity, theta, angularVelocity) = (state[0], state[1], state[2], state[3])
        let force = action == 1 ? forceMagnitude : -forceMagnitude
        let cosine = cos(theta), sine = sin(theta)
        let temp = (force + poleMassLength * angularVelocity * angularVelocity * sine) / totalMass
        let angularAcceleration = (gravity * sine - cosine * temp) / (halfLength * (4.0 / 3.0 - poleMass * cosine * cosine / totalMass))
        let acceleration = temp - poleMassLength * angularAcceleration * cosine / totalMass
        x += tau * velocity
        velocity += tau * acceleration
        theta += tau * angularVelocity
        angularVelocity += tau * angularAcceleration
        state = [x, velocity, theta, angularVelocity]
        steps += 1
        let terminated = abs(x) > 2.4 || abs(theta) > 12 * 2 * .pi / 360
        return EnvironmentStep(observation: state, reward: 1, terminated: terminated, truncated: !terminated && steps >= 500)
    }
}

/// The SB3 anchor's random-walk trading environment (`../shared/anchors/trading_env.py`) in Swift: the
/// last 31 one-minute returns / σ and the position; actions flat, long, short as the target position;
/// reward position × next return − 0.0005 × |position change|; 2048-step episodes ending by time limit;
/// a fresh zero-drift Gaussian path at every reset. Nothing is predictable, so a correct learner goes flat.
public struct RandomWalkTradingEnvironment: TrainingEnvironment {
    public let window = 31, episodeLength = 2_048
    public let sigma = 1e-3, fee = 5e-4
    public var observationSize: Int { window + 1 }
    public let actionCount = 3
    private var returns: [Double] = []
    private var time = 0, steps = 0
    private var position = 0.0
    private var random: SeededRandom

    public init(seed: UInt64) { random = SeededRandom(seed: seed) }
    public mutating func reseed(_ seed: UInt64) { random = SeededRandom(seed: seed) }

    public mutating func reset() -> [Double] {
        returns = (0..<(window + episodeLength)).map { _ in Gaussian.sample(&random) * sigma }
        time = window
        steps = 0
        position = 0
        return observation()
    }

    private func observation() -> [Double] { returns[(time - window)..<time].map { $0 / sigma } + [position] }

    public mutating func step(_ action: Int) -> EnvironmentStep {
        let target = [0.0, 1.0, -1.0][action]
        let reward = target * returns[time] - fee * abs(target - position)
        position = target
        time += 1
        steps += 1
        return EnvironmentStep(observation: observation(), reward: reward, terminated: false, truncated: steps >= episodeLength)
    }
}

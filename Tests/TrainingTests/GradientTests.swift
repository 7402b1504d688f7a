import Foundation
import Kernels
import Policy
import Testing
@testable import Training

/// The numerical derivative of `loss` by central differences: `perturb` moves one parameter of a copy.
func centralDifference<Model>(_ model: Model, step: Float = 1e-2, perturb: (inout Model, Float) -> Void,
                              loss: (Model) -> Double) -> Double {
    var plus = model, minus = model
    perturb(&plus, step)
    perturb(&minus, -step)
    return (loss(plus) - loss(minus)) / Double(2 * step)
}

func expectClose(_ analytic: Double, _ numeric: Double, _ label: String) {
    #expect(abs(analytic - numeric) <= 2e-3 + 2e-2 * abs(numeric), "\(label): analytic \(analytic) vs numeric \(numeric)")
}

@Suite struct KernelTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesThePlainLoops(transposeA: Bool, transposeB: Bool) {
        var random = SeededRandom(seed: 1)
        let (m, n, k) = (7, 5, 9)
        let a = (0..<(m * k)).map { _ in Float(random.unit() - 0.5) }, b = (0..<(k * n)).map { _ in Float(random.unit() - 0.5) }
        var reference = (0..<(m * n)).map { _ in Float(random.unit()) }
        var blas = reference
        Kernels.Reference.gemm(a, transposeA: transposeA, b, transposeB: transposeB, c: &reference, m: m, n: n, k: k, alpha: 0.5, beta: 2)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                blas.withUnsafeMutableBufferPointer { c in
                    Kernels.gemm(a.baseAddress!, transposeA: transposeA, b.baseAddress!, transposeB: transposeB, c.baseAddress!,
                                 m: m, n: n, k: k, alpha: 0.5, beta: 2)
                }
            }
        }
        #expect(zip(reference, blas).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func fastTanhIsAccurate() {
        for step in -1_000...1_000 {
            let x = Float(step) / 100
            #expect(abs(FastTanh.evaluate(x) - tanh(x)) < 1e-6, "tanh(\(x))")
        }
    }
}

@Suite struct GradientTests {
    func network(_ random: inout SeededRandom, sizes: [Int], gain: Float = 1) -> MultilayerPerceptron {
        MultilayerPerceptron.orthogonal(sizes: sizes, activation: .tanh, outputGain: gain, random: &random)
    }

    @Test func everyLayerOfTheBackwardPassMatchesFiniteDifferences() {
        var random = SeededRandom(seed: 3)
        let net = network(&random, sizes: [4, 6, 5, 3])
        let batch = 5
        let input = (0..<(batch * 4)).map { _ in Float(random.unit() * 2 - 1) }
        let weights = (0..<(batch * 3)).map { _ in Double(random.unit() * 2 - 1) }
        func loss(_ net: MultilayerPerceptron) -> Double { zip(net(input, batch: batch), weights).reduce(0) { $0 + Double($1.0) * $1.1 } }
        let activations = net.forward(input, batch: batch)
        let gradient = net.backward(input: input, activations: activations, outputGradient: weights.map(Float.init), batch: batch)
        for layer in net.layers.indices {
            for position in [0, net.layers[layer].weight.count / 2, net.layers[layer].weight.count - 1] {
                let numeric = centralDifference(net, perturb: { $0.layers[layer].weight[position] += $1 }, loss: loss)
                expectClose(Double(gradient.weights[layer][position]), numeric, "layer \(layer) weight \(position)")
            }
            let numeric = centralDifference(net, perturb: { $0.layers[layer].bias[0] += $1 }, loss: loss)
            expectClose(Double(gradient.biases[layer][0]), numeric, "layer \(layer) bias 0")
        }
    }

    @Test func thePPOLossGradientMatchesFiniteDifferences() {
        var random = SeededRandom(seed: 9)
        let policy = ActorCritic(actor: network(&random, sizes: [3, 8, 8, 3], gain: 1), critic: network(&random, sizes: [3, 8, 8, 1]))
        var settings = PPOSettings()
        settings.entropyCoefficient = 0.05
        settings.valueClipRange = 0.3
        let count = 12
        let observations = (0..<(count * 3)).map { _ in Float(random.unit() * 2 - 1) }
        let logits = policy.actor(observations, batch: count)
        let values = policy.critic(observations, batch: count)
        let actions = (0..<count).map { _ in Int(random.next() % 3) }
        // Old log-probabilities a little off the current ones, so some ratios fall outside the clip range.
        let oldLogProbabilities = (0..<count).map { sample in
            Double(CategoricalDistribution(logits: logits[(sample * 3)..<(sample * 3 + 3)]).logProbabilities[actions[sample]])
                + (random.unit() - 0.5) * 0.8
        }
        let batch = PPOMinibatch(observations: observations, actions: actions, oldLogProbabilities: oldLogProbabilities,
                                 oldValues: values.map { Double($0) + (random.unit() - 0.5) * 0.5 },
                                 advantages: (0..<count).map { _ in random.unit() * 2 - 1 },
                                 returns: (0..<count).map { _ in random.unit() * 2 - 1 })
        let result = PPOLoss.evaluate(policy, batch, settings: settings)
        #expect(result.clipFraction > 0, "the check must cover clipped samples too")
        let total: (ActorCritic) -> Double = { PPOLoss.evaluate($0, batch, settings: settings).total }
        for layer in policy.actor.layers.indices {
            for position in [0, policy.actor.layers[layer].weight.count - 1] {
                let numeric = centralDifference(policy, step: 1e-3, perturb: { $0.actor.layers[layer].weight[position] += $1 }, loss: total)
                expectClose(Double(result.actorGradient.weights[layer][position]), numeric, "actor layer \(layer) weight \(position)")
            }
        }
        for layer in policy.critic.layers.indices {
            let numeric = centralDifference(policy, step: 1e-3, perturb: { $0.critic.layers[layer].weight[1] += $1 }, loss: total)
            expectClose(Double(result.criticGradient.weights[layer][1]), numeric, "critic layer \(layer) weight 1")
        }
    }

    @Test func orthogonalInitialisationIsOrthogonalWithTheGain() {
        var random = SeededRandom(seed: 4)
        let net = network(&random, sizes: [5, 8, 3], gain: 0.01)
        let hidden = net.layers[0]  // 8 × 5: orthonormal columns × √2
        for i in 0..<5 {
            for j in 0..<5 {
                let dot = (0..<8).reduce(Float(0)) { $0 + hidden.weight[$1 * 5 + i] * hidden.weight[$1 * 5 + j] }
                #expect(abs(dot - (i == j ? 2 : 0)) < 1e-4)
            }
        }
        let head = net.layers[1]  // 3 × 8: orthonormal rows × 0.01
        let norm = (0..<8).reduce(Float(0)) { $0 + head.weight[$1] * head.weight[$1] }
        #expect(abs(norm - 1e-4) < 1e-7)
        #expect(net.layers.allSatisfy { $0.bias.allSatisfy { $0 == 0 } })
    }
}

@Suite struct AdvantageTests {
    /// Two environments, three steps. Environment 0 ends by a terminal state after step 1; environment 1
    /// hits its time limit after step 0 (the caller added γ·V(final) = 0.9 × 2 to that reward).
    @Test func gaeStopsAtEpisodeEndsAndBootstrapsTheRest() {
        let gamma = 0.9, lambda = 0.5
        let rewards = [1.0, 1 + 0.9 * 2, 2.0, 0.5, 1.0, 1.0]
        let values = [0.5, 1.0, 0.2, 0.3, 0.4, 0.6]
        let ended = [false, true, true, false, false, false]
        let last = [0.7, 0.8]
        let (advantages, returns) = AdvantageEstimation.compute(rewards: rewards, values: values, episodeEnded: ended, lastValues: last,
                                                                 steps: 3, environments: 2, gamma: gamma, lambda: lambda)
        // Environment 0: t2 δ = 1 + 0.9·0.7 − 0.4 = 1.23; t1 ends (terminal): δ = 2 − 0.2 = 1.8; t0: δ = 1 + 0.9·0.2 − 0.5 = 0.68, A = 0.68 + 0.45·1.8
        // Environment 1: t2 δ = 1 + 0.9·0.8 − 0.6 = 1.12; t1 δ = 0.5 + 0.9·0.6 − 0.3 = 0.74, A = 0.74 + 0.45·1.12; t0 ended: δ = 2.8 − 1 = 1.8
        let expected = [0.68 + 0.45 * 1.8, 1.8, 1.8, 0.74 + 0.45 * 1.12, 1.23, 1.12]
        #expect(zip(advantages, expected).allSatisfy { abs($0 - $1) < 1e-12 }, "\(advantages)")
        #expect(zip(returns, zip(expected, values).map(+)).allSatisfy { abs($0 - $1) < 1e-12 })
    }
}

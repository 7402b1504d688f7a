import Foundation
import Kernels
import Policy

/// Gradients (or Adam moments) with the shape of a network's parameters.
public struct NetworkGradient: Sendable, Equatable {
    public var weights: [[Float]]
    public var biases: [[Float]]

    public init(zerosLike network: MultilayerPerceptron) {
        weights = network.layers.map { Array(repeating: 0, count: $0.weight.count) }
        biases = network.layers.map { Array(repeating: 0, count: $0.bias.count) }
    }

    public var squaredNorm: Float {
        var total: Float = 0
        for array in weights + biases { total += array.withUnsafeBufferPointer { Kernels.squaredNorm($0.baseAddress!, count: $0.count) } }
        return total
    }

    public mutating func scale(by factor: Float) {
        for index in weights.indices {
            weights[index].withUnsafeMutableBufferPointer { values in for position in values.indices { values[position] *= factor } }
            biases[index].withUnsafeMutableBufferPointer { values in for position in values.indices { values[position] *= factor } }
        }
    }

    /// Whether no gradient is NaN or infinite (a finite sum of squares means every term is finite).
    public var allFinite: Bool { squaredNorm.isFinite }
}

extension MultilayerPerceptron {
    /// Backpropagates `outputGradient` (d loss / d final output, [batch × outputs]) through the cached
    /// `activations` of `forward(input, batch:)` and returns the parameter gradients.
    public func backward(input: [Float], activations: [[Float]], outputGradient: [Float], batch: Int) -> NetworkGradient {
        var gradient = NetworkGradient(zerosLike: self)
        var upstream = outputGradient
        for index in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[index]
            var local = upstream
            if index < layers.count - 1 {  // through the activation
                activations[index].withUnsafeBufferPointer { output in
                    local.withUnsafeMutableBufferPointer { local in
                        switch activation {
                        case .tanh: for position in local.indices { local[position] *= 1 - output[position] * output[position] }
                        case .relu: for position in local.indices where output[position] <= 0 { local[position] = 0 }
                        }
                    }
                }
            }
            let layerInput = index == 0 ? input : activations[index - 1]
            // dW = dZᵀ · X   [out × in]
            local.withUnsafeBufferPointer { dz in
                layerInput.withUnsafeBufferPointer { x in
                    gradient.weights[index].withUnsafeMutableBufferPointer { dw in
                        Kernels.gemm(dz.baseAddress!, transposeA: true, x.baseAddress!, transposeB: false, dw.baseAddress!,
                                     m: layer.outputs, n: layer.inputs, k: batch)
                    }
                }
            }
            local.withUnsafeBufferPointer { local in
                gradient.biases[index].withUnsafeMutableBufferPointer { bias in
                    for row in 0..<batch {
                        let base = row * layer.outputs
                        for column in 0..<layer.outputs { bias[column] += local[base + column] }
                    }
                }
            }
            if index > 0 {  // dX = dZ · W   [batch × in]
                var next = [Float](repeating: 0, count: batch * layer.inputs)
                local.withUnsafeBufferPointer { dz in
                    layer.weight.withUnsafeBufferPointer { w in
                        next.withUnsafeMutableBufferPointer { dx in
                            Kernels.gemm(dz.baseAddress!, transposeA: false, w.baseAddress!, transposeB: false, dx.baseAddress!,
                                         m: batch, n: layer.inputs, k: layer.outputs)
                        }
                    }
                }
                upstream = next
            }
        }
        return gradient
    }

    /// Orthogonal initialisation as PyTorch's `nn.init.orthogonal_`: each weight is an orthogonal matrix
    /// (QR of a Gaussian, signs fixed by R's diagonal) times its gain; biases are zero. SB3's gains: √2 for
    /// hidden layers, `outputGain` for the last (0.01 policy head, 1 value head).
    public static func orthogonal(sizes: [Int], activation: Activation, outputGain: Float,
                                  random: inout some RandomNumberGenerator) -> MultilayerPerceptron {
        var layers: [DenseLayer] = []
        for index in 0..<(sizes.count - 1) {
            let gain: Float = index == sizes.count - 2 ? outputGain : Float(2).squareRoot()
            let weight = Orthogonal.matrix(rows: sizes[index + 1], columns: sizes[index], random: &random).map { Float($0) * gain }
            layers.append(DenseLayer(inputs: sizes[index], outputs: sizes[index + 1], weight: weight,
                                     bias: Array(repeating: 0, count: sizes[index + 1])))
        }
        return MultilayerPerceptron(layers: layers, activation: activation)
    }
}

enum Orthogonal {
    /// A rows × columns matrix with orthonormal rows (rows ≤ columns) or columns (rows > columns).
    static func matrix(rows: Int, columns: Int, random: inout some RandomNumberGenerator) -> [Double] {
        let tall = rows >= columns
        let (m, n) = tall ? (rows, columns) : (columns, rows)  // m ≥ n: orthonormalise n columns of length m
        var columnsOfQ: [[Double]] = (0..<n).map { _ in (0..<m).map { _ in Gaussian.sample(&random) } }
        for j in 0..<n {  // modified Gram–Schmidt; the sign convention matches QR with a positive R diagonal
            for i in 0..<j {
                let projection = zip(columnsOfQ[i], columnsOfQ[j]).reduce(0) { $0 + $1.0 * $1.1 }
                for k in 0..<m { columnsOfQ[j][k] -= projection * columnsOfQ[i][k] }
            }
            let norm = columnsOfQ[j].reduce(0) { $0 + $1 * $1 }.squareRoot()
            for k in 0..<m { columnsOfQ[j][k] /= norm }
        }
        var result = [Double](repeating: 0, count: rows * columns)
        for row in 0..<rows {
            for column in 0..<columns {
                result[row * columns + column] = tall ? columnsOfQ[column][row] : columnsOfQ[row][column]
            }
        }
        return result
    }
}

/// Adam (PyTorch's, with the eps of SB3's PPO) over a network's parameters.
public struct AdamOptimizer: Sendable, Equatable {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float
    public internal(set) var step = 0
    var first: NetworkGradient
    var second: NetworkGradient

    public init(network: MultilayerPerceptron, learningRate: Float, epsilon: Float = 1e-5) {
        self.learningRate = learningRate
        self.epsilon = epsilon
        first = NetworkGradient(zerosLike: network)
        second = NetworkGradient(zerosLike: network)
    }

    public mutating func apply(_ gradient: NetworkGradient, to network: inout MultilayerPerceptron) {
        step += 1
        let correction1 = 1 - pow(beta1, Float(step)), correction2 = 1 - pow(beta2, Float(step))
        let stepSize = learningRate / correction1, root2 = correction2.squareRoot()
        for index in network.layers.indices {
            update(&network.layers[index].weight, gradient.weights[index], &first.weights[index], &second.weights[index], stepSize, root2)
            update(&network.layers[index].bias, gradient.biases[index], &first.biases[index], &second.biases[index], stepSize, root2)
        }
    }

    private func update(_ parameters: inout [Float], _ gradient: [Float], _ m: inout [Float], _ v: inout [Float], _ stepSize: Float, _ root2: Float) {
        let beta1 = beta1, beta2 = beta2, epsilon = epsilon
        parameters.withUnsafeMutableBufferPointer { parameters in
            gradient.withUnsafeBufferPointer { gradient in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        for index in 0..<parameters.count {
                            let g = gradient[index]
                            m[index] = beta1 * m[index] + (1 - beta1) * g
                            v[index] = beta2 * v[index] + (1 - beta2) * g * g
                            parameters[index] -= stepSize * m[index] / (v[index].squareRoot() / root2 + epsilon)
                        }
                    }
                }
            }
        }
    }
}

/// Standard normal draws (Box–Muller) from any generator.
enum Gaussian {
    static func sample(_ random: inout some RandomNumberGenerator) -> Double {
        let u = max(Double.random(in: 0..<1, using: &random), 1e-300), v = Double.random(in: 0..<1, using: &random)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}

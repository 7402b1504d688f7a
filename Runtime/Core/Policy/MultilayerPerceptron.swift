import Foundation
import Kernels

/// Activation of the hidden layers.
public enum Activation: String, Sendable, Codable {
    case tanh, relu
}

/// A fully connected layer with PyTorch's `nn.Linear` layout: `weight` is [out × in] row-major, `bias` [out].
public struct DenseLayer: Sendable, Equatable {
    public var inputs: Int
    public var outputs: Int
    public var weight: [Float]
    public var bias: [Float]

    public init(inputs: Int, outputs: Int, weight: [Float], bias: [Float]) {
        precondition(weight.count == inputs * outputs && bias.count == outputs, "layer shape mismatch")
        self.inputs = inputs
        self.outputs = outputs
        self.weight = weight
        self.bias = bias
    }
}

/// A multilayer perceptron: hidden layers with an activation, a linear output layer. The forward pass runs
/// a whole batch through `cblas_sgemm` and keeps each layer's output, which training needs for the
/// backward pass.
public struct MultilayerPerceptron: Sendable, Equatable {
    public var layers: [DenseLayer]
    public var activation: Activation

    public init(layers: [DenseLayer], activation: Activation) {
        self.layers = layers
        self.activation = activation
    }

    public var inputSize: Int { layers[0].inputs }
    public var outputSize: Int { layers[layers.count - 1].outputs }
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.weight.count + $1.bias.count } }

    /// Every layer's output for `batch` rows of `input` (row-major [batch × inputSize]): element `i` is
    /// layer `i`'s activated output ([batch × outputs]); the last one is the linear output.
    public func forward(_ input: [Float], batch: Int) -> [[Float]] {
        var outputs: [[Float]] = []
        outputs.reserveCapacity(layers.count)
        var current = input
        for (index, layer) in layers.enumerated() {
            var output = [Float](repeating: 0, count: batch * layer.outputs)
            current.withUnsafeBufferPointer { x in
                layer.weight.withUnsafeBufferPointer { w in
                    output.withUnsafeMutableBufferPointer { y in
                        // Y = X · Wᵀ
                        Kernels.gemm(x.baseAddress!, transposeA: false, w.baseAddress!, transposeB: true, y.baseAddress!,
                                     m: batch, n: layer.outputs, k: layer.inputs)
                        let hidden = index < layers.count - 1
                        let width = layer.outputs
                        layer.bias.withUnsafeBufferPointer { bias in
                            for row in 0..<batch {
                                let base = row * width
                                for column in 0..<width { y[base + column] += bias[column] }
                            }
                        }
                        if hidden { activateInPlace(y.baseAddress!, count: batch * width) }
                    }
                }
            }
            outputs.append(output)
            current = output
        }
        return outputs
    }

    /// Only the final output.
    public func callAsFunction(_ input: [Float], batch: Int) -> [Float] { forward(input, batch: batch).last! }

    func activateInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) {
        switch activation {
        case .tanh: for index in 0..<count { values[index] = FastTanh.evaluate(values[index]) }
        case .relu: for index in 0..<count { values[index] = max(0, values[index]) }
        }
    }
}

/// tanh for float32 as a 13/6 rational approximation (Eigen's `ptanh_float`), accurate to a few ulp and
/// several times faster than libm's `tanhf`, which dominated the training time.
public enum FastTanh {
    @inline(__always)
    public static func evaluate(_ input: Float) -> Float {
        let x = min(max(input, -7.905_311_1), 7.905_311_1)
        if abs(x) < 0.0004 { return x }
        let x2 = x * x
        var p: Float = -2.760_768_5e-16
        p = p * x2 + 2.000_187_9e-13
        p = p * x2 - 8.604_671_5e-11
        p = p * x2 + 5.122_297_1e-08
        p = p * x2 + 1.485_722_4e-05
        p = p * x2 + 6.372_619_3e-04
        p = p * x2 + 4.893_524_6e-03
        p *= x
        var q: Float = 1.198_258_4e-06
        q = q * x2 + 1.185_347_1e-04
        q = q * x2 + 2.268_434_6e-03
        q = q * x2 + 4.893_525_2e-03
        return p / q
    }
}


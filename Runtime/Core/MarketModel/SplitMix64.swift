/// Steele, Lea and Flood's SplitMix64: a small, fast, seedable generator whose whole state is one word,
/// so runs are reproducible and a checkpoint can carry it. The one generator of the project (training,
/// baselines, the bootstrap, the simulator and benchmarks).
public struct SplitMix64: RandomNumberGenerator, Sendable, Codable, Equatable {
    public var state: UInt64

    /// Starts from `state` as given.
    public init(state: UInt64) { self.state = state }

    /// Starts from a scrambled `seed`, so nearby seeds (0, 1, 2…) give unrelated streams.
    public init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 0x632B_E59B_D9B4_E019 }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}

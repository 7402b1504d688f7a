import TradingEngine

/// A trained agent as a trading policy: the observation is the feature row (rounded to float32 and with
/// non-finite values as 0, exactly as the training tensor stores it) followed by the position state, the
/// action the most likely one (deterministic, as evaluated and traded).
public struct AgentPolicy: TradingPolicy, Sendable {
    public let artifact: AgentArtifact
    public var name: String
    private var input: [Double]

    /// `name` defaults to `agent {version}`.
    public init(artifact: AgentArtifact, name: String? = nil) {
        self.artifact = artifact
        self.name = name ?? "agent \(artifact.manifest.version)"
        input = Array(repeating: 0, count: artifact.manifest.architecture.observationSize)
    }

    /// The raw observation for an observation of the backtester or the live loop.
    public func observationVector(_ observation: Observation) -> [Double] {
        var vector = [Double]()
        vector.reserveCapacity(artifact.manifest.architecture.observationSize)
        for value in observation.features { vector.append(value.isFinite ? Double(Float(value)) : 0) }
        vector += AgentPositionState.values(side: observation.position, unrealizedRisk: observation.unrealizedRisk,
                                            barsInTrade: observation.barsInTrade, leverage: observation.leverage,
                                            drawdown: observation.drawdown)
        return vector
    }

    public mutating func action(for observation: Observation) -> AgentAction {
        input = observationVector(observation)
        let (probabilities, _) = artifact.evaluate(rawObservation: input)
        let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
        return AgentAction(rawValue: best) ?? .hold
    }
}

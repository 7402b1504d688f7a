import MarketModel

/// Wraps a policy and keeps the entry context of every entry it asks for, keyed by the fill time (the
/// next bar's open), so closed trades can be joined with the situation they were entered in.
public struct ContextRecordingPolicy<Base: TradingPolicy>: TradingPolicy {
    public var base: Base
    public let layout: EntryContextLayout
    public let barMilliseconds: Int64
    public var contexts: [Int64: [Double]] = [:]
    public var name: String { base.name }

    public init(base: Base, layout: EntryContextLayout, barMilliseconds: Int64) {
        self.base = base
        self.layout = layout
        self.barMilliseconds = barMilliseconds
    }

    public mutating func action(for observation: Observation) -> AgentAction {
        let action = base.action(for: observation)
        if action != .hold, observation.position == nil, observation.isValid {
            contexts[observation.bar.openTime + barMilliseconds] = layout.context(observation.features)
        }
        return action
    }
}

extension ContextRecordingPolicy: Sendable where Base: Sendable {}

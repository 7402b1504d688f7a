import MarketModel

/// Funding rates by settlement time, with a constant for settlements the data does not cover. A
/// settlement happens at every time the data has one (contracts settle every 8, 4 or 1 hours, and
/// exchanges change a contract's interval), and, where the data has none, at the configured interval's
/// times with the fallback rate (0 by default: no side is favoured by a guess).
public struct FundingSchedule: Sendable {
    private var rates: [Int64: Double]
    public let fallbackRate: Double
    /// Settlements between the first and last data point are "covered"; outside, the fallback is used.
    public private(set) var coverage: ClosedRange<Int64>?

    public init(rates: [FundingRate], fallbackRate: Double) {
        self.rates = [:]
        self.fallbackRate = fallbackRate
        add(rates)
    }

    /// Adds settlements that became known (the live runtime refreshes them from the exchange).
    public mutating func add(_ new: [FundingRate]) {
        for rate in new { rates[rate.time] = rate.rate }
        guard let first = new.map(\.time).min(), let last = new.map(\.time).max() else { return }
        coverage = coverage.map { min($0.lowerBound, first)...max($0.upperBound, last) } ?? first...last
    }

    /// Whether the data has a settlement at `time`.
    public func hasSettlement(at time: Int64) -> Bool { rates[time] != nil }

    /// The rate settled at `time` and whether it came from data.
    public func rate(at time: Int64) -> (rate: Double, fromData: Bool) {
        if let rate = rates[time] { return (rate, true) }
        return (fallbackRate, false)
    }
}

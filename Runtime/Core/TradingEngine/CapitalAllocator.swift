import MarketModel

/// Splits capital across symbols in proportion to 1 / volatility (ATR as a fraction of price): calmer
/// symbols get more, so each symbol's 1% risk is a similar move. No symbol gets more than
/// `maximumWeight`; what a capped symbol gives up goes to the others in the same proportions.
public enum CapitalAllocator {
    /// Weights summing to 1 (or to `maximumWeight` × count when that is less than 1).
    public static func inverseVolatilityWeights(_ volatility: [Symbol: Double], maximumWeight: Double) -> [Symbol: Double] {
        let usable = volatility.filter { $0.value > 0 && $0.value.isFinite }
        guard !usable.isEmpty else { return [:] }
        let inverse = usable.mapValues { 1 / $0 }
        var weights: [Symbol: Double] = [:]
        var free = Set(inverse.keys)
        var budget = 1.0
        while !free.isEmpty {
            let total = free.reduce(0) { $0 + inverse[$1]! }
            var capped = false
            for symbol in free {
                let share = budget * inverse[symbol]! / total
                if share > maximumWeight {
                    weights[symbol] = maximumWeight
                    budget -= maximumWeight
                    free.remove(symbol)
                    capped = true
                }
            }
            if !capped {
                for symbol in free { weights[symbol] = budget * inverse[symbol]! / total }
                free.removeAll()
            }
            if budget <= 0 { for symbol in free { weights[symbol] = 0 }; free.removeAll() }
        }
        return weights
    }

    /// Equal weights.
    public static func equalWeights(_ symbols: [Symbol]) -> [Symbol: Double] {
        Dictionary(uniqueKeysWithValues: symbols.map { ($0, 1 / Double(symbols.count)) })
    }
}

/// Funding rates by settlement time, with a constant for settlements the data does not cover.
public struct FundingSchedule: Sendable {
    private let rates: [Int64: Double]
    public let fallbackRate: Double
    /// Settlements between the first and last data point are "covered"; outside, the fallback is used.
    public let coverage: ClosedRange<Int64>?

    public init(rates: [FundingRate], fallbackRate: Double) {
        self.rates = Dictionary(rates.map { ($0.time, $0.rate) }, uniquingKeysWith: { $1 })
        self.fallbackRate = fallbackRate
        coverage = rates.isEmpty ? nil : rates.map(\.time).min()!...rates.map(\.time).max()!
    }

    /// The rate settled at `time` and whether it came from data.
    public func rate(at time: Int64) -> (rate: Double, fromData: Bool) {
        if let rate = rates[time] { return (rate, true) }
        return (fallbackRate, false)
    }
}

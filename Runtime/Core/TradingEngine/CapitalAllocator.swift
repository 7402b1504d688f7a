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

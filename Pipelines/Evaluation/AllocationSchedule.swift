import MarketModel
import Storage
import TradingEngine

/// The capital a symbol trades with over a backtest, as the allocator sets it live: at every rebalance
/// time, from every symbol's volatility in the store (the same `VolatilityTracker` the trader runs on its
/// streamed bars). Without `inverse_volatility` (or with no data) it is the equal share throughout.
public enum AllocationSchedule {
    /// The capital of `symbol` over the backtest of `data`, as `BacktestSetup.capitalSchedule` takes it: one
    /// entry per rebalance time from the one before the first traded bar on. Each symbol's volatility is
    /// computed from its stored bars from the first bar of `data` on: the start of the backtest's feature
    /// history, where the live trader that started at the first traded bar began too (the ATR's smoothing
    /// depends on where it starts).
    public static func build(store: any Store, rules: AllocationPlan, symbol: Symbol, stopTimeframe: Timeframe, atrPeriod: Int,
                             data: BacktestData) throws -> [(from: Int64, capital: Double)] {
        let historyStart = data.bars[0].openTime, to = data.bars[data.bars.count - 1].openTime
        let first = rules.rebalanceTime(before: data.bars[data.firstTraded].openTime + 60_000)
        guard rules.method == .inverseVolatility else { return [(from: first, capital: rules.equalShare)] }
        let period = Int64(rules.rebalanceHours) * 3_600_000
        var times: [Int64] = []
        var time = first
        while time <= to + 60_000 {
            times.append(time)
            time += period
        }
        // Each symbol's volatility at every (rebalance − lag), from its stored 1m bars.
        var volatility: [Symbol: [Int64: Double]] = [:]
        for member in rules.symbols {
            var tracker = VolatilityTracker(timeframe: stopTimeframe, period: atrPeriod)
            var next = 0
            var values: [Int64: Double] = [:]
            try store.forEachCandleBatch(symbol: member, timeframe: .oneMinute, from: historyStart, to: to) { batch in
                for bar in batch {
                    // Read each rebalance's value just before the first bar that closes after its reading time.
                    while next < times.count, bar.openTime + 60_000 > times[next] - rules.lag {
                        if let value = tracker.value(at: times[next] - rules.lag) { values[times[next]] = value }
                        next += 1
                    }
                    tracker.update(bar)
                }
            }
            while next < times.count {
                if let value = tracker.value(at: times[next] - rules.lag) { values[times[next]] = value }
                next += 1
            }
            volatility[member] = values
        }
        return times.map { time in
            (from: time, capital: rules.capitals(at: time) { member, _ in volatility[member]?[time] }[symbol] ?? rules.equalShare)
        }
    }
}

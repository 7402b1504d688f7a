import Indicators
import MarketModel

/// A symbol's volatility as the capital allocator sees it: ATR(period) of the stop timeframe's bars
/// (rolled up from 1m bars by the same resampler as the features) over their close, at each bucket's
/// close. The same streaming code runs in backtests and in the live trader.
public struct VolatilityTracker: Sendable {
    public let timeframe: Timeframe
    private var resampler: IncrementalResampler
    private var atr: AverageTrueRange
    /// The latest values: (bucket close time UTC ms, ATR / close), newest last; `retained` of them kept
    /// (enough to look back over the longest rebalance period).
    public private(set) var values: [(time: Int64, fraction: Double)] = []
    /// Close time of the last 1m bar added, UTC ms: every value up to it is final.
    public private(set) var lastBarClose: Int64?

    public let retained: Int

    public init(timeframe: Timeframe = .fifteenMinutes, period: Int = 14, retained: Int = 3_000) {
        self.timeframe = timeframe
        self.retained = retained
        resampler = IncrementalResampler(to: timeframe)
        atr = AverageTrueRange(period: period)
    }

    /// Adds a closed 1m bar.
    public mutating func update(_ bar: Bar) {
        lastBarClose = bar.openTime + 60_000
        var closed: [ResampledBar] = []
        resampler.update(bar) { closed.append($0) }
        for bucket in closed {
            guard let value = atr.update(high: bucket.bar.high, low: bucket.bar.low, close: bucket.bar.close), bucket.bar.close > 0 else { continue }
            values.append((bucket.closeTime, value / bucket.bar.close))
            if values.count > retained + retained / 10 { values.removeFirst(values.count - retained) }
        }
    }

    /// ATR / close of the last bucket that closed at or before `time`, if known.
    public func value(at time: Int64) -> Double? {
        var low = 0, high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle].time <= time { low = middle + 1 } else { high = middle }
        }
        return low > 0 ? values[low - 1].fraction : nil
    }
}

/// How capital is split across symbols and when: every `rebalanceHours` on the UTC grid, each symbol gets
/// `totalCapital` × its weight — inverse volatility (calmer symbols more, each capped at `maximumWeight`)
/// or equal. The weights use every symbol's volatility one stop-timeframe bar before the rebalance time,
/// so all of it is final by the time any symbol reaches that time: the live trader (whose symbols' bars
/// arrive in any order) and a backtest compute the same capital.
public struct AllocationPlan: Sendable, Equatable {
    public enum Method: String, Sendable { case inverseVolatility = "inverse_volatility", equal }

    public var method: Method
    public var rebalanceHours: Int
    public var maximumWeight: Double
    /// The capital split, USDT.
    public var totalCapital: Double
    /// The symbols sharing it.
    public var symbols: [Symbol]
    /// How long before the rebalance time the volatility is read, ms (one stop-timeframe bar).
    public var lag: Int64

    public init(method: Method, rebalanceHours: Int, maximumWeight: Double, totalCapital: Double, symbols: [Symbol],
                lag: Int64 = Timeframe.fifteenMinutes.milliseconds) {
        self.method = method
        self.rebalanceHours = rebalanceHours
        self.maximumWeight = maximumWeight
        self.totalCapital = totalCapital
        self.symbols = symbols
        self.lag = lag
    }

    /// The equal share, USDT (also what a symbol gets while no volatility is known).
    public var equalShare: Double { totalCapital / Double(max(1, symbols.count)) }

    /// The rebalance time that governs decisions at bar close `close`: the latest grid time before it.
    public func rebalanceTime(before close: Int64) -> Int64 {
        let period = Int64(rebalanceHours) * 3_600_000
        return ((close - 1) / period) * period
    }

    /// Each symbol's capital at rebalance time `time`, from `volatility(symbol, at:)` (ATR / close). A symbol
    /// whose volatility is not known (no bars yet) gets the equal share (at most `maximumWeight` of the
    /// total), and the others split what is left, so the capitals never add up to more than `totalCapital`
    /// and none is more than `maximumWeight` of it.
    public func capitals(at time: Int64, volatility: (Symbol, Int64) -> Double?) -> [Symbol: Double] {
        guard method == .inverseVolatility else { return Dictionary(uniqueKeysWithValues: symbols.map { ($0, equalShare) }) }
        let unknownShare = min(equalShare, maximumWeight * totalCapital)
        var known: [Symbol: Double] = [:]
        for symbol in symbols {
            if let value = volatility(symbol, time - lag), value > 0, value.isFinite { known[symbol] = value }
        }
        let remainder = totalCapital - Double(symbols.count - known.count) * unknownShare
        guard !known.isEmpty, remainder > 0 else { return Dictionary(uniqueKeysWithValues: symbols.map { ($0, unknownShare) }) }
        let weights = CapitalAllocator.inverseVolatilityWeights(known, maximumWeight: min(1, maximumWeight * totalCapital / remainder))
        return Dictionary(uniqueKeysWithValues: symbols.map { ($0, weights[$0].map { $0 * remainder } ?? unknownShare) })
    }
}

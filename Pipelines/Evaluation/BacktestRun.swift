import Features
import Foundation
import MarketModel
import Storage
import TradingEngine

/// A backtest's inputs that are not the policy: data, costs, capital.
public struct BacktestSetup: Sendable {
    public var symbol: Symbol
    public var parameters: EngineParameters
    public var confirmation: ConfirmationRules
    public var initialCapital: Double
    public var tradingTimeframe: Timeframe
    /// Whose ATR sets the stop distance.
    public var stopTimeframe: Timeframe
    public var confirmationTimeframes: [Timeframe]
    public var spec: FeatureSpec
    /// Range of bar open times to trade, UTC ms (nil: all stored bars).
    public var from: Int64?
    public var to: Int64?
    /// The allocator's capital for the symbol over time (`AllocationSchedule`): each capital applies to
    /// decisions at bar closes after its time; the one in force at the first traded bar is the starting
    /// capital. Empty: `initialCapital` throughout.
    public var capitalSchedule: [(from: Int64, capital: Double)] = []
    /// After a drawdown halt: stay halted (the live rule) or resume after a cooling-off (`evaluation:
    /// after_halt` in `ml/training.yaml`), so a window yields the policy's trades over its whole range.
    public var afterHalt = HaltHandling.stayHalted

    public init(symbol: Symbol, parameters: EngineParameters, confirmation: ConfirmationRules, initialCapital: Double,
                tradingTimeframe: Timeframe = .oneMinute, stopTimeframe: Timeframe = .fifteenMinutes,
                confirmationTimeframes: [Timeframe], spec: FeatureSpec = .standard,
                from: Int64? = nil, to: Int64? = nil) {
        self.symbol = symbol
        self.parameters = parameters
        self.confirmation = confirmation
        self.initialCapital = initialCapital
        self.tradingTimeframe = tradingTimeframe
        self.stopTimeframe = stopTimeframe
        self.confirmationTimeframes = confirmationTimeframes
        self.spec = spec
        self.from = from
        self.to = to
    }
}

/// Why a backtest cannot run, saying what to fix.
public struct BacktestError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Data for a backtest: the bars to trade (with the history before them that the features need) and the
/// funding rates.
public struct BacktestData: Sendable {
    public var bars: [Bar]
    /// Index of the first bar traded (earlier bars only warm the features up).
    public var firstTraded: Int
    public var funding: [FundingRate]

    public init(bars: [Bar], firstTraded: Int, funding: [FundingRate]) {
        self.bars = bars
        self.firstTraded = firstTraded
        self.funding = funding
    }

    /// Loads 1m bars of `setup.symbol` from the store: `[from, to]` plus enough history before `from` for
    /// the features (the spec's warm-up, and the daily indicators' when available).
    public static func load(from store: any Store, setup: BacktestSetup) throws -> BacktestData {
        guard setup.parameters.problems.isEmpty else {
            throw BacktestError(description: "\(setup.symbol): invalid trading parameters: \(setup.parameters.problems.joined(separator: "; "))")
        }
        let history = Int64(setup.spec.tradingHistoryMinutes) * 60_000
        let start = setup.from.map { $0 - history }
        let bars = try store.candles(symbol: setup.symbol, timeframe: .oneMinute, from: start, to: setup.to, limit: nil)
        let firstTraded = setup.from.map { from in bars.firstIndex { $0.openTime >= from } ?? bars.count } ?? 0
        guard firstTraded < bars.count else {
            let range = [setup.from, setup.to].map { $0.map(UTCTime.format) ?? "…" }.joined(separator: " → ")
            throw BacktestError(description: "\(setup.symbol): no 1m bars in the store for \(range); import or download them first")
        }
        let funding = try store.fundingRates(symbol: setup.symbol, from: bars.first?.openTime, to: bars.last.map { $0.openTime + 60_000 })
        return BacktestData(bars: bars, firstTraded: firstTraded, funding: funding)
    }

    /// The bars up to the last one opening at or before `to`, trading from the first opening at or after
    /// `from` (the bars before stay as feature history). Nil when no bar falls in the range.
    public func window(from: Int64, to: Int64) -> BacktestData? {
        let end = bars.lastIndex { $0.openTime <= to }.map { $0 + 1 } ?? 0
        guard let start = bars.firstIndex(where: { $0.openTime >= from }), start < end else { return nil }
        return BacktestData(bars: Array(bars[0..<end]), firstTraded: start, funding: funding)
    }
}

/// A backtest's result with the policy as it ended.
public struct BacktestOutcome<Policy: TradingPolicy> {
    public var result: BacktestResult
    public var policy: Policy
    public var filteredEntries: Int
}

/// Runs policies over the same data through the one engine.
public enum BacktestRun {
    /// Replays `data` with `policy`; features are built on the fly (batch builder), the engine is stepped
    /// from `data.firstTraded` on.
    public static func run<Policy: TradingPolicy>(_ policy: Policy, data: BacktestData, setup: BacktestSetup) throws -> BacktestResult {
        try runDetailed(policy, data: data, setup: setup, entryFilter: nil).result
    }

    /// The same, also returning the policy as it ended (for policies that record what they saw) and how
    /// many entries `entryFilter` skipped.
    public static func runDetailed<Policy: TradingPolicy>(_ policy: Policy, data: BacktestData, setup: BacktestSetup,
                                                          entryFilter: (any EntryFilter)?) throws -> BacktestOutcome<Policy> {
        guard let columns = FeatureColumns(names: setup.spec.names, tradingTimeframe: setup.tradingTimeframe,
                                           stopTimeframe: setup.stopTimeframe, confirmationTimeframes: setup.confirmationTimeframes)
        else { throw BacktestError(description: "the feature set lacks the trading or confirmation timeframes' columns") }
        let firstClose = data.bars[data.firstTraded].openTime + setup.tradingTimeframe.milliseconds
        let initialCapital = setup.capitalSchedule.last { $0.from < firstClose }?.capital ?? setup.initialCapital
        let engine = SimulatedTradingEngine(parameters: setup.parameters, initialCapital: initialCapital,
                                   funding: FundingSchedule(rates: data.funding, fallbackRate: setup.parameters.fallbackFundingRate),
                                   confirmation: setup.confirmation, barMilliseconds: setup.tradingTimeframe.milliseconds)
        var backtester = Backtester(engine: engine, policy: policy, columns: columns)
        backtester.capitalSchedule = setup.capitalSchedule
        backtester.afterHalt = setup.afterHalt
        if let entryFilter { backtester.entryFilter = (entryFilter, EntryContextLayout(featureNames: setup.spec.names)) }
        FeatureMatrixBuilder.build(bars: data.bars, funding: data.funding, spec: setup.spec) { index, values, isValid in
            guard index >= data.firstTraded else { return }
            values.withUnsafeBufferPointer { backtester.step(data.bars[index], features: $0, isValid: isValid) }
        }
        let result = backtester.finish()
        return BacktestOutcome(result: result, policy: backtester.policy, filteredEntries: backtester.filteredEntries)
    }

    /// A baseline policy of the engine by name: flat, always-long, ema-cross, random (buy-and-hold is not
    /// one: it runs outside the engine's risk rules, see `runBaseline`).
    public static func baseline(_ name: String, seed: UInt64) -> (any TradingPolicy)? {
        switch name {
        case "flat": FlatPolicy()
        case "always-long": AlwaysLongPolicy()
        case "ema-cross": EMACrossPolicy()
        case "random": RandomPolicy(seed: seed)
        default: nil
        }
    }

    public static let baselineNames = ["flat", "buy-and-hold", "always-long", "ema-cross", "random"]

    /// Runs the baseline `name` (one of `baselineNames`); nil for an unknown name or a buy-and-hold the
    /// capital cannot buy.
    public static func runBaseline(_ name: String, seed: UInt64, data: BacktestData, setup: BacktestSetup) throws -> BacktestResult? {
        if name == BuyAndHoldBaseline.name { return BuyAndHoldBaseline.run(data: data, setup: setup) }
        guard let policy = baseline(name, seed: seed) else { return nil }
        return try run(any: policy, data: data, setup: setup)
    }

    /// Runs an existential policy (opens it to the generic run).
    public static func run(any policy: any TradingPolicy, data: BacktestData, setup: BacktestSetup) throws -> BacktestResult {
        try run(policy, data: data, setup: setup)
    }
}

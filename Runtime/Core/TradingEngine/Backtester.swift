import MarketModel

/// What a policy sees at a bar's close: the bar, its feature row and the position state.
public struct Observation {
    public var index: Int
    public var bar: Bar
    /// The feature row of this bar (`FeatureSpec` order), valid only during the call.
    public var features: UnsafeBufferPointer<Double>
    /// Whether the row may be acted on (warmed up, no recent gap).
    public var isValid: Bool
    public var position: PositionSide?
    /// Unrealised PnL of the open position in risk units (1 = the capital risked per trade).
    public var unrealizedRisk: Double
    /// Bars since the position opened (0 when flat).
    public var barsInTrade: Int
    /// Leverage of the open position (0 when flat).
    public var leverage: Double
    /// Drawdown from peak equity, fraction.
    public var drawdown: Double

    public init(index: Int, bar: Bar, features: UnsafeBufferPointer<Double>, isValid: Bool, position: PositionSide?,
                unrealizedRisk: Double, barsInTrade: Int, leverage: Double, drawdown: Double) {
        self.index = index
        self.bar = bar
        self.features = features
        self.isValid = isValid
        self.position = position
        self.unrealizedRisk = unrealizedRisk
        self.barsInTrade = barsInTrade
        self.leverage = leverage
        self.drawdown = drawdown
    }
}

/// Anything that turns observations into actions: the PPO agent, the baselines.
public protocol TradingPolicy {
    /// A short name for reports.
    var name: String { get }
    mutating func action(for observation: Observation) -> AgentAction
}

/// Where the backtester finds the values it needs in a feature row.
public struct FeatureColumns: Sendable {
    public var averageTrueRangeFraction: Int
    public var rsi: Int
    public var trends: [Int]
    /// Whose ATR sets the stop distance.
    public var stopTimeframe: Timeframe

    /// Looks the columns up by name: `atr_fraction_{tf}` of the stop timeframe, `rsi_{tf}` of the trading
    /// timeframe and `trend_{tf}` of each confirmation timeframe.
    public init?(names: [String], tradingTimeframe: Timeframe, stopTimeframe: Timeframe, confirmationTimeframes: [Timeframe]) {
        guard let atr = names.firstIndex(of: "atr_fraction_\(stopTimeframe.rawValue)"),
            let rsi = names.firstIndex(of: "rsi_\(tradingTimeframe.rawValue)")
        else { return nil }
        let trends = confirmationTimeframes.compactMap { names.firstIndex(of: "trend_\($0.rawValue)") }
        guard trends.count == confirmationTimeframes.count else { return nil }
        averageTrueRangeFraction = atr
        self.stopTimeframe = stopTimeframe
        self.rsi = rsi
        self.trends = trends
    }
}

/// Drives the engine with a policy, bar by bar: at each bar, the engine processes it (fills, exits,
/// funding, mark to market), then the policy sees the close and the engine decides. Backtests, paper
/// and live trading all step it (only the venue differs), so what the policy sees and how its action
/// becomes an order is one piece of code. Records the equity at every close when asked. Drive it with
/// `step` as rows arrive (no feature matrix is held in memory).
public struct Backtester<Policy: TradingPolicy, Venue: ExecutionVenue> {
    public var engine: TradingEngine<Venue>
    public var policy: Policy
    public let columns: FeatureColumns
    /// Equity at each close, USDT, and its time (UTC ms).
    public private(set) var equityCurve: [Double] = []
    public private(set) var equityTimes: [Int64] = []
    /// Bars during which a position was open.
    public private(set) var barsInMarket = 0
    private var trendBuffer: [Double]
    private var openedAtIndex = 0
    private var index = 0
    /// Whether the equity curve is kept (benchmarks turn it off).
    public var recordsEquity = true
    /// An optional check on new entries (e.g. the loser-similarity filter) with the layout of its context.
    public var entryFilter: (filter: any EntryFilter, layout: EntryContextLayout)?
    /// Entries the filter turned into holds.
    public private(set) var filteredEntries = 0
    /// False while new positions must not be opened (stale or catch-up data, an operator's pause): the
    /// policy's entries become holds; exits still happen.
    public var entriesAllowed = true
    /// Entries turned into holds because entries were not allowed.
    public private(set) var blockedEntries = 0
    /// The symbol's capital over time (the allocator's rebalances): each capital applies to the decisions at
    /// bar closes after its time. Empty: the engine's capital stays as it is.
    public var capitalSchedule: [(from: Int64, capital: Double)] = [] {
        didSet { scheduleIndex = 0 }
    }
    private var scheduleIndex = 0
    /// What happens after a halt that only an operator lifts (``HaltHandling``).
    public var afterHalt = HaltHandling.stayHalted
    /// When the current operator-only halt began, UTC ms.
    private var haltedSince: Int64?
    /// Halts that only an operator lifts (drawdown halts), and the resumes of the backtest's operator.
    public private(set) var operatorHalts = 0
    public private(set) var resumes = 0

    public init(engine: TradingEngine<Venue>, policy: Policy, columns: FeatureColumns) {
        self.engine = engine
        self.policy = policy
        self.columns = columns
        trendBuffer = Array(repeating: 0, count: columns.trends.count)
    }

    /// Processes one bar and its feature row.
    public mutating func step(_ bar: Bar, features: UnsafeBufferPointer<Double>, isValid: Bool) {
        if scheduleIndex < capitalSchedule.count {
            let close = bar.openTime + engine.barMilliseconds
            while scheduleIndex < capitalSchedule.count, capitalSchedule[scheduleIndex].from < close {
                engine.allocatedCapital = capitalSchedule[scheduleIndex].capital
                scheduleIndex += 1
            }
        }
        let hadPosition = engine.account.position != nil
        let wasHaltedForOperator = engine.risk.state == .halted && !engine.risk.haltLiftsByItself
        engine.process(bar)
        if !wasHaltedForOperator, engine.risk.state == .halted, !engine.risk.haltLiftsByItself { operatorHalts += 1 }
        if case let .resumeAfter(minutes) = afterHalt { resumeIfCooledOff(minutes: minutes) }
        if engine.account.position != nil {
            barsInMarket += 1
            if !hadPosition { openedAtIndex = index }
        }
        if recordsEquity {
            equityCurve.append(engine.equity)
            equityTimes.append(engine.lastTime)
        }
        let position = engine.account.position
        let riskUnit = max(engine.allocatedCapital * engine.parameters.risk.riskPerTrade, 1e-9)
        let observation = Observation(
            index: index, bar: bar, features: features, isValid: isValid, position: position?.side,
            unrealizedRisk: (position?.unrealizedPnL(at: bar.close) ?? 0) / riskUnit,
            barsInTrade: position == nil ? 0 : index - openedAtIndex, leverage: position?.leverage ?? 0,
            drawdown: engine.risk.drawdown(at: engine.equity))
        var action = policy.action(for: observation)
        if let entryFilter, position == nil, isValid, action != .hold,
           !entryFilter.filter.allows(side: action == .long ? .long : .short, context: entryFilter.layout.context(features)) {
            action = .hold
            filteredEntries += 1
        }
        if !entriesAllowed, position == nil, action != .hold {
            action = .hold
            blockedEntries += 1
        }
        if isValid || action == .hold || position != nil {
            for (slot, column) in columns.trends.enumerated() { trendBuffer[slot] = features[column] }
            let atr = features[columns.averageTrueRangeFraction] * bar.close / 100
            let rsi = features[columns.rsi] * 50 + 50
            // Invalid rows allow exits only: a new entry needs a valid row.
            engine.decide(isValid || position != nil ? action : .hold, averageTrueRange: atr, trends: trendBuffer, rsi: rsi)
        }
        index += 1
    }

    /// The simulated operator: resumes a flat account `minutes` after a halt that does not lift by itself.
    private mutating func resumeIfCooledOff(minutes: Int) {
        guard engine.risk.state == .halted, !engine.risk.haltLiftsByItself else {
            haltedSince = nil
            return
        }
        let since = haltedSince ?? engine.lastTime
        haltedSince = since
        guard engine.account.position == nil, engine.workingOrder == nil, engine.lastTime - since >= Int64(minutes) * 60_000 else { return }
        engine.resetRisk(reason: "resumed after a cooling-off of \(minutes) min (the backtest's operator; drawdown measured from here)")
        haltedSince = nil
        resumes += 1
    }

    /// Where the driver stands (what a restart must restore besides the engine).
    public struct Progress: Sendable, Codable, Equatable {
        public var index: Int
        public var openedAtIndex: Int
        public var barsInMarket: Int
        public var filteredEntries: Int
    }

    public var progress: Progress {
        get { Progress(index: index, openedAtIndex: openedAtIndex, barsInMarket: barsInMarket, filteredEntries: filteredEntries) }
        set {
            index = newValue.index
            openedAtIndex = newValue.openedAtIndex
            barsInMarket = newValue.barsInMarket
            filteredEntries = newValue.filteredEntries
        }
    }
}

extension Backtester: Sendable where Policy: Sendable {}

extension Backtester where Venue == SimulatedVenue {
    /// Closes what is open at the last price and returns the results.
    public mutating func finish() -> BacktestResult {
        engine.closeAtLastPrice()
        if recordsEquity, !equityCurve.isEmpty {
            equityCurve[equityCurve.count - 1] = engine.equity
        }
        return BacktestResult(policy: policy.name, initialCapital: engine.account.initialCapital, trades: engine.trades,
                              equityCurve: equityCurve, equityTimes: equityTimes, bars: index, barsInMarket: barsInMarket,
                              riskEvents: engine.riskEvents, refusals: engine.refusals,
                              fundingSettlements: engine.fundingSettlements, fundingFallbacks: engine.fundingFallbacks,
                              ledger: engine.account.ledger, finalEquity: engine.equity, operatorHalts: operatorHalts, resumes: resumes)
    }
}

/// What a backtest does after a halt that only an operator lifts (the drawdown halt). Live, the halt waits
/// for the operator; a backtest that did the same would end its record at the first losing streak, so
/// the edge of a policy is measured with an operator who resumes after a cooling-off.
public enum HaltHandling: Sendable, Equatable, Codable {
    /// The live rule: the account stays halted (and flat) to the end.
    case stayHalted
    /// An operator resumes once the account is flat and `minutes` have passed since the halt; the drawdown
    /// reference restarts from the equity then.
    case resumeAfter(minutes: Int)

    /// From a setting in minutes: 0 stays halted, N resumes after N minutes.
    public init(resumeAfterMinutes minutes: Int) { self = minutes == 0 ? .stayHalted : .resumeAfter(minutes: minutes) }

    /// "stay halted" or "resume after N min".
    public var label: String {
        switch self {
        case .stayHalted: "stay halted (the live rule)"
        case let .resumeAfter(minutes): "resume after \(minutes) min"
        }
    }
}

/// Everything a backtest produced.
public struct BacktestResult: Sendable {
    public var policy: String
    public var initialCapital: Double
    public var trades: [ClosedTrade]
    public var equityCurve: [Double]
    public var equityTimes: [Int64]
    public var bars: Int
    public var barsInMarket: Int
    public var riskEvents: [RiskStateChanged]
    public var refusals: [String: Int]
    public var fundingSettlements: Int
    public var fundingFallbacks: Int
    public var ledger: Ledger
    public var finalEquity: Double
    /// Halts that only an operator lifts (the drawdown halts), and the resumes of the backtest's operator.
    public var operatorHalts = 0
    public var resumes = 0

    public init(policy: String, initialCapital: Double, trades: [ClosedTrade], equityCurve: [Double], equityTimes: [Int64], bars: Int,
                barsInMarket: Int, riskEvents: [RiskStateChanged], refusals: [String: Int], fundingSettlements: Int, fundingFallbacks: Int,
                ledger: Ledger, finalEquity: Double, operatorHalts: Int = 0, resumes: Int = 0) {
        self.policy = policy
        self.initialCapital = initialCapital
        self.trades = trades
        self.equityCurve = equityCurve
        self.equityTimes = equityTimes
        self.bars = bars
        self.barsInMarket = barsInMarket
        self.riskEvents = riskEvents
        self.refusals = refusals
        self.fundingSettlements = fundingSettlements
        self.fundingFallbacks = fundingFallbacks
        self.ledger = ledger
        self.finalEquity = finalEquity
        self.operatorHalts = operatorHalts
        self.resumes = resumes
    }
}

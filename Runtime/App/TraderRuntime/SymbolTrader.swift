import Features
import MarketModel
import Policy
import TradingEngine

/// The policy the trader runs for a symbol: the promoted agent, or nothing (a symbol without a promoted
/// agent holds: it only manages a position it already has).
public struct TraderPolicy: TradingPolicy, Sendable {
    public var agent: AgentPolicy?
    public var name: String { agent?.name ?? "no agent" }

    public init(agent: AgentPolicy?) { self.agent = agent }

    public mutating func action(for observation: Observation) -> AgentAction {
        guard var agent else { return .hold }
        defer { self.agent = agent }
        return agent.action(for: observation)
    }
}

/// One symbol of the live trader: the streaming feature engine and the same driver the backtester uses
/// (engine, risk gate, sizer, confirmation, loser filter) on a venue: the paper venue (`PaperSymbolTrader`,
/// which executes inside the bar) or a command outbox (`OutboxSymbolTrader`: the commands wait for the
/// exchange, whose reports come back as events). Pure: the runtime feeds it bars and persists what it returns.
public struct SymbolTrader<Venue: ExecutionVenue>: Sendable {
    public typealias Driver = Backtester<ContextRecordingPolicy<TraderPolicy>, Venue>

    public let symbol: Symbol
    public private(set) var features: FeatureEngine
    public private(set) var driver: Driver
    /// Open time of the first bar the features were fed (a restart replays from here), and of the last
    /// bar traded, UTC ms.
    public private(set) var warmUpStart: Int64?
    public private(set) var lastBarOpenTime: Int64?
    public let layout: EntryContextLayout
    /// The symbol's volatility as the capital allocator reads it, and the rebalance time its capital is from.
    public private(set) var volatility: VolatilityTracker
    public private(set) var allocationTime: Int64?

    /// A trader of `symbol` around `engine` (no agent yet: it holds).
    init(symbol: Symbol, engine: TradingEngine<Venue>, columns: FeatureColumns, spec: FeatureSpec) {
        self.symbol = symbol
        features = FeatureEngine(spec: spec)
        layout = EntryContextLayout(featureNames: spec.names)
        volatility = VolatilityTracker(timeframe: columns.stopTimeframe, period: spec.parameters.atrPeriod)
        driver = Driver(engine: engine, policy: ContextRecordingPolicy(base: TraderPolicy(agent: nil), layout: layout, barMilliseconds: 60_000),
                        columns: columns)
        driver.recordsEquity = false
    }

    public var engine: TradingEngine<Venue> { driver.engine }
    public var agentVersion: String? { driver.policy.base.agent?.artifact.manifest.version }

    /// Forgets where the features started (a trader saved before its first bar warms up again).
    public mutating func forgetWarmUp() { warmUpStart = nil }

    /// Feeds a bar of history to the features only (warm-up, or a restart's replay).
    public mutating func warmUp(_ bar: Bar, funding: FundingRate?) {
        if warmUpStart == nil { warmUpStart = bar.openTime }
        features.update(bar: bar, funding: funding)
        volatility.update(bar)
    }

    /// The allocator's capital (the 1% risk base) from the rebalance at `time` on.
    public mutating func setAllocation(_ capital: Double, at time: Int64) {
        driver.engine.allocatedCapital = capital
        allocationTime = time
    }

    /// Trades one closed bar: features, then the driver (the venue executes and triggers inside the bar,
    /// the policy sees the close, the engine decides). Returns what the engine sent and applied.
    public mutating func trade(_ bar: Bar, funding: FundingRate?, entriesAllowed: Bool) -> EngineJournal {
        if warmUpStart == nil { warmUpStart = bar.openTime }
        let valid = features.update(bar: bar, funding: funding)
        volatility.update(bar)
        driver.entriesAllowed = entriesAllowed
        driver.engine.journal = EngineJournal()
        features.row.withUnsafeBufferPointer { driver.step(bar, features: $0, isValid: valid) }
        let journal = driver.engine.journal ?? EngineJournal()
        driver.engine.journal = nil
        driver.engine.clearHistory()
        lastBarOpenTime = bar.openTime
        keepOnlyLiveContexts(decidedAt: bar.openTime + 60_000, closed: journal.trades)
        return journal
    }

    /// Drops the entry contexts no trade can still need: only those of the trades just `closed` (taken
    /// next by the desk), the open position's and the working entry's (fill time `decidedAt`) stay, so a
    /// symbol whose entries keep being refused does not grow its state.
    private mutating func keepOnlyLiveContexts(decidedAt close: Int64, closed: [ClosedTrade]) {
        var keep = Set(closed.map(\.entryTime))
        if let position = engine.account.position { keep.insert(position.openedAt) }
        if case .submitEntry? = engine.workingOrder { keep.insert(close) }
        if driver.policy.contexts.keys.contains(where: { !keep.contains($0) }) {
            driver.policy.contexts = driver.policy.contexts.filter { keep.contains($0.key) }
        }
    }

    /// The entry context recorded for the position entered at `time` (a fill time), removed: a long-running
    /// trader keeps only what an open position may still need.
    public mutating func takeEntryContext(enteredAt time: Int64) -> [Double]? {
        let context = driver.policy.contexts.removeValue(forKey: time)
        if engine.account.position == nil, engine.workingOrder == nil { driver.policy.contexts.removeAll() }
        return context
    }

    /// Installs the agent that decides from the next bar on (nil: hold), with its loser filter if enabled.
    public mutating func setAgent(_ agent: AgentPolicy?, filter: LoserSimilarityFilter?) {
        driver.policy.base.agent = agent
        driver.engine.agentVersion = agent?.artifact.manifest.version ?? "none"
        driver.entryFilter = filter.map { ($0, layout) }
    }

    /// The operator's resume of a halt: the transition (nil when not halted) and what the engine recorded.
    public mutating func resetRisk() -> (RiskStateChanged?, EngineJournal) { operate { $0.resetRisk() } }
    /// The operator's halt: the transition (nil when already halted) and what the engine sent (a working
    /// entry cancelled, the position closed at the next open).
    public mutating func halt(reason: String) -> (RiskStateChanged?, EngineJournal) { operate { $0.haltByOperator(reason: reason) } }

    /// The operator's stop of entries (`/stop`): the working entry cancelled; whether there was one and
    /// what the engine sent.
    public mutating func cancelWorkingEntry() -> (Bool, EngineJournal) {
        var cancelled = false
        let (_, journal) = operate { engine in
            cancelled = engine.cancelWorkingEntry()
            return nil
        }
        return (cancelled, journal)
    }

    private mutating func operate(_ body: (inout TradingEngine<Venue>) -> RiskStateChanged?) -> (RiskStateChanged?, EngineJournal) {
        driver.engine.journal = EngineJournal()
        let change = body(&driver.engine)
        let journal = driver.engine.journal ?? EngineJournal()
        driver.engine.journal = nil
        driver.engine.clearHistory()
        return (change, journal)
    }

    /// What a restart restores besides the engine (the same for every venue).
    mutating func restore(progress: Driver.Progress, contexts: [Int64: [Double]], warmUpStart: Int64?, lastBarOpenTime: Int64?, allocationTime: Int64?) {
        driver.progress = progress
        driver.policy.contexts = contexts
        self.warmUpStart = warmUpStart
        self.lastBarOpenTime = lastBarOpenTime
        self.allocationTime = allocationTime
    }

    /// Replays a stored bar into the features during a restart (no trading: it was traded before).
    public mutating func replay(_ bar: Bar, funding: FundingRate?) {
        features.update(bar: bar, funding: funding)
        volatility.update(bar)
    }
}

/// A symbol traded on the paper venue (the backtester's fill model, inside each bar).
public typealias PaperSymbolTrader = SymbolTrader<SimulatedVenue>

extension SymbolTrader where Venue == SimulatedVenue {
    /// A fresh trader of `symbol` holding `capital` USDT on the paper venue.
    public init(symbol: Symbol, parameters: EngineParameters, capital: Double, funding: FundingSchedule, confirmation: ConfirmationRules,
                columns: FeatureColumns, spec: FeatureSpec = .standard) {
        self.init(symbol: symbol, engine: SimulatedTradingEngine(parameters: parameters, initialCapital: capital, funding: funding, confirmation: confirmation),
                  columns: columns, spec: spec)
    }

    /// A new trader's paper capital, set before its first bar (the allocator's share at `time`).
    public mutating func startCapital(_ capital: Double, allocationTime time: Int64) {
        guard lastBarOpenTime == nil else { return }
        let engine = driver.engine
        let venue = SimulatedVenue(parameters: engine.parameters, initialCapital: capital, funding: engine.venue.funding)
        driver.engine = SimulatedTradingEngine(parameters: engine.parameters, venue: venue, initialCapital: capital,
                                               confirmation: engine.decisionMaker.confirmation, agentVersion: engine.agentVersion)
        allocationTime = time
    }

    /// Moves the paper venue's funding schedule forward with settlements that became known.
    public mutating func addFunding(_ rates: [FundingRate]) { driver.engine.venue.funding.add(rates) }

    /// What a restart restores: the paper venue, the engine, the driver's counters and the features'
    /// starting point (the features are rebuilt by replaying the stored bars from `warmUpStart`).
    public struct State: Sendable, Codable {
        public var venue: SimulatedVenue.State
        public var engine: SimulatedTradingEngine.Snapshot
        public var progress: Driver.Progress
        public var warmUpStart: Int64?
        public var lastBarOpenTime: Int64?
        public var contexts: [Int64: [Double]]
        public var allocationTime: Int64?
    }

    public var state: State {
        State(venue: engine.venue.state, engine: engine.snapshot, progress: driver.progress, warmUpStart: warmUpStart,
              lastBarOpenTime: lastBarOpenTime, contexts: driver.policy.contexts, allocationTime: allocationTime)
    }

    /// A trader continuing from `state`; its features start empty and are replayed by the runtime.
    public init(symbol: Symbol, parameters: EngineParameters, state: State, funding: FundingSchedule, confirmation: ConfirmationRules,
                columns: FeatureColumns, spec: FeatureSpec = .standard) {
        let venue = SimulatedVenue(parameters: parameters, state: state.venue, funding: funding)
        self.init(symbol: symbol, engine: SimulatedTradingEngine(parameters: parameters, venue: venue, snapshot: state.engine, confirmation: confirmation,
                                                                 agentVersion: "none"),
                  columns: columns, spec: spec)
        restore(progress: state.progress, contexts: state.contexts, warmUpStart: state.warmUpStart, lastBarOpenTime: state.lastBarOpenTime,
                allocationTime: state.allocationTime)
    }
}

/// A symbol whose orders wait in a command outbox for the exchange (the live path): the desk sends them
/// and applies what the exchange reports, so the books are the exchange's.
public typealias OutboxSymbolTrader = SymbolTrader<CommandOutbox>

extension SymbolTrader where Venue == CommandOutbox {
    /// A fresh trader of `symbol` with `capital` USDT (the account's share) whose orders go through its outbox.
    public init(symbol: Symbol, parameters: EngineParameters, capital: Double, confirmation: ConfirmationRules, columns: FeatureColumns,
                spec: FeatureSpec = .standard) {
        self.init(symbol: symbol, engine: TradingEngine(parameters: parameters, venue: CommandOutbox(), initialCapital: capital, confirmation: confirmation),
                  columns: columns, spec: spec)
    }

    /// A new book's capital, set before its first bar (the allocator's share at `time`).
    public mutating func startCapital(_ capital: Double, allocationTime time: Int64) {
        guard lastBarOpenTime == nil else { return }
        let engine = driver.engine
        driver.engine = TradingEngine(parameters: engine.parameters, venue: engine.venue, initialCapital: capital,
                                      confirmation: engine.decisionMaker.confirmation, agentVersion: engine.agentVersion)
        allocationTime = time
    }

    /// What a restart restores (the exchange holds the rest: its position, orders and stops are read back
    /// by reconciliation; the features are rebuilt by replaying the stored bars from `warmUpStart`).
    public struct Saved: Sendable, Codable {
        public var engine: TradingEngine<CommandOutbox>.Snapshot
        /// Commands decided and not yet taken for the exchange (the desk takes them before it saves, so
        /// normally none; kept rather than lost, since the engine's working order waits for them).
        public var untaken: [VenueCommand]
        public var progress: Driver.Progress
        public var warmUpStart: Int64?
        public var lastBarOpenTime: Int64?
        public var contexts: [Int64: [Double]]
        public var allocationTime: Int64?
    }

    public var saved: Saved {
        Saved(engine: engine.snapshot, untaken: engine.venue.outbox, progress: driver.progress, warmUpStart: warmUpStart, lastBarOpenTime: lastBarOpenTime,
              contexts: driver.policy.contexts, allocationTime: allocationTime)
    }

    /// A trader continuing from `saved`; its features start empty and are replayed by the runtime.
    public init(symbol: Symbol, parameters: EngineParameters, saved: Saved, confirmation: ConfirmationRules, columns: FeatureColumns,
                spec: FeatureSpec = .standard) {
        self.init(symbol: symbol, engine: TradingEngine(parameters: parameters, venue: CommandOutbox(untaken: saved.untaken), snapshot: saved.engine,
                                                        confirmation: confirmation,
                                                        agentVersion: "none"),
                  columns: columns, spec: spec)
        restore(progress: saved.progress, contexts: saved.contexts, warmUpStart: saved.warmUpStart, lastBarOpenTime: saved.lastBarOpenTime,
                allocationTime: saved.allocationTime)
    }

    /// Takes a position the bot did not open into the flat book by its opening `fill` (nothing when the
    /// book holds one); it counts its bars from the bar about to be traded.
    public mutating func adopt(_ fill: Fill) -> EngineJournal {
        guard engine.account.position == nil else { return EngineJournal() }
        let (_, journal) = operate { engine in
            engine.apply(.orderFilled(fill, exitReason: nil))
            return nil
        }
        driver.progress.openedAtIndex = driver.progress.index
        return journal
    }

    /// The close `event` limited to `position`: nil when it is on the position's own side, its size and
    /// fee cut to the position's when larger.
    static func clipped(_ event: VenueEvent, to position: Position) -> VenueEvent? {
        func limit(_ fill: Fill) -> Fill? {
            guard fill.side.sign != position.side.sign else { return nil }
            guard fill.size > position.size, fill.size > 0 else { return fill }
            var cut = fill
            cut.fee = fill.fee * position.size / fill.size
            cut.size = position.size
            return cut
        }
        switch event {
        case let .orderFilled(fill, reason): return limit(fill).map { .orderFilled($0, exitReason: reason) }
        case let .protectionTriggered(reason, fill): return limit(fill).map { .protectionTriggered(reason, $0) }
        default: return event
        }
    }

    /// Whether `event` is the fill of a close (an exit, a halt's close, a fired stop or take-profit).
    static func closes(_ event: VenueEvent) -> Bool {
        switch event {
        case let .orderFilled(fill, _): fill.clientOrderID?.purpose != .entry
        case .protectionTriggered: true
        default: false
        }
    }

    /// The commands the last bar (or operator action) decided, oldest first; taking them empties the outbox.
    public mutating func takeCommands() -> [VenueCommand] { driver.engine.venue.take() }

    /// Applies what the exchange reported (fills, fired stops, rejections, unknown outcomes) and returns
    /// what the engine recorded (trades closed, risk changes). The contract: a command's outcome is
    /// applied before the next bar is traded (a fill reported later finds the bar's decision made
    /// without it).
    public mutating func apply(_ events: [VenueEvent]) -> EngineJournal {
        let wasFlat = engine.account.position == nil
        // The entry's context was recorded at its decision (the bar's close); the position it opens is
        // known by its fill's time, the exchange's, so the context moves there for its strategy record.
        for case let .orderFilled(fill, _) in events {
            guard let id = fill.clientOrderID, id.purpose == .entry, let decided = id.decisionTime, decided != fill.time,
                  let context = driver.policy.contexts.removeValue(forKey: decided) else { continue }
            driver.policy.contexts[fill.time] = context
        }
        var unbooked: [VenueEvent] = []
        var (_, journal) = operate { engine in
            for event in events {
                // A close is booked only against the position it closes, for at most its size: a close of
                // a position the book does not hold (one the bot did not open, flattened), on the book's own
                // side, or beyond its size (a position changed by hand) would open or grow one in the book.
                guard Self.closes(event) else {
                    engine.apply(event)
                    continue
                }
                if let position = engine.account.position, let close = Self.clipped(event, to: position) {
                    engine.apply(close)
                } else if case let .orderFilled(fill, _) = event, let id = fill.clientOrderID {
                    // Not booked, but settled: the engine stops waiting for it (its row still says it filled).
                    engine.apply(.orderCanceled(id, time: fill.time))
                    unbooked.append(event)
                }
            }
            return nil
        }
        journal.events += unbooked
        // A position opened by a fill counts its bars from the bar about to be traded, as on paper, where
        // the fill happens inside that bar.
        if wasFlat, engine.account.position != nil { driver.progress.openedAtIndex = driver.progress.index }
        return journal
    }
}

import MarketModel

/// The one trading engine of a symbol: training, backtests, paper and live all drive it. It decides and
/// its venue executes: at a bar's close the engine turns the policy's action into a command (an entry
/// with its stop and take-profit, a close) through the risk gate, the sizer and the decision maker, and
/// sends it to the venue; the venue's events (fills, protection armed or triggered, liquidations,
/// funding) come back and update the engine's books. It never reads a clock: time is the bars'.
///
/// With `SimulatedVenue` an order decided at a bar's close fills at the next bar's open, protection and
/// liquidation trigger inside bars and funding settles at its times; equity is marked to market at each
/// close. With a live venue the same decisions become exchange orders.
public struct TradingEngine<Venue: ExecutionVenue>: Sendable {
    public let parameters: EngineParameters
    public let sizer: PositionSizer
    public var decisionMaker: DecisionMaker
    /// Where commands go.
    public var venue: Venue
    /// The engine's books, kept from the venue's events (equal to a simulated venue's own account).
    public private(set) var account: PerpetualAccount
    public private(set) var risk: RiskGate
    /// Capital the 1% risk is measured against, USDT (set by the allocator; the initial capital by default).
    public var allocatedCapital: Double
    /// Bar duration, ms.
    public let barMilliseconds: Int64
    /// The agent whose decisions this engine executes: part of every client order id.
    public var agentVersion: String { didSet { agentVersionHash = ClientOrderID.hash(agentVersion) } }
    private var agentVersionHash: String
    /// When set, every command sent and event applied is appended here for the runtime to persist.
    public var journal: EngineJournal?

    /// Everything that happened, in order; readers may clear them.
    public var trades: [ClosedTrade] = []
    public var riskEvents: [RiskStateChanged] = []
    public private(set) var refusals: [String: Int] = [:]

    public private(set) var lastClose = 0.0
    /// High − low of the last processed bar, USDT (the slippage reference of what is decided at its close).
    public private(set) var lastRange = 0.0
    /// Close time of the last processed bar, UTC ms.
    public private(set) var lastTime: Int64 = 0
    /// The order sent and not yet filled, rejected or cancelled (at most one per symbol).
    public private(set) var workingOrder: VenueCommand?
    /// An order whose outcome the venue could not report (``VenueEvent/orderOutcomeUnknown``), until it is
    /// resolved: the runtime resolves it by its client id, else halts the symbol.
    public private(set) var unresolvedOrder: ClientOrderID?
    private var events: [VenueEvent] = []

    public init(parameters: EngineParameters, venue: Venue, initialCapital: Double, confirmation: ConfirmationRules = ConfirmationRules(),
                barMilliseconds: Int64 = 60_000, agentVersion: String = "backtest") {
        self.parameters = parameters
        sizer = PositionSizer(parameters: parameters)
        decisionMaker = DecisionMaker(confirmation: confirmation)
        self.venue = venue
        account = PerpetualAccount(initialCapital: initialCapital)
        risk = RiskGate(rules: parameters.risk, equity: initialCapital)
        allocatedCapital = initialCapital
        self.barMilliseconds = barMilliseconds
        self.agentVersion = agentVersion
        agentVersionHash = ClientOrderID.hash(agentVersion)
    }

    public var symbol: Symbol { parameters.contract.symbol }

    /// Equity at the last close, USDT.
    public var equity: Double { account.equity(at: lastClose) }

    /// Steps through one closed bar: the venue executes and triggers what falls in it (its events update
    /// the books), equity is marked to market at the close, and a halted account is flattened.
    public mutating func process(_ bar: Bar) {
        if !events.isEmpty { events.removeAll(keepingCapacity: true) }
        venue.advance(through: bar, events: &events)
        for index in events.indices { apply(events[index]) }
        lastClose = bar.close
        lastRange = bar.high - bar.low
        lastTime = bar.openTime + barMilliseconds
        let flat = account.position == nil
        if let change = risk.observe(equity: account.equity(at: bar.close), time: lastTime, isFlat: flat) { riskChanged(change) }
        if risk.mustFlatten, !flat, !exitIsWorking { send(.closePosition(exitOrder(.halt))) }
    }

    /// Decides at the last processed bar's close. `averageTrueRange` (price units) sizes entries;
    /// `trends` (−1/0/+1 per confirmation timeframe) and `rsi` (0–100, trading timeframe) confirm them.
    @discardableResult
    public mutating func decide(_ action: AgentAction, averageTrueRange: Double, trends: [Double] = [], rsi: Double = 50) -> Decision {
        if case let .closePosition(order)? = workingOrder, order.reason == .halt { return .close(.halt) }
        let decision = decisionMaker.decide(action: action, position: account.position?.side, risk: risk.state,
                                            trends: trends, rsi: rsi)
        switch decision {
        case .none:
            return decision
        case let .close(reason):
            if workingOrder == nil { send(.closePosition(exitOrder(reason))) }
            return decision
        case let .refused(_, reason):
            refusals[reason, default: 0] += 1
            return decision
        case let .enter(side):
            guard workingOrder == nil else { return .none }
            switch sizer.plan(side: side, price: lastClose, averageTrueRange: averageTrueRange, capital: allocatedCapital,
                              available: account.availableBalance, referenceRange: lastRange) {
            case let .success(plan):
                send(.submitEntry(EntryOrder(
                    clientOrderID: ClientOrderID(symbol: symbol, purpose: .entry, decisionTime: lastTime, versionHash: agentVersionHash),
                    side: plan.side, size: plan.size, leverage: plan.leverage, stopLoss: plan.stopLoss, takeProfit: plan.takeProfit,
                    referencePrice: plan.referencePrice, decisionTime: lastTime)))
                return decision
            case let .failure(refusal):
                let reason = refusal.reasonKey
                refusals[reason, default: 0] += 1
                return .refused(side, reason: reason)
            }
        }
    }

    /// The operator's reset of a halt; returns the transition (nil when the symbol is not halted).
    @discardableResult
    public mutating func resetRisk(reason: String = "reset by the operator") -> RiskStateChanged? {
        guard let change = risk.reset(equity: equity, time: lastTime, reason: reason) else { return nil }
        riskChanged(change)
        return change
    }

    /// The operator's halt: no entries (an entry still working is cancelled); an open position is closed
    /// at the next open.
    @discardableResult
    public mutating func haltByOperator(reason: String) -> RiskStateChanged? {
        guard let change = risk.halt(reason: reason, time: lastTime) else { return nil }
        riskChanged(change)
        // Already halted (a daily-loss halt made the operator's): the gate's own flatten is under way.
        guard change.from != .halted else { return change }
        if case let .submitEntry(order)? = workingOrder { send(.cancel(order.clientOrderID)) }
        if account.position != nil, !exitIsWorking { send(.closePosition(exitOrder(.halt))) }
        return change
    }

    /// The operator's stop of entries: cancels the entry still working (decided at a close, not yet
    /// filled at the next open). Returns whether there was one.
    @discardableResult
    public mutating func cancelWorkingEntry() -> Bool {
        guard case let .submitEntry(order)? = workingOrder else { return false }
        send(.cancel(order.clientOrderID))
        return true
    }

    /// Drops what the engine has recorded so far (a long-running trader persists, then forgets them).
    public mutating func clearHistory() {
        trades.removeAll()
        riskEvents.removeAll()
    }

    /// Applies one event of the venue to the books (the live runtime calls it with the exchange's reports).
    public mutating func apply(_ event: VenueEvent) {
        journal?.events.append(event)
        switch event {
        case .orderAccepted:
            break
        case let .orderOutcomeUnknown(id, _, _):
            // Still the working order: nothing new is sent until its outcome is known.
            unresolvedOrder = id
        case let .orderRejected(id, reason, _):
            refusals[reason, default: 0] += 1
            if workingOrder?.clientOrderID == id { workingOrder = nil }
            if unresolvedOrder == id { unresolvedOrder = nil }
        case let .orderCanceled(id, _):
            if workingOrder?.clientOrderID == id { workingOrder = nil }
            if unresolvedOrder == id { unresolvedOrder = nil }
        case let .orderFilled(fill, exitReason):
            if workingOrder?.clientOrderID == fill.clientOrderID { workingOrder = nil }
            if unresolvedOrder == fill.clientOrderID { unresolvedOrder = nil }
            book(fill, reason: exitReason ?? .signal)
        case let .protectionArmed(stopLoss, takeProfit, _):
            account.setProtection(stopLoss: stopLoss, takeProfit: takeProfit)
        case let .protectionTriggered(reason, fill):
            if case .closePosition? = workingOrder { workingOrder = nil }  // the position it was to close is gone
            book(fill, reason: reason)
        case let .positionLiquidated(price, fee, time):
            if case .closePosition? = workingOrder { workingOrder = nil }
            if let trade = account.liquidate(price: price, fee: fee, time: time) { closed(trade) }
        case let .fundingSettled(_, amount, _):
            account.applyFunding(amount: amount)
        }
    }

    private var exitIsWorking: Bool {
        if case .closePosition? = workingOrder { return true }
        return false
    }

    private func exitOrder(_ reason: ExitReason) -> ExitOrder {
        ExitOrder(clientOrderID: ClientOrderID(symbol: symbol, purpose: reason == .halt ? .halt : .exit, decisionTime: lastTime, versionHash: agentVersionHash),
                  reason: reason, decisionTime: lastTime)
    }

    private mutating func send(_ command: VenueCommand) {
        journal?.commands.append(command)
        if case .submitEntry = command { workingOrder = command } else if case .closePosition = command { workingOrder = command }
        events.removeAll(keepingCapacity: true)
        venue.submit(command, events: &events)
        for index in events.indices { apply(events[index]) }
    }

    private mutating func book(_ fill: Fill, reason: ExitReason) {
        account.fill(direction: fill.side.sign, size: fill.size, price: fill.price, fee: fill.fee, leverage: fill.leverage,
                     time: fill.time, reason: reason).forEach { closed($0) }
    }

    private mutating func closed(_ trade: ClosedTrade) {
        trades.append(trade)
        journal?.trades.append(trade)
        if let change = risk.record(tradeResult: trade.netPnL, time: trade.exitTime) { riskChanged(change) }
    }

    private mutating func riskChanged(_ change: RiskStateChanged) {
        riskEvents.append(change)
        journal?.riskEvents.append(change)
    }
}

extension TradingEngine {
    /// What a restart must restore of an engine (its venue's state is the venue's own business).
    public struct Snapshot: Sendable, Codable, Equatable {
        public var account: PerpetualAccount
        public var risk: RiskGate.Snapshot
        public var allocatedCapital: Double
        public var refusals: [String: Int]
        public var lastClose: Double
        /// Absent in snapshots written before it was kept (read as 0 until the next bar).
        public var lastRange: Double?
        public var lastTime: Int64
        public var workingOrder: VenueCommand?
        public var unresolvedOrder: ClientOrderID?
    }

    public var snapshot: Snapshot {
        Snapshot(account: account, risk: risk.snapshot, allocatedCapital: allocatedCapital, refusals: refusals, lastClose: lastClose,
                 lastRange: lastRange, lastTime: lastTime, workingOrder: workingOrder, unresolvedOrder: unresolvedOrder)
    }

    /// An engine continuing from `snapshot` with `venue` (restored separately).
    public init(parameters: EngineParameters, venue: Venue, snapshot: Snapshot, confirmation: ConfirmationRules,
                barMilliseconds: Int64 = 60_000, agentVersion: String) {
        self.init(parameters: parameters, venue: venue, initialCapital: snapshot.account.initialCapital, confirmation: confirmation,
                  barMilliseconds: barMilliseconds, agentVersion: agentVersion)
        account = snapshot.account
        risk = RiskGate(rules: parameters.risk, snapshot: snapshot.risk)
        allocatedCapital = snapshot.allocatedCapital
        refusals = snapshot.refusals
        lastClose = snapshot.lastClose
        lastRange = snapshot.lastRange ?? 0
        lastTime = snapshot.lastTime
        workingOrder = snapshot.workingOrder
        unresolvedOrder = snapshot.unresolvedOrder
    }
}

/// What an engine sent and applied since the runtime last took it.
public struct EngineJournal: Sendable {
    public var commands: [VenueCommand] = []
    public var events: [VenueEvent] = []
    public var trades: [ClosedTrade] = []
    public var riskEvents: [RiskStateChanged] = []

    public init() {}

    public var isEmpty: Bool { commands.isEmpty && events.isEmpty && trades.isEmpty && riskEvents.isEmpty }
}

/// The engine of backtests, training and paper trading.
public typealias SimulatedTradingEngine = TradingEngine<SimulatedVenue>

extension TradingEngine where Venue == SimulatedVenue {
    /// An engine on a fresh simulated venue holding `initialCapital`.
    public init(parameters: EngineParameters, initialCapital: Double, funding: FundingSchedule,
                confirmation: ConfirmationRules = ConfirmationRules(), barMilliseconds: Int64 = 60_000, agentVersion: String = "backtest") {
        self.init(parameters: parameters, venue: SimulatedVenue(parameters: parameters, initialCapital: initialCapital, funding: funding,
                                                                barMilliseconds: barMilliseconds),
                  initialCapital: initialCapital, confirmation: confirmation, barMilliseconds: barMilliseconds, agentVersion: agentVersion)
    }

    /// Closes any open position at the last close (end of a backtest or episode), as a market order.
    public mutating func closeAtLastPrice(reason: ExitReason = .endOfData) {
        workingOrder = nil
        venue.cancelPending()
        guard account.position != nil else { return }
        events.removeAll(keepingCapacity: true)
        venue.execute(.closePosition(exitOrder(reason)), price: lastClose, referenceRange: venue.previousRange, time: lastTime,
                      events: &events)
        for index in events.indices { apply(events[index]) }
    }

    /// Funding settlement times passed, and how many had no data.
    public var fundingSettlements: Int { venue.fundingSettlements }
    public var fundingFallbacks: Int { venue.fundingFallbacks }
}

extension EntryRefusal {
    /// A stable key for counting refusals.
    var reasonKey: String {
        switch self {
        case .noVolatility: "no volatility (ATR unknown)"
        case .belowMinimum: "below the contract minimum size"
        case .liquidationBeforeStop: "liquidation would come before the stop"
        case .leverageAboveBand: "margin would need leverage above the band"
        }
    }
}

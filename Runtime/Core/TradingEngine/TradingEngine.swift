import MarketModel

/// The one trading engine of a symbol: training, backtests, paper and live all drive it. It holds the
/// account, the risk gate, the sizer and the decision maker, and steps bar by bar: an order decided at a
/// bar's close fills at the next bar's open; protective orders and liquidation trigger inside bars;
/// funding settles at its times; equity is marked to market at each close. It never reads a clock: time
/// is the bars'.
public struct TradingEngine: Sendable {
    public let parameters: EngineParameters
    public let fillModel: FillModel
    public let sizer: PositionSizer
    public var decisionMaker: DecisionMaker
    public private(set) var account: PerpetualAccount
    public private(set) var risk: RiskGate
    /// Capital the 1% risk is measured against, USDT (set by the allocator; the initial capital by default).
    public var allocatedCapital: Double
    /// Bar duration, ms (funding settles at bar closes that fall on its schedule).
    public let barMilliseconds: Int64

    /// Everything that happened, in order; readers may clear them.
    public var trades: [ClosedTrade] = []
    public var riskEvents: [RiskStateChanged] = []
    public private(set) var refusals: [String: Int] = [:]
    /// Funding settlement times passed, and how many of them had no data (the configured constant was
    /// used for them, if a position was open).
    public private(set) var fundingSettlements = 0
    public private(set) var fundingFallbacks = 0

    public private(set) var lastClose = 0.0
    /// Close time of the last processed bar, UTC ms.
    public private(set) var lastTime: Int64 = 0
    private var previousRange = 0.0
    private var pending: Pending?
    private let funding: FundingSchedule

    enum Pending: Sendable {
        case enter(EntryPlan)
        case close(ExitReason)
    }

    public init(parameters: EngineParameters, initialCapital: Double, funding: FundingSchedule,
                confirmation: ConfirmationRules = ConfirmationRules(), barMilliseconds: Int64 = 60_000) {
        self.parameters = parameters
        fillModel = FillModel(parameters: parameters)
        sizer = PositionSizer(parameters: parameters)
        decisionMaker = DecisionMaker(confirmation: confirmation)
        account = PerpetualAccount(initialCapital: initialCapital)
        risk = RiskGate(rules: parameters.risk, equity: initialCapital)
        allocatedCapital = initialCapital
        self.barMilliseconds = barMilliseconds
        self.funding = funding
    }

    /// Equity at the last close, USDT.
    public var equity: Double { account.equity(at: lastClose) }

    /// Steps through one bar: the pending order fills at the open, protective orders and liquidation
    /// trigger inside the bar, funding settles at the close if one is due, and equity is marked to market.
    public mutating func process(_ bar: Bar) {
        if let order = pending {
            pending = nil
            execute(order, at: bar)
        }
        if let position = account.position, let (reason, level) = fillModel.trigger(for: position, in: bar) {
            if reason == .liquidation {
                if let trade = account.liquidate(price: level, feeRate: parameters.liquidationFeeRate, time: bar.openTime) {
                    closed(trade)
                }
            } else {
                let exitDirection = -position.side.sign
                let price = fillModel.marketPrice(direction: exitDirection, price: level, referenceRange: bar.high - bar.low)
                let trades = account.fill(direction: exitDirection, size: position.size, price: price,
                                          fee: fillModel.takerFee(size: position.size, price: price), leverage: position.leverage,
                                          time: bar.openTime, reason: reason)
                trades.forEach { closed($0) }
            }
        }
        let closeTime = bar.openTime + barMilliseconds
        if closeTime % (Int64(parameters.fundingIntervalHours) * 3_600_000) == 0 {
            let (rate, fromData) = funding.rate(at: closeTime)
            fundingSettlements += 1
            if !fromData { fundingFallbacks += 1 }
            if account.position != nil { account.settleFunding(rate: rate, markPrice: bar.close) }
        }
        lastClose = bar.close
        lastTime = closeTime
        previousRange = bar.high - bar.low
        if let change = risk.observe(equity: account.equity(at: bar.close), time: closeTime) { riskEvents.append(change) }
        if risk.mustFlatten, account.position != nil { pending = .close(.halt) }
    }

    /// Decides at the last processed bar's close. `averageTrueRange` (price units) sizes entries;
    /// `trends` (−1/0/+1 per confirmation timeframe) and `rsi` (0–100, trading timeframe) confirm them.
    @discardableResult
    public mutating func decide(_ action: AgentAction, averageTrueRange: Double, trends: [Double] = [], rsi: Double = 50) -> Decision {
        if case .close(.halt) = pending { return .close(.halt) }
        let decision = decisionMaker.decide(action: action, position: account.position?.side, risk: risk.state,
                                            trends: trends, rsi: rsi)
        switch decision {
        case .none:
            return decision
        case let .close(reason):
            pending = .close(reason)
            return decision
        case let .refused(_, reason):
            refusals[reason, default: 0] += 1
            return decision
        case let .enter(side):
            switch sizer.plan(side: side, price: lastClose, averageTrueRange: averageTrueRange, capital: allocatedCapital,
                              available: account.availableBalance) {
            case let .success(plan):
                pending = .enter(plan)
                return decision
            case let .failure(refusal):
                let reason = refusal.reasonKey
                refusals[reason, default: 0] += 1
                return .refused(side, reason: reason)
            }
        }
    }

    /// The operator's reset of a halt.
    public mutating func resetRisk() {
        if let change = risk.reset(equity: equity, time: lastTime) { riskEvents.append(change) }
    }

    /// Closes any open position at the last close (end of a backtest or episode), as a market order.
    public mutating func closeAtLastPrice(reason: ExitReason = .endOfData) {
        pending = nil
        guard let position = account.position else { return }
        let direction = -position.side.sign
        let price = fillModel.marketPrice(direction: direction, price: lastClose, referenceRange: previousRange)
        account.fill(direction: direction, size: position.size, price: price,
                     fee: fillModel.takerFee(size: position.size, price: price), leverage: position.leverage,
                     time: lastTime, reason: reason).forEach { closed($0) }
    }

    private mutating func execute(_ order: Pending, at bar: Bar) {
        switch order {
        case let .close(reason):
            guard let position = account.position else { return }
            let direction = -position.side.sign
            let price = fillModel.marketPrice(direction: direction, price: bar.open, referenceRange: previousRange)
            account.fill(direction: direction, size: position.size, price: price,
                         fee: fillModel.takerFee(size: position.size, price: price), leverage: position.leverage,
                         time: bar.openTime, reason: reason).forEach { closed($0) }
        case let .enter(plan):
            guard account.position == nil else { return }
            let direction = plan.side.sign
            let price = fillModel.marketPrice(direction: direction, price: bar.open, referenceRange: previousRange)
            let fee = fillModel.takerFee(size: plan.size, price: price)
            guard account.availableBalance >= plan.size * price / plan.leverage + fee else {
                refusals["insufficient margin at the fill", default: 0] += 1
                return
            }
            account.fill(direction: direction, size: plan.size, price: price, fee: fee, leverage: plan.leverage,
                         time: bar.openTime, stopLoss: plan.stopLoss, takeProfit: plan.takeProfit)
        }
    }

    private mutating func closed(_ trade: ClosedTrade) {
        trades.append(trade)
        if let change = risk.record(tradeResult: trade.netPnL, time: trade.exitTime) { riskEvents.append(change) }
    }
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

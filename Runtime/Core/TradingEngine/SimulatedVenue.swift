import MarketModel

/// The simulated exchange of one symbol: the fill model and the perpetual account (isolated margin,
/// fees, slippage, funding, liquidation, stop-loss and take-profit as exchange-side triggers). Market
/// orders submitted at a bar's close fill at the next bar's open; protection and liquidation trigger
/// inside bars from their high and low; funding settles at bar closes on its schedule. The one fill model
/// and the one accounting of the project: backtests, training, paper trading and the exchange simulator
/// all execute here.
public struct SimulatedVenue: ExecutionVenue {
    public let parameters: EngineParameters
    public let fillModel: FillModel
    /// Bar duration, ms (funding settles at bar closes that fall on its schedule).
    public let barMilliseconds: Int64
    public var funding: FundingSchedule
    public private(set) var account: PerpetualAccount
    /// The order waiting for the next bar's open.
    public private(set) var pending: VenueCommand?
    /// High − low of the last bar (the slippage reference of orders filled at the next open), and the
    /// close time of the last bar, UTC ms.
    public private(set) var previousRange = 0.0
    public private(set) var lastTime: Int64 = 0
    /// Funding settlement times passed, and how many of them had no data (the fallback rate was used for
    /// them, if a position was open).
    public private(set) var fundingSettlements = 0
    public private(set) var fundingFallbacks = 0

    public init(parameters: EngineParameters, initialCapital: Double, funding: FundingSchedule, barMilliseconds: Int64 = 60_000) {
        self.parameters = parameters
        fillModel = FillModel(parameters: parameters)
        self.barMilliseconds = barMilliseconds
        self.funding = funding
        account = PerpetualAccount(initialCapital: initialCapital)
    }

    public mutating func submit(_ command: VenueCommand, events: inout [VenueEvent]) {
        switch command {
        case .submitEntry, .closePosition:
            let id = command.clientOrderID!
            if let working = pending?.clientOrderID {
                events.append(.orderRejected(id, reason: "order \(working) is still working", time: lastTime))
            } else {
                pending = command
                events.append(.orderAccepted(id, time: lastTime))
            }
        case let .amendProtection(stopLoss, takeProfit):
            guard let position = account.position else { return }
            account.setProtection(stopLoss: stopLoss ?? position.stopLoss, takeProfit: takeProfit ?? position.takeProfit)
            events.append(.protectionArmed(stopLoss: account.position?.stopLoss, takeProfit: account.position?.takeProfit, time: lastTime))
        case let .cancel(id):
            guard pending?.clientOrderID == id else { return }
            pending = nil
            events.append(.orderCanceled(id, time: lastTime))
        }
    }

    public mutating func advance(through bar: Bar, events: inout [VenueEvent]) {
        if let command = pending {
            pending = nil
            execute(command, price: bar.open, referenceRange: previousRange, time: bar.openTime, events: &events)
        }
        if let position = account.position, let (reason, level) = fillModel.trigger(for: position, in: bar) {
            if reason == .liquidation {
                let fee = account.liquidationFee(price: level, feeRate: parameters.liquidationFeeRate)
                account.liquidate(price: level, fee: fee, time: bar.openTime)
                events.append(.positionLiquidated(price: level, fee: fee, time: bar.openTime))
            } else {
                let side = OrderSide.closing(position.side)
                let price = fillModel.marketPrice(direction: side.sign, price: level, referenceRange: bar.high - bar.low)
                let fee = fillModel.takerFee(size: position.size, price: price)
                account.fill(direction: side.sign, size: position.size, price: price, fee: fee, leverage: position.leverage,
                             time: bar.openTime, reason: reason)
                events.append(.protectionTriggered(reason, Fill(clientOrderID: nil, side: side, size: position.size, price: price, fee: fee,
                                                                liquidity: .taker, leverage: position.leverage, time: bar.openTime)))
            }
        }
        let closeTime = bar.openTime + barMilliseconds
        if funding.hasSettlement(at: closeTime) || closeTime % (Int64(parameters.fundingIntervalHours) * 3_600_000) == 0 {
            let (rate, fromData) = funding.rate(at: closeTime)
            fundingSettlements += 1
            if !fromData { fundingFallbacks += 1 }
            if account.position != nil {
                let amount = account.settleFunding(rate: rate, markPrice: bar.close)
                events.append(.fundingSettled(rate: rate, amount: amount, time: closeTime))
            }
        }
        previousRange = bar.high - bar.low
        lastTime = closeTime
    }

    /// Executes `command` now at `price` (before slippage), the slippage set by `referenceRange`: what
    /// the next bar's open does for a pending order, and what an exchange that fills market orders at once
    /// (the exchange simulator) does on receipt.
    public mutating func execute(_ command: VenueCommand, price reference: Double, referenceRange: Double, time: Int64,
                                 checkMargin: Bool = true, events: inout [VenueEvent]) {
        switch command {
        case let .submitEntry(order):
            guard account.position == nil else {
                events.append(.orderRejected(order.clientOrderID, reason: "a position is already open", time: time))
                return
            }
            let side = OrderSide.opening(order.side)
            let price = fillModel.marketPrice(direction: side.sign, price: reference, referenceRange: referenceRange)
            let fee = fillModel.takerFee(size: order.size, price: price)
            guard !checkMargin || account.availableBalance >= order.size * price / order.leverage + fee else {
                events.append(.orderRejected(order.clientOrderID, reason: "insufficient margin at the fill", time: time))
                return
            }
            account.fill(direction: side.sign, size: order.size, price: price, fee: fee, leverage: order.leverage, time: time,
                         stopLoss: order.stopLoss, takeProfit: order.takeProfit)
            events.append(.orderFilled(Fill(clientOrderID: order.clientOrderID, side: side, size: order.size, price: price, fee: fee,
                                            liquidity: .taker, leverage: order.leverage, time: time), exitReason: nil))
            events.append(.protectionArmed(stopLoss: order.stopLoss, takeProfit: order.takeProfit, time: time))
        case let .closePosition(order):
            guard let position = account.position else {
                events.append(.orderRejected(order.clientOrderID, reason: "no position to close", time: time))
                return
            }
            let side = OrderSide.closing(position.side)
            let price = fillModel.marketPrice(direction: side.sign, price: reference, referenceRange: referenceRange)
            let fee = fillModel.takerFee(size: position.size, price: price)
            account.fill(direction: side.sign, size: position.size, price: price, fee: fee, leverage: position.leverage, time: time,
                         reason: order.reason)
            events.append(.orderFilled(Fill(clientOrderID: order.clientOrderID, side: side, size: position.size, price: price, fee: fee,
                                            liquidity: .taker, leverage: position.leverage, time: time), exitReason: order.reason))
        case .amendProtection, .cancel:
            submit(command, events: &events)
        }
    }

    /// Fills an order of any size now at `price` (slippage already applied by the caller), paying the
    /// fee of `liquidity`: the general order path of an exchange that accepts any order (the exchange
    /// simulator: adds, partial closes, flips). Returns the fee and the trades it closed.
    @discardableResult
    public mutating func fillOrder(side: OrderSide, size: Double, price: Double, liquidity: Liquidity, leverage: Double, time: Int64,
                                   reason: ExitReason = .signal, stopLoss: Double? = nil, takeProfit: Double? = nil)
        -> (fee: Double, trades: [ClosedTrade])
    {
        let fee = fillModel.fee(size: size, price: price, liquidity: liquidity)
        let trades = account.fill(direction: side.sign, size: size, price: price, fee: fee, leverage: leverage, time: time, reason: reason,
                                  stopLoss: stopLoss, takeProfit: takeProfit)
        return (fee, trades)
    }

    /// Drops the order waiting for the next open, if any (the end of a backtest or an episode).
    public mutating func cancelPending() { pending = nil }

    /// Sets the open position's stop-loss and take-profit exactly (nil removes one): an exchange's own
    /// bookkeeping of its position TP/SL orders (the exchange simulator), not an engine command.
    public mutating func setProtection(stopLoss: Double?, takeProfit: Double?) {
        account.setProtection(stopLoss: stopLoss, takeProfit: takeProfit)
    }
}

extension SimulatedVenue {
    /// What a paper account must keep across a restart: the account, the waiting order and the counters.
    public struct State: Sendable, Codable, Equatable {
        public var account: PerpetualAccount
        public var pending: VenueCommand?
        public var previousRange: Double
        public var lastTime: Int64
        public var fundingSettlements: Int
        public var fundingFallbacks: Int
    }

    public var state: State {
        State(account: account, pending: pending, previousRange: previousRange, lastTime: lastTime,
              fundingSettlements: fundingSettlements, fundingFallbacks: fundingFallbacks)
    }

    /// A venue continuing from `state` (a paper account restored after a restart).
    public init(parameters: EngineParameters, state: State, funding: FundingSchedule, barMilliseconds: Int64 = 60_000) {
        self.init(parameters: parameters, initialCapital: state.account.initialCapital, funding: funding, barMilliseconds: barMilliseconds)
        account = state.account
        pending = state.pending
        previousRange = state.previousRange
        lastTime = state.lastTime
        fundingSettlements = state.fundingSettlements
        fundingFallbacks = state.fundingFallbacks
    }
}

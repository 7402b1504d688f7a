/// Buy or sell: an order's direction (one-way mode: a buy opens or adds to a long, or reduces a short).
public enum OrderSide: String, Sendable, Codable, Equatable {
    case buy, sell

    /// +1 for buy, −1 for sell.
    public var sign: Double { self == .buy ? 1 : -1 }
    /// The side that opens a position of `side`.
    public static func opening(_ side: PositionSide) -> OrderSide { side == .long ? .buy : .sell }
    /// The side that closes a position of `side`.
    public static func closing(_ side: PositionSide) -> OrderSide { side == .long ? .sell : .buy }
}

/// Whether a fill took liquidity (market orders, triggered stops: the taker fee) or provided it.
public enum Liquidity: String, Sendable, Codable, Equatable {
    case taker, maker
}

/// A sized entry with its protection, as the engine decided it.
public struct EntryOrder: Sendable, Equatable, Codable {
    public var clientOrderID: ClientOrderID
    public var side: PositionSide
    /// Base-asset size, a multiple of the contract's size step.
    public var size: Double
    /// Whole-number leverage inside the symbol's band.
    public var leverage: Double
    /// Protective prices on the contract's tick, USDT.
    public var stopLoss: Double
    public var takeProfit: Double
    /// The decision bar's close the entry was sized at, USDT, and when the decision was made (UTC ms).
    public var referencePrice: Double
    public var decisionTime: Int64

    public init(clientOrderID: ClientOrderID, side: PositionSide, size: Double, leverage: Double, stopLoss: Double, takeProfit: Double,
                referencePrice: Double, decisionTime: Int64) {
        self.clientOrderID = clientOrderID
        self.side = side
        self.size = size
        self.leverage = leverage
        self.stopLoss = stopLoss
        self.takeProfit = takeProfit
        self.referencePrice = referencePrice
        self.decisionTime = decisionTime
    }
}

/// A reduce-only market order that closes the whole position.
public struct ExitOrder: Sendable, Equatable, Codable {
    public var clientOrderID: ClientOrderID
    public var reason: ExitReason
    public var decisionTime: Int64

    public init(clientOrderID: ClientOrderID, reason: ExitReason, decisionTime: Int64) {
        self.clientOrderID = clientOrderID
        self.reason = reason
        self.decisionTime = decisionTime
    }
}

/// What the engine tells a venue to do (imperative). The venue answers with `VenueEvent`s.
public enum VenueCommand: Sendable, Equatable, Codable {
    /// A market entry; its stop-loss and take-profit are armed once it fills.
    case submitEntry(EntryOrder)
    /// A reduce-only market order closing the position.
    case closePosition(ExitOrder)
    /// Moves the open position's stop-loss and take-profit (nil: leave as is).
    case amendProtection(stopLoss: Double?, takeProfit: Double?)
    /// Cancels a working order.
    case cancel(ClientOrderID)

    /// The client id of the order the command concerns, if any.
    public var clientOrderID: ClientOrderID? {
        switch self {
        case let .submitEntry(order): order.clientOrderID
        case let .closePosition(order): order.clientOrderID
        case let .cancel(id): id
        case .amendProtection: nil
        }
    }
}

/// One execution at the venue.
public struct Fill: Sendable, Equatable, Codable {
    /// The order that filled; nil for fills the venue made by itself (a triggered stop, a take-profit).
    public var clientOrderID: ClientOrderID?
    public var side: OrderSide
    /// Base-asset size and price, USDT.
    public var size: Double
    public var price: Double
    /// Fee charged, USDT.
    public var fee: Double
    public var liquidity: Liquidity
    /// Leverage the position is held at (for an opening fill), UTC ms of the fill.
    public var leverage: Double
    public var time: Int64

    public init(clientOrderID: ClientOrderID?, side: OrderSide, size: Double, price: Double, fee: Double, liquidity: Liquidity,
                leverage: Double, time: Int64) {
        self.clientOrderID = clientOrderID
        self.side = side
        self.size = size
        self.price = price
        self.fee = fee
        self.liquidity = liquidity
        self.leverage = leverage
        self.time = time
    }
}

/// What happened at a venue (past tense): the engine applies these to its books.
public enum VenueEvent: Sendable, Equatable, Codable {
    case orderAccepted(ClientOrderID, time: Int64)
    /// The venue refused the order; nothing was executed.
    case orderRejected(ClientOrderID, reason: String, time: Int64)
    /// The order's outcome is not known (a timeout, a 5xx, a lost response): it is never taken for
    /// rejected. The engine keeps it as the working order, sends nothing new, and waits for it to be
    /// resolved by its client id (a fill, a rejection or a cancel).
    case orderOutcomeUnknown(ClientOrderID, reason: String, time: Int64)
    /// A commanded order filled (an entry, or a close with its reason).
    case orderFilled(Fill, exitReason: ExitReason?)
    case orderCanceled(ClientOrderID, time: Int64)
    /// The position's stop-loss and take-profit are live at the venue (USDT; nil: none).
    case protectionArmed(stopLoss: Double?, takeProfit: Double?, time: Int64)
    /// A stop-loss or take-profit fired and closed the position with `fill`.
    case protectionTriggered(ExitReason, Fill)
    /// The position was liquidated at `price` (USDT), paying `fee` (USDT) from what margin was left.
    case positionLiquidated(price: Double, fee: Double, time: Int64)
    /// A funding settlement: `amount` USDT received (negative: paid) at `rate` per interval.
    case fundingSettled(rate: Double, amount: Double, time: Int64)

    /// When it happened, UTC ms.
    public var time: Int64 {
        switch self {
        case let .orderAccepted(_, time), let .orderRejected(_, _, time), let .orderOutcomeUnknown(_, _, time), let .orderCanceled(_, time),
             let .protectionArmed(_, _, time), let .positionLiquidated(_, _, time), let .fundingSettled(_, _, time):
            time
        case let .orderFilled(fill, _), let .protectionTriggered(_, fill): fill.time
        }
    }
}

/// Long or short. In one-way mode a symbol holds at most one position.
public enum PositionSide: String, Sendable, Codable, Equatable {
    case long, short

    /// +1 for long, −1 for short.
    public var sign: Double { self == .long ? 1 : -1 }
    public var opposite: PositionSide { self == .long ? .short : .long }
}

/// An open isolated-margin position.
public struct Position: Sendable, Equatable, Codable {
    public var side: PositionSide
    /// Size in the base asset (BTC, ETH…), > 0.
    public var size: Double
    /// Volume-weighted average entry price, USDT.
    public var entryPrice: Double
    /// Isolated margin held by the position, USDT.
    public var margin: Double
    /// Leverage chosen at entry (notional at entry / margin).
    public var leverage: Double
    public var stopLoss: Double?
    public var takeProfit: Double?
    /// When the position was opened, UTC ms.
    public var openedAt: Int64
    /// Fees and funding attributed to this position so far, USDT (for its trade record).
    public var fees: Double
    public var funding: Double

    public init(side: PositionSide, size: Double, entryPrice: Double, margin: Double, leverage: Double, stopLoss: Double?,
                takeProfit: Double?, openedAt: Int64, fees: Double, funding: Double) {
        self.side = side
        self.size = size
        self.entryPrice = entryPrice
        self.margin = margin
        self.leverage = leverage
        self.stopLoss = stopLoss
        self.takeProfit = takeProfit
        self.openedAt = openedAt
        self.fees = fees
        self.funding = funding
    }

    /// Notional value at `price`, USDT.
    public func notional(at price: Double) -> Double { size * price }

    /// The funding one settlement at `rate` pays this position, valued at `markPrice`: received when
    /// positive (longs pay shorts when the rate is positive), USDT.
    public func funding(rate: Double, markPrice: Double) -> Double { -side.sign * notional(at: markPrice) * rate }

    /// Unrealised profit at `price`, USDT.
    public func unrealizedPnL(at price: Double) -> Double { side.sign * size * (price - entryPrice) }

    /// The price at which margin + unrealised PnL equals the maintenance margin plus the taker fee of
    /// closing at that price (BitGet's isolated-margin formula; maintenance-margin rate r from the tier of
    /// the position's notional, taker fee rate f, direction d = +1 long, −1 short):
    ///
    /// p = (M − s·e·d) / (s·(r + f − d))
    ///
    /// long:  M + s·(p − e) = (r + f)·s·p  ⇒  p = (s·e − M) / (s·(1 − r − f))
    /// short: M + s·(e − p) = (r + f)·s·p  ⇒  p = (s·e + M) / (s·(1 + r + f))
    public func liquidationPrice(contract: ContractSpec, takerFeeRate: Double) -> Double {
        let rate = contract.maintenanceMarginRate(notional: notional(at: entryPrice)) + takerFeeRate
        switch side {
        case .long: return max(0, (size * entryPrice - margin) / (size * (1 - rate)))
        case .short: return (size * entryPrice + margin) / (size * (1 + rate))
        }
    }
}

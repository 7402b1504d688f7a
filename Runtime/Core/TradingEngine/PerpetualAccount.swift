import MarketModel

/// Why a position (or part of it) was closed.
public enum ExitReason: String, Sendable, Codable, Equatable {
    case takeProfit = "take-profit", stop, liquidation, signal, halt, endOfData = "end-of-data"
}

/// A closed trade (or the closed part of a position), with everything it cost.
public struct ClosedTrade: Sendable, Equatable, Codable {
    public var side: PositionSide
    public var size: Double
    public var leverage: Double
    public var entryTime: Int64
    public var entryPrice: Double
    public var exitTime: Int64
    public var exitPrice: Double
    /// Entry and exit fees (including any liquidation fee), USDT.
    public var fees: Double
    /// Funding received minus paid while open, USDT.
    public var funding: Double
    /// Price PnL before costs, USDT.
    public var grossPnL: Double
    public var exitReason: ExitReason

    /// What the trade added to equity: gross − fees + funding, USDT.
    public var netPnL: Double { grossPnL - fees + funding }
}

/// Running totals of one account, USDT.
public struct Ledger: Sendable, Equatable {
    public var realizedPnL = 0.0
    public var feesPaid = 0.0
    public var fundingPaid = 0.0
    public var fundingReceived = 0.0
}

/// The isolated-margin account of one symbol in one-way mode: a wallet balance and at most one position.
/// Fills, funding and liquidations change it; equity is always
/// `initial capital + realised PnL − fees − funding paid + funding received + unrealised PnL`.
public struct PerpetualAccount: Sendable {
    public let initialCapital: Double
    /// Initial capital + realised PnL − fees ± funding, USDT (isolated margin is part of it).
    public private(set) var walletBalance: Double
    public private(set) var position: Position?
    public private(set) var ledger = Ledger()

    public init(initialCapital: Double) {
        self.initialCapital = initialCapital
        walletBalance = initialCapital
    }

    /// Wallet balance plus unrealised PnL at `price`, USDT.
    public func equity(at price: Double) -> Double { walletBalance + (position?.unrealizedPnL(at: price) ?? 0) }

    /// Balance not locked as position margin, USDT.
    public var availableBalance: Double { walletBalance - (position?.margin ?? 0) }

    /// Applies a fill: `direction` +1 buys, −1 sells `size` at `price`, paying `fee` (USDT). A fill against
    /// the position reduces it (realising PnL, releasing margin proportionally); beyond its size it flips
    /// to a new position at `leverage`. Returns the trades closed by the fill.
    @discardableResult
    public mutating func fill(direction: Double, size: Double, price: Double, fee: Double, leverage: Double, time: Int64,
                              reason: ExitReason = .signal, stopLoss: Double? = nil, takeProfit: Double? = nil) -> [ClosedTrade] {
        precondition(size > 0 && price > 0 && leverage >= 1, "fill needs size > 0, price > 0, leverage >= 1")
        walletBalance -= fee
        ledger.feesPaid += fee
        var closed: [ClosedTrade] = []
        var remaining = size
        var remainingFee = fee
        if var open = position, open.side.sign != direction {
            let closing = min(remaining, open.size)
            let fraction = closing / open.size
            let feeShare = fee * closing / size
            let gross = open.side.sign * closing * (price - open.entryPrice)
            walletBalance += gross
            ledger.realizedPnL += gross
            closed.append(ClosedTrade(side: open.side, size: closing, leverage: open.leverage, entryTime: open.openedAt,
                                      entryPrice: open.entryPrice, exitTime: time, exitPrice: price,
                                      fees: open.fees * fraction + feeShare, funding: open.funding * fraction,
                                      grossPnL: gross, exitReason: reason))
            remaining -= closing
            remainingFee -= feeShare
            if closing >= open.size {
                position = nil
            } else {
                open.size -= closing
                open.margin *= 1 - fraction
                open.fees *= 1 - fraction
                open.funding *= 1 - fraction
                position = open
            }
        }
        if remaining > 0 {
            let side: PositionSide = direction > 0 ? .long : .short
            let margin = remaining * price / leverage
            if var open = position {  // adding to the same side
                let total = open.size + remaining
                open.entryPrice = (open.entryPrice * open.size + price * remaining) / total
                open.size = total
                open.margin += margin
                open.leverage = open.entryPrice * open.size / open.margin
                open.fees += remainingFee
                if let stopLoss { open.stopLoss = stopLoss }
                if let takeProfit { open.takeProfit = takeProfit }
                position = open
            } else {
                position = Position(side: side, size: remaining, entryPrice: price, margin: margin, leverage: leverage,
                                    stopLoss: stopLoss, takeProfit: takeProfit, openedAt: time, fees: remainingFee, funding: 0)
            }
        }
        return closed
    }

    /// Settles one funding interval: the position's value at `markPrice` × `rate` is paid by longs to shorts
    /// when the rate is positive (the reverse when negative). Returns the amount received (negative: paid).
    @discardableResult
    public mutating func settleFunding(rate: Double, markPrice: Double) -> Double {
        guard var open = position else { return 0 }
        let amount = -open.side.sign * open.notional(at: markPrice) * rate
        walletBalance += amount
        if amount >= 0 { ledger.fundingReceived += amount } else { ledger.fundingPaid -= amount }
        open.funding += amount
        position = open
        return amount
    }

    /// Closes the whole position at its liquidation price; the loss is capped at the position's margin
    /// (isolated), and a liquidation fee of `feeRate` × notional is charged from what margin is left.
    @discardableResult
    public mutating func liquidate(price: Double, feeRate: Double, time: Int64) -> ClosedTrade? {
        guard let open = position else { return nil }
        let gross = open.unrealizedPnL(at: price)
        let left = max(0, open.margin + gross)
        let fee = min(left, feeRate * open.notional(at: price))
        let cappedGross = max(gross, -open.margin)
        walletBalance += cappedGross - fee
        ledger.realizedPnL += cappedGross
        ledger.feesPaid += fee
        position = nil
        return ClosedTrade(side: open.side, size: open.size, leverage: open.leverage, entryTime: open.openedAt,
                           entryPrice: open.entryPrice, exitTime: time, exitPrice: price, fees: open.fees + fee,
                           funding: open.funding, grossPnL: cappedGross, exitReason: .liquidation)
    }

    /// Moves the stop-loss and take-profit of the open position.
    public mutating func setProtection(stopLoss: Double?, takeProfit: Double?) {
        position?.stopLoss = stopLoss
        position?.takeProfit = takeProfit
    }
}

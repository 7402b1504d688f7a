import MarketModel

/// Running totals of one account, USDT.
public struct Ledger: Sendable, Equatable, Codable {
    public var realizedPnL = 0.0
    public var feesPaid = 0.0
    public var fundingPaid = 0.0
    public var fundingReceived = 0.0
}

/// The isolated-margin account of one symbol in one-way mode: a wallet balance and at most one position.
/// Fills, funding and liquidations change it; equity is always
/// `initial capital + realised PnL − fees − funding paid + funding received + unrealised PnL`.
public struct PerpetualAccount: Sendable, Equatable, Codable {
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
        guard let open = position else { return 0 }
        let amount = open.funding(rate: rate, markPrice: markPrice)
        applyFunding(amount: amount)
        return amount
    }

    /// Books a funding settlement the venue reported: `amount` USDT received (negative: paid).
    public mutating func applyFunding(amount: Double) {
        guard var open = position else { return }
        walletBalance += amount
        if amount >= 0 { ledger.fundingReceived += amount } else { ledger.fundingPaid -= amount }
        open.funding += amount
        position = open
    }

    /// The liquidation fee of the open position closed at `price`: `feeRate` × notional, never more than
    /// the margin left (isolated).
    public func liquidationFee(price: Double, feeRate: Double) -> Double {
        guard let open = position else { return 0 }
        return min(max(0, open.margin + open.unrealizedPnL(at: price)), feeRate * open.notional(at: price))
    }

    /// Closes the whole position at its liquidation price; the loss is capped at the position's margin
    /// (isolated), and a liquidation fee of `feeRate` × notional is charged from what margin is left.
    @discardableResult
    public mutating func liquidate(price: Double, feeRate: Double, time: Int64) -> ClosedTrade? {
        liquidate(price: price, fee: liquidationFee(price: price, feeRate: feeRate), time: time)
    }

    /// Closes the whole position at `price` as a liquidation charging `fee` (USDT), the loss capped at
    /// the position's margin.
    @discardableResult
    public mutating func liquidate(price: Double, fee: Double, time: Int64) -> ClosedTrade? {
        guard let open = position else { return nil }
        let gross = open.unrealizedPnL(at: price)
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

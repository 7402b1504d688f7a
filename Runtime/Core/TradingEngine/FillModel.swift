import MarketModel

/// How orders fill against bars: market orders at a reference price moved against the trader by the
/// slippage model, fees on notional, and the protective orders (stop-loss, take-profit) and liquidation
/// triggered inside a bar from its high and low. Used by the backtester, the training environment and
/// the exchange simulator alike.
public struct FillModel: Sendable {
    public let parameters: EngineParameters

    public init(parameters: EngineParameters) { self.parameters = parameters }

    /// Price of a market order of `direction` (+1 buy, −1 sell) at `price`, with `referenceRange` the high −
    /// low of the bar that sets the slippage.
    public func marketPrice(direction: Double, price: Double, referenceRange: Double) -> Double {
        price + direction * slippage(price: price, referenceRange: referenceRange)
    }

    /// How far a market order at `price` fills against the trader, USDT per unit: `slippageBasisPoints` of
    /// the price plus `slippageRangeFraction` of `referenceRange` (a bar's high − low).
    public func slippage(price: Double, referenceRange: Double) -> Double {
        price * parameters.slippageBasisPoints / 10_000 + referenceRange * parameters.slippageRangeFraction
    }

    /// Taker fee of a fill, USDT.
    public func takerFee(size: Double, price: Double) -> Double { size * price * parameters.takerFeeRate }

    /// Fee of a fill that took (`taker`) or provided (`maker`) liquidity, USDT.
    public func fee(size: Double, price: Double, liquidity: Liquidity) -> Double {
        size * price * (liquidity == .taker ? parameters.takerFeeRate : parameters.makerFeeRate)
    }

    /// What, if anything, closes `position` inside `bar`, and at what price (before slippage). The path is
    /// taken to start at the open: a level the open has already passed fills at the open (a gap), except
    /// liquidation, which is at its price. Inside the bar, when the stop and the take-profit both lie
    /// within its range the stop is taken first (conservative), and the risk manager keeps the stop
    /// before the liquidation price, so liquidation inside a bar happens only without a stop.
    public func trigger(for position: Position, in bar: Bar) -> (reason: ExitReason, price: Double)? {
        let liquidation = parameters.liquidationPrice(of: position)
        let sign = position.side.sign
        // "Beyond" a level in the losing direction: below it for a long, above it for a short.
        func losing(_ price: Double, _ level: Double) -> Bool { sign * (price - level) <= 0 }
        func winning(_ price: Double, _ level: Double) -> Bool { sign * (price - level) >= 0 }
        let adverse = position.side == .long ? bar.low : bar.high
        let favourable = position.side == .long ? bar.high : bar.low
        let stop = position.stopLoss.flatMap { winning($0, liquidation) && $0 != liquidation ? $0 : nil }
        if losing(bar.open, liquidation) { return (.liquidation, liquidation) }
        if let stop, losing(bar.open, stop) { return (.stop, bar.open) }
        if let target = position.takeProfit, winning(bar.open, target) { return (.takeProfit, bar.open) }
        if let stop, losing(adverse, stop) { return (.stop, stop) }
        if losing(adverse, liquidation) { return (.liquidation, liquidation) }
        if let target = position.takeProfit, winning(favourable, target) { return (.takeProfit, target) }
        return nil
    }
}

import MarketModel

/// A sized entry, ready to be sent.
public struct EntryPlan: Sendable, Equatable {
    public var side: PositionSide
    /// Base-asset size, a multiple of the contract's size step.
    public var size: Double
    /// The reference price the plan was made at (the decision bar's close), USDT.
    public var referencePrice: Double
    /// Protective prices, on the contract's tick.
    public var stopLoss: Double
    public var takeProfit: Double
    /// Whole-number leverage inside the symbol's band.
    public var leverage: Double
    /// Isolated margin the entry locks, USDT.
    public var margin: Double
    /// Loss if the stop fills at its price, both fills' slippage and fees included, USDT.
    public var riskAmount: Double
    /// Where the position would be liquidated, USDT.
    public var liquidationPrice: Double
}

/// Why an entry was refused.
public enum EntryRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case noVolatility
    case belowMinimum(size: Double, minimumSize: Double, notional: Double, minimumNotional: Double)
    case liquidationBeforeStop(requiredLeverage: Double, safeLeverage: Double)
    case leverageAboveBand(requiredLeverage: Double, maximum: Double)

    public var description: String {
        switch self {
        case .noVolatility: "ATR is zero or unknown: no stop distance"
        case let .belowMinimum(size, minimumSize, notional, minimumNotional):
            "size \(size) (notional \(notional) USDT) is below the contract minimum \(minimumSize) / \(minimumNotional) USDT"
        case let .liquidationBeforeStop(required, safe):
            "leverage \(required) would put liquidation inside the stop distance plus buffer (safe up to \(safe))"
        case let .leverageAboveBand(required, maximum):
            "the margin available needs leverage \(required), above the band's maximum \(maximum)"
        }
    }
}

/// Sizes entries so the loss at the ATR stop is `riskPerTrade` of the symbol's capital with every cost
/// of the round trip counted: the slippage model at the entry and at the stop's fill, and the taker fee
/// of both fills. Picks the lowest whole leverage in the band that leaves the available balance room for
/// the margin and the entry fee at a fill up to ``fillPriceAllowance`` worse than expected, and refuses
/// an entry whose liquidation price (the closing fee included) would not lie beyond the stop by
/// `liquidationBuffer`.
public struct PositionSizer: Sendable {
    public let parameters: EngineParameters
    /// How much worse than the slipped reference price the entry may fill (the next open moves), fraction:
    /// the margin check at the fill passes up to this move.
    public static let fillPriceAllowance = 0.005

    public init(parameters: EngineParameters) { self.parameters = parameters }

    /// - Parameters:
    ///   - price: the reference entry price (the decision bar's close), USDT.
    ///   - averageTrueRange: ATR of the stop timeframe, in price units.
    ///   - capital: the capital allocated to the symbol (risk base), USDT.
    ///   - available: balance not locked as margin, USDT.
    ///   - referenceRange: high − low of the decision bar, USDT: the slippage model's range term, for the
    ///     entry and (as the best estimate of the stop bar's) for the stop's fill.
    public func plan(side: PositionSide, price: Double, averageTrueRange: Double, capital: Double,
                     available: Double, referenceRange: Double) -> Result<EntryPlan, EntryRefusal> {
        let rules = parameters.risk, contract = parameters.contract, fills = FillModel(parameters: parameters)
        guard averageTrueRange > 0, averageTrueRange.isFinite, price > 0 else { return .failure(.noVolatility) }
        let sign = side.sign
        // Stop on the tick toward the entry (never wider than the ATR multiple), take-profit on the nearest tick.
        let rawStop = price - sign * rules.atrStopMultiple * averageTrueRange
        let stop = side == .long ? PriceGrid.ceil(rawStop, step: contract.tickSize) : PriceGrid.floor(rawStop, step: contract.tickSize)
        let target = PriceGrid.round(price + sign * rules.atrTakeProfitMultiple * averageTrueRange, step: contract.tickSize)
        let distance = abs(price - stop)
        guard distance > 0, stop > 0 else { return .failure(.noVolatility) }
        // Loss per unit at the stop: entry fill (slipped against the trader) − stop fill (slipped again), plus
        // the taker fee of both fills.
        let entryFill = price + sign * fills.slippage(price: price, referenceRange: referenceRange)
        let stopFill = stop - sign * fills.slippage(price: stop, referenceRange: referenceRange)
        let lossPerUnit = sign * (entryFill - stopFill) + parameters.takerFeeRate * (entryFill + stopFill)
        let size = PriceGrid.floor(rules.riskPerTrade * capital / lossPerUnit, step: contract.sizeStep)
        let notional = size * price
        guard size >= contract.minimumSize, notional >= contract.minimumNotional else {
            return .failure(.belowMinimum(size: size, minimumSize: contract.minimumSize, notional: notional,
                                          minimumNotional: contract.minimumNotional))
        }
        // Liquidation distance (1/L − r')/(1 ∓ r'), r' = maintenance rate + taker fee, must be at least
        // (1 + buffer) × the stop distance.
        let rate = contract.maintenanceMarginRate(notional: notional) + parameters.takerFeeRate
        let stopFraction = distance / price
        let safe = 1 / (rate + (1 + sign * -rate) * (1 + rules.liquidationBuffer) * stopFraction)
        // The fill check: available ≥ notional at the fill / L + entry fee, at a fill `fillPriceAllowance` worse.
        let worstNotional = size * entryFill * (1 + Self.fillPriceAllowance)
        let spendable = available - worstNotional * parameters.takerFeeRate
        let needed = max(parameters.leverageBand.minimum, spendable > 0 ? worstNotional / spendable : .infinity)
        let leverage = needed.rounded(.up)
        guard leverage <= parameters.leverageBand.maximum else {
            return .failure(.leverageAboveBand(requiredLeverage: leverage, maximum: parameters.leverageBand.maximum))
        }
        guard leverage <= safe.rounded(.down) else {
            return .failure(.liquidationBeforeStop(requiredLeverage: leverage, safeLeverage: safe.rounded(.down)))
        }
        let margin = size * entryFill / leverage
        let probe = Position(side: side, size: size, entryPrice: entryFill, margin: margin, leverage: leverage,
                             stopLoss: stop, takeProfit: target, openedAt: 0, fees: 0, funding: 0)
        return .success(EntryPlan(side: side, size: size, referencePrice: price, stopLoss: stop, takeProfit: target,
                                  leverage: leverage, margin: margin, riskAmount: size * lossPerUnit,
                                  liquidationPrice: parameters.liquidationPrice(of: probe)))
    }
}

/// Rounding to a price tick or size step without drifting off the grid (steps like 0.1 are not exact
/// in binary: the result is snapped to the nearest representable multiple).
public enum PriceGrid {
    public static func floor(_ value: Double, step: Double) -> Double { snap((value / step + 1e-9).rounded(.down), step) }
    public static func ceil(_ value: Double, step: Double) -> Double { snap((value / step - 1e-9).rounded(.up), step) }
    public static func round(_ value: Double, step: Double) -> Double { snap((value / step).rounded(), step) }

    /// `multiple × step`, rounded to the step's decimal places so 3 × 0.1 prints as 0.3.
    static func snap(_ multiple: Double, _ step: Double) -> Double {
        var decimals = 0
        var scaled = step
        while scaled != scaled.rounded() && decimals < 12 {
            scaled *= 10
            decimals += 1
        }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        return (multiple * step * scale).rounded() / scale
    }
}

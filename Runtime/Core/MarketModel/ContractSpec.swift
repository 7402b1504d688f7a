/// One maintenance-margin tier of a perpetual contract: positions whose notional value is at most
/// `maximumNotional` keep `maintenanceMarginRate` of it as maintenance margin.
public struct MaintenanceMarginTier: Sendable, Hashable, Codable {
    /// Upper bound of the tier, position notional in USDT.
    public var maximumNotional: Double
    /// Maintenance margin as a fraction of notional (0.004 = 0.4%).
    public var maintenanceMarginRate: Double

    public init(maximumNotional: Double, maintenanceMarginRate: Double) {
        self.maximumNotional = maximumNotional
        self.maintenanceMarginRate = maintenanceMarginRate
    }
}

/// The leverage a symbol may trade at: the risk manager picks a value inside `[minimum, maximum]`.
public struct LeverageBand: Sendable, Hashable, Codable {
    public var minimum: Double
    public var maximum: Double

    public init(minimum: Double, maximum: Double) {
        self.minimum = minimum
        self.maximum = maximum
    }

    /// `leverage` clamped into the band.
    public func clamp(_ leverage: Double) -> Double { Swift.min(Swift.max(leverage, minimum), maximum) }
}

/// Trading rules of one USDT-margined perpetual contract, as the exchange publishes them.
public struct ContractSpec: Sendable, Hashable, Codable {
    public var symbol: Symbol
    /// Price increment in USDT; every order price is a multiple of it.
    public var tickSize: Double
    /// Size increment in the base asset; every order size is a multiple of it.
    public var sizeStep: Double
    /// Smallest order size in the base asset.
    public var minimumSize: Double
    /// Smallest order notional in USDT.
    public var minimumNotional: Double
    /// Highest leverage the exchange allows on this contract.
    public var maximumLeverage: Double
    /// Tiers in increasing `maximumNotional` order; the last one covers everything above.
    public var maintenanceMarginTiers: [MaintenanceMarginTier]

    public init(symbol: Symbol, tickSize: Double, sizeStep: Double, minimumSize: Double, minimumNotional: Double,
                maximumLeverage: Double, maintenanceMarginTiers: [MaintenanceMarginTier]) {
        self.symbol = symbol
        self.tickSize = tickSize
        self.sizeStep = sizeStep
        self.minimumSize = minimumSize
        self.minimumNotional = minimumNotional
        self.maximumLeverage = maximumLeverage
        self.maintenanceMarginTiers = maintenanceMarginTiers
    }

    /// Maintenance-margin rate for a position of `notional` USDT.
    public func maintenanceMarginRate(notional: Double) -> Double {
        for tier in maintenanceMarginTiers where notional <= tier.maximumNotional {
            return tier.maintenanceMarginRate
        }
        return maintenanceMarginTiers.last?.maintenanceMarginRate ?? 0
    }
}

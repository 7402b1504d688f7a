import MarketModel
import TradingEngine

/// A BTCUSDT-like contract: tick 0.1, size step 0.001, 0.4% maintenance margin up to 150k USDT.
let testContract = ContractSpec(
    symbol: "BTCUSDT", tickSize: 0.1, sizeStep: 0.001, minimumSize: 0.001, minimumNotional: 5, maximumLeverage: 125,
    maintenanceMarginTiers: [MaintenanceMarginTier(maximumNotional: 150_000, maintenanceMarginRate: 0.004),
                             MaintenanceMarginTier(maximumNotional: 1e12, maintenanceMarginRate: 0.01)])

func testParameters(band: LeverageBand = LeverageBand(minimum: 5, maximum: 80), takerFee: Double = 0.0006,
                    risk: RiskRules = RiskRules()) -> EngineParameters {
    EngineParameters(contract: testContract, leverageBand: band, makerFeeRate: 0.0002, takerFeeRate: takerFee,
                     slippageBasisPoints: 0, slippageRangeFraction: 0, fallbackFundingRate: 0.0001,
                     fundingIntervalHours: 8, liquidationFeeRate: 0.005, risk: risk)
}

/// 2025-05-04 00:00 UTC, a funding time.
let midnight: Int64 = 1_746_316_800_000

func bar(_ minute: Int, open: Double, high: Double? = nil, low: Double? = nil, close: Double? = nil) -> Bar {
    let close = close ?? open
    return Bar(openTime: midnight + Int64(minute) * 60_000, open: open, high: high ?? max(open, close),
               low: low ?? min(open, close), close: close, volume: 1)
}

/// Equal within a tolerance fit for sums of a few products of USDT amounts.
func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool { abs(a - b) <= tolerance * max(1, abs(b)) }

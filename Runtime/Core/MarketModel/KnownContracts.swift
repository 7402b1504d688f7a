/// Contract rules of the symbols the project starts with, as BitGet published them for USDT-M
/// perpetuals (tick from `pricePlace`/`priceEndStep`, size step from `sizeMultiplier`, minimum size from
/// `minTradeNum`, maintenance-margin tiers from the position-tier table). `trading/symbols.yaml` may
/// override any field; a symbol outside this table must give its whole `contract` block there. The
/// exchange simulator lists these contracts.
public enum KnownContracts {
    public static func spec(for symbol: Symbol) -> ContractSpec? {
        table[symbol.name]
    }

    public static var symbols: [String] { table.keys.sorted() }

    private static func tiers(_ pairs: [(Double, Double)]) -> [MaintenanceMarginTier] {
        pairs.map { MaintenanceMarginTier(maximumNotional: $0.0, maintenanceMarginRate: $0.1) }
    }

    private static let largeCapTiers = tiers([
        (150_000, 0.004), (750_000, 0.005), (1_500_000, 0.006), (3_000_000, 0.01), (6_000_000, 0.02),
        (12_000_000, 0.04), (1_000_000_000_000, 0.1),
    ])
    private static let altCoinTiers = tiers([
        (50_000, 0.01), (250_000, 0.015), (500_000, 0.02), (1_000_000, 0.03), (2_000_000, 0.05),
        (1_000_000_000_000, 0.1),
    ])

    private static let table: [String: ContractSpec] = [
        "BTCUSDT": ContractSpec(symbol: "BTCUSDT", tickSize: 0.1, sizeStep: 0.0001, minimumSize: 0.0001,
                                minimumNotional: 5, maximumLeverage: 125, maintenanceMarginTiers: largeCapTiers),
        "ETHUSDT": ContractSpec(symbol: "ETHUSDT", tickSize: 0.01, sizeStep: 0.01, minimumSize: 0.01,
                                minimumNotional: 5, maximumLeverage: 125, maintenanceMarginTiers: largeCapTiers),
        "SOLUSDT": ContractSpec(symbol: "SOLUSDT", tickSize: 0.001, sizeStep: 0.1, minimumSize: 0.1,
                                minimumNotional: 5, maximumLeverage: 100, maintenanceMarginTiers: altCoinTiers),
        "ADAUSDT": ContractSpec(symbol: "ADAUSDT", tickSize: 0.0001, sizeStep: 1, minimumSize: 1,
                                minimumNotional: 5, maximumLeverage: 75, maintenanceMarginTiers: altCoinTiers),
        "DOGEUSDT": ContractSpec(symbol: "DOGEUSDT", tickSize: 0.00001, sizeStep: 1, minimumSize: 1,
                                 minimumNotional: 5, maximumLeverage: 75, maintenanceMarginTiers: altCoinTiers),
        "LINKUSDT": ContractSpec(symbol: "LINKUSDT", tickSize: 0.001, sizeStep: 0.1, minimumSize: 0.1,
                                 minimumNotional: 5, maximumLeverage: 75, maintenanceMarginTiers: altCoinTiers),
    ]
}

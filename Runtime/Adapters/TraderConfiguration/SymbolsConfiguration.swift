import MarketModel

/// `trading/symbols.yaml`: what is traded, on which timeframes, with which leverage band.
public struct SymbolsConfiguration: Sendable, Codable, Equatable {
    /// Timeframes downloaded and aligned for every symbol.
    public var timeframes: [Timeframe]
    /// The timeframe the agents act on (bars they decide at).
    public var tradingTimeframe: Timeframe
    /// Higher timeframes whose trends confirm entries.
    public var confirmationTimeframes: [Timeframe]
    public var symbols: [SymbolConfiguration]

    /// The enabled symbols, in file order.
    public var enabledSymbols: [SymbolConfiguration] { symbols.filter(\.enabled) }

    public func symbol(_ symbol: Symbol) -> SymbolConfiguration? { symbols.first { $0.symbol == symbol } }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case timeframes
        case tradingTimeframe = "trading_timeframe"
        case confirmationTimeframes = "confirmation_timeframes"
        case symbols
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        timeframes = fields.value(.timeframes, or: Timeframe.allCases)
        tradingTimeframe = fields.value(.tradingTimeframe, or: .oneMinute)
        confirmationTimeframes = fields.value(.confirmationTimeframes, or: [.fifteenMinutes, .oneHour, .fourHours, .oneDay])
        symbols = fields.required(.symbols, placeholder: [])
        fields.check(timeframes.contains(.oneMinute), .timeframes, value: timeframes.map(\.rawValue),
                     "must include 1m (every other timeframe is checked against it)")
        fields.check(Set(timeframes).count == timeframes.count, .timeframes, value: timeframes.map(\.rawValue),
                     "lists a timeframe twice")
        fields.check(timeframes.contains(tradingTimeframe), .tradingTimeframe, value: tradingTimeframe,
                     "must be one of timeframes (\(timeframes.map(\.rawValue).joined(separator: ", ")))")
        // Every layer steps 1m bars (training steps, the engine's bar length, funding times, Sharpe
        // annualisation, the live loop): another trading timeframe would be accepted and silently wrong.
        fields.check(tradingTimeframe == .oneMinute, .tradingTimeframe, value: tradingTimeframe,
                     "must be 1m: trading on 5m (or longer) bars is not supported yet; 5m and longer timeframes confirm entries through confirmation_timeframes")
        let notListed = confirmationTimeframes.filter { !timeframes.contains($0) || $0 <= tradingTimeframe }
        fields.check(notListed.isEmpty, .confirmationTimeframes, value: notListed.map(\.rawValue),
                     "each must be in timeframes and longer than trading_timeframe \(tradingTimeframe)")
        fields.check(!symbols.isEmpty || !fields.contains(.symbols), .symbols, value: "[]", "list at least one symbol")
        let names = symbols.map(\.symbol.name)
        let duplicates = Set(names.filter { name in names.filter { $0 == name }.count > 1 })
        fields.check(duplicates.isEmpty, .symbols, value: duplicates.sorted(), "each symbol may appear once")
    }
}

/// One entry of `symbols:` in `trading/symbols.yaml`.
public struct SymbolConfiguration: Sendable, Codable, Equatable {
    public var symbol: Symbol
    public var enabled: Bool
    /// Leverage the risk manager may choose from.
    public var leverage: LeverageBand
    /// Contract rules: the built-in table for known symbols with any overrides from the file applied.
    public var contract: ContractSpec

    enum CodingKeys: String, CodingKey, CaseIterable {
        case symbol, enabled, leverage, contract
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        symbol = fields.required(.symbol, placeholder: "UNKNOWN")
        enabled = fields.value(.enabled, or: true)
        let known = KnownContracts.spec(for: symbol)
        let overrides: ContractOverrides = fields.value(.contract, or: ContractOverrides())
        if let spec = overrides.applied(to: known, symbol: symbol) {
            contract = spec
        } else {
            contract = ContractSpec(symbol: symbol, tickSize: 0, sizeStep: 0, minimumSize: 0, minimumNotional: 0,
                                    maximumLeverage: 125, maintenanceMarginTiers: [])
            if symbol.name != "UNKNOWN" {
                fields.check(false, .contract, value: symbol,
                             "no built-in contract data for this symbol (known: \(KnownContracts.symbols.joined(separator: ", "))); give tick_size, size_step, minimum_size, minimum_notional, maximum_leverage and maintenance_margin_tiers")
            }
        }
        let defaultBand = LeverageBand(minimum: Swift.min(5, contract.maximumLeverage),
                                       maximum: Swift.min(80, contract.maximumLeverage))
        leverage = fields.value(.leverage, or: LeverageBandFields(defaultBand)).band
        let exchangeMaximum = contract.maximumLeverage, display = ConfigMapping<CodingKeys>.display
        fields.check((1...Swift.max(1, exchangeMaximum)).contains(leverage.minimum), .leverage, subkey: "min",
                     value: leverage.minimum, "must be between 1 and \(display(exchangeMaximum))")
        fields.check(leverage.minimum <= leverage.maximum && leverage.maximum <= exchangeMaximum, .leverage,
                     subkey: "max", value: leverage.maximum,
                     "must be between leverage.min (\(display(leverage.minimum))) and \(display(exchangeMaximum))")
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(symbol, forKey: .symbol)
        try container.encode(enabled, forKey: .enabled)
        try container.encode(LeverageBandFields(leverage), forKey: .leverage)
        try container.encode(ContractOverrides(contract), forKey: .contract)
    }
}

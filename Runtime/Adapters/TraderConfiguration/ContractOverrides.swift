import MarketModel

/// The `contract:` block of a symbol: every field optional, applied over the built-in contract table.
struct ContractOverrides: Codable, Sendable {
    var tickSize: Double?
    var sizeStep: Double?
    var minimumSize: Double?
    var minimumNotional: Double?
    var maximumLeverage: Double?
    var maintenanceMarginTiers: [TierFields]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tickSize = "tick_size"
        case sizeStep = "size_step"
        case minimumSize = "minimum_size"
        case minimumNotional = "minimum_notional"
        case maximumLeverage = "maximum_leverage"
        case maintenanceMarginTiers = "maintenance_margin_tiers"
    }

    init() {}

    init(_ spec: ContractSpec) {
        tickSize = spec.tickSize
        sizeStep = spec.sizeStep
        minimumSize = spec.minimumSize
        minimumNotional = spec.minimumNotional
        maximumLeverage = spec.maximumLeverage
        maintenanceMarginTiers = spec.maintenanceMarginTiers.map(TierFields.init)
    }

    init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        tickSize = fields.optional(.tickSize)
        sizeStep = fields.optional(.sizeStep)
        minimumSize = fields.optional(.minimumSize)
        minimumNotional = fields.optional(.minimumNotional)
        maximumLeverage = fields.optional(.maximumLeverage)
        maintenanceMarginTiers = fields.optional(.maintenanceMarginTiers)
        for (key, value) in [(CodingKeys.tickSize, tickSize), (.sizeStep, sizeStep), (.minimumSize, minimumSize)] {
            if let value { fields.check(value > 0 && value.isFinite, key, value: value, "must be > 0") }
        }
        if let minimumNotional { fields.check(minimumNotional >= 0, .minimumNotional, value: minimumNotional, "must be >= 0") }
        if let maximumLeverage {
            fields.check((1...200).contains(maximumLeverage), .maximumLeverage, value: maximumLeverage, "must be between 1 and 200")
        }
        if let tiers = maintenanceMarginTiers {
            let increasing = zip(tiers, tiers.dropFirst()).allSatisfy { $0.maximumNotional < $1.maximumNotional }
            fields.check(!tiers.isEmpty && increasing, .maintenanceMarginTiers, value: "\(tiers.count) tiers",
                         "give at least one tier, in increasing maximum_notional order")
        }
    }

    /// The built-in spec with these overrides, or a spec made only of overrides when every field is
    /// given; nil when neither is possible.
    func applied(to known: ContractSpec?, symbol: Symbol) -> ContractSpec? {
        guard let base = known ?? complete(symbol: symbol) else { return nil }
        var spec = base
        spec.symbol = symbol
        if let tickSize { spec.tickSize = tickSize }
        if let sizeStep { spec.sizeStep = sizeStep }
        if let minimumSize { spec.minimumSize = minimumSize }
        if let minimumNotional { spec.minimumNotional = minimumNotional }
        if let maximumLeverage { spec.maximumLeverage = maximumLeverage }
        if let maintenanceMarginTiers { spec.maintenanceMarginTiers = maintenanceMarginTiers.map(\.tier) }
        return spec
    }

    private func complete(symbol: Symbol) -> ContractSpec? {
        guard let tickSize, let sizeStep, let minimumSize, let minimumNotional, let maximumLeverage,
            let maintenanceMarginTiers
        else { return nil }
        return ContractSpec(symbol: symbol, tickSize: tickSize, sizeStep: sizeStep, minimumSize: minimumSize,
                            minimumNotional: minimumNotional, maximumLeverage: maximumLeverage,
                            maintenanceMarginTiers: maintenanceMarginTiers.map(\.tier))
    }
}

/// One `maintenance_margin_tiers` entry.
struct TierFields: Codable, Sendable {
    var maximumNotional: Double
    var maintenanceMarginRate: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maximumNotional = "maximum_notional"
        case maintenanceMarginRate = "maintenance_margin_rate"
    }

    var tier: MaintenanceMarginTier {
        MaintenanceMarginTier(maximumNotional: maximumNotional, maintenanceMarginRate: maintenanceMarginRate)
    }

    init(_ tier: MaintenanceMarginTier) {
        maximumNotional = tier.maximumNotional
        maintenanceMarginRate = tier.maintenanceMarginRate
    }

    init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        maximumNotional = fields.required(.maximumNotional, placeholder: .greatestFiniteMagnitude)
        maintenanceMarginRate = fields.required(.maintenanceMarginRate, placeholder: 0.01)
        fields.check(maximumNotional > 0, .maximumNotional, value: maximumNotional, "must be > 0 USDT")
        fields.check(maintenanceMarginRate > 0 && maintenanceMarginRate < 0.5, .maintenanceMarginRate,
                     value: maintenanceMarginRate, "must be between 0 and 0.5 (a fraction of notional)")
    }
}

/// The `leverage:` block: `{min: 5, max: 80}`.
struct LeverageBandFields: Codable, Sendable {
    var min: Double
    var max: Double

    enum CodingKeys: String, CodingKey, CaseIterable { case min, max }

    init(_ band: LeverageBand) {
        min = band.minimum
        max = band.maximum
    }

    init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        min = fields.required(.min, placeholder: 1)
        max = fields.required(.max, placeholder: 1)
    }

    var band: LeverageBand { LeverageBand(minimum: min, maximum: max) }
}

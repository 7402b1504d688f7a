import MarketModel

/// `trading/execution.yaml`: what trading costs and how entries are confirmed.
public struct ExecutionConfiguration: Sendable, Codable, Equatable {
    public var fees: Fees
    public var slippage: Slippage
    public var funding: Funding
    /// Fee on a liquidated position's notional, fraction (never more than the margin left).
    public var liquidationFee: Double
    public var confirmation: Confirmation

    public struct Fees: Sendable, Codable, Equatable {
        /// Fractions of notional (BitGet USDT-M defaults: maker 0.0002, taker 0.0006).
        public var maker: Double
        public var taker: Double

        enum CodingKeys: String, CodingKey, CaseIterable { case maker, taker }

        init() {
            maker = 0.0002
            taker = 0.0006
        }

        public init(from decoder: any Decoder) throws {
            let fields = ConfigMapping(decoder, keys: CodingKeys.self)
            maker = fields.number(.maker, or: 0.0002, within: 0...0.01)
            taker = fields.number(.taker, or: 0.0006, within: 0...0.01)
        }
    }

    public struct Slippage: Sendable, Codable, Equatable {
        /// Against the trader, in basis points of the price…
        public var basisPoints: Double
        /// …plus this fraction of the reference bar's high − low.
        public var rangeFraction: Double

        enum CodingKeys: String, CodingKey, CaseIterable {
            case basisPoints = "basis_points"
            case rangeFraction = "range_fraction"
        }

        init() {
            basisPoints = 1
            rangeFraction = 0.05
        }

        public init(from decoder: any Decoder) throws {
            let fields = ConfigMapping(decoder, keys: CodingKeys.self)
            basisPoints = fields.number(.basisPoints, or: 1, within: 0...100)
            rangeFraction = fields.number(.rangeFraction, or: 0.05, within: 0...1)
        }
    }

    public struct Funding: Sendable, Codable, Equatable {
        /// Rate per interval used when no funding data covers a settlement (fraction).
        public var fallbackRate: Double
        public var intervalHours: Int

        enum CodingKeys: String, CodingKey, CaseIterable {
            case fallbackRate = "fallback_rate"
            case intervalHours = "interval_hours"
        }

        init() {
            fallbackRate = 0
            intervalHours = 8
        }

        public init(from decoder: any Decoder) throws {
            let fields = ConfigMapping(decoder, keys: CodingKeys.self)
            fallbackRate = fields.number(.fallbackRate, or: 0, within: -0.01...0.01)
            intervalHours = fields.value(.intervalHours, or: 8)
            fields.check([1, 2, 4, 8].contains(intervalHours), .intervalHours, value: intervalHours, "must be 1, 2, 4 or 8")
        }
    }

    public struct Confirmation: Sendable, Codable, Equatable {
        public var enabled: Bool
        /// Confirmation timeframes (trading/symbols.yaml) trending the trade's way, at least this many.
        public var minimumAgreeing: Int
        public var rsiOverbought: Double
        public var rsiOversold: Double

        enum CodingKeys: String, CodingKey, CaseIterable {
            case enabled
            case minimumAgreeing = "minimum_agreeing"
            case rsiOverbought = "rsi_overbought"
            case rsiOversold = "rsi_oversold"
        }

        init() {
            enabled = true
            minimumAgreeing = 2
            rsiOverbought = 70
            rsiOversold = 30
        }

        public init(from decoder: any Decoder) throws {
            let fields = ConfigMapping(decoder, keys: CodingKeys.self)
            enabled = fields.value(.enabled, or: true)
            minimumAgreeing = fields.integer(.minimumAgreeing, or: 2, within: 0...6)
            rsiOverbought = fields.number(.rsiOverbought, or: 70, within: 50...100)
            rsiOversold = fields.number(.rsiOversold, or: 30, within: 0...50)
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case fees, slippage, funding
        case liquidationFee = "liquidation_fee"
        case confirmation
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        fees = fields.value(.fees, or: Fees())
        slippage = fields.value(.slippage, or: Slippage())
        funding = fields.value(.funding, or: Funding())
        liquidationFee = fields.number(.liquidationFee, or: 0.005, within: 0...0.05)
        confirmation = fields.value(.confirmation, or: Confirmation())
    }
}

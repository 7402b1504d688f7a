import Foundation
import MarketModel

/// A trade kept as a strategy record (`ml_strategies`; the seed's MLStrategies).
public struct StrategyRecord: Sendable, Equatable, Codable {
    public var agentVersion: String
    public var symbol: String
    /// Entry time, UTC ms.
    public var timestamp: Int64
    public var exitTime: Int64?
    /// long or short.
    public var action: String
    /// JSON: the trading, stop and confirmation timeframes.
    public var timeframes: String
    /// JSON: the indicator values at entry.
    public var indicators: String
    /// JSON: stop and take-profit ATR multiples, the trend filters that agreed, the entry filter.
    public var tools: String
    public var leverage: Double
    /// Net PnL, USDT.
    public var pnl: Double
    /// Net PnL in risk units (1 = the capital risked per trade): what best and worst are ranked by.
    public var performance: Double
    /// best or worst (set when stored).
    public var outcome: String?
    /// training or held_out.
    public var phase: String

    public init(agentVersion: String, symbol: String, timestamp: Int64, exitTime: Int64?, action: String, timeframes: String,
                indicators: String, tools: String, leverage: Double, pnl: Double, performance: Double, outcome: String?, phase: String) {
        self.agentVersion = agentVersion
        self.symbol = symbol
        self.timestamp = timestamp
        self.exitTime = exitTime
        self.action = action
        self.timeframes = timeframes
        self.indicators = indicators
        self.tools = tools
        self.leverage = leverage
        self.pnl = pnl
        self.performance = performance
        self.outcome = outcome
        self.phase = phase
    }
}

extension StrategyRecord {
    /// What a strategy record says about the rules a trade was made under.
    public struct Rules: Sendable {
        public var tradingTimeframe: Timeframe
        public var stopTimeframe: Timeframe
        public var confirmationTimeframes: [Timeframe]
        public var atrStopMultiple: Double
        public var atrTakeProfitMultiple: Double
        public var confirmation: Bool
        public var loserFilter: Bool

        public init(tradingTimeframe: Timeframe, stopTimeframe: Timeframe, confirmationTimeframes: [Timeframe], atrStopMultiple: Double,
                    atrTakeProfitMultiple: Double, confirmation: Bool, loserFilter: Bool) {
            self.tradingTimeframe = tradingTimeframe
            self.stopTimeframe = stopTimeframe
            self.confirmationTimeframes = confirmationTimeframes
            self.atrStopMultiple = atrStopMultiple
            self.atrTakeProfitMultiple = atrTakeProfitMultiple
            self.confirmation = confirmation
            self.loserFilter = loserFilter
        }
    }

    /// The record of `trade`, entered in the situation `context` (`layout`'s values at the entry), with
    /// its net PnL in risk units of `riskUnit` USDT: one builder for evaluation, paper and live trades.
    public init(trade: ClosedTrade, context: [Double], layout: EntryContextLayout, rules: Rules, riskUnit: Double, agentVersion: String,
                symbol: Symbol, phase: String) {
        var indicators = Dictionary(uniqueKeysWithValues: zip(layout.names, context))
        indicators["hour_utc"] = Double(UTCTime(milliseconds: trade.entryTime).hour)
        let agreeing = layout.trendAgreement(context, side: trade.side.sign)
        let timeframes = Self.json(["trading": rules.tradingTimeframe.rawValue, "stop": rules.stopTimeframe.rawValue,
                                    "confirmation": rules.confirmationTimeframes.map(\.rawValue).joined(separator: ",")])
        let tools = Self.json([
            "stop_atr_multiple": "\(rules.atrStopMultiple)",
            "take_profit_atr_multiple": "\(rules.atrTakeProfitMultiple)",
            "trend_filters_agreeing": "\(agreeing) of \(layout.trendSlots.count)",
            "confirmation": rules.confirmation ? "on" : "off",
            "loser_filter": rules.loserFilter ? "on" : "off",
            "exit_reason": "\(trade.exitReason)",
        ])
        self.init(agentVersion: agentVersion, symbol: symbol.name, timestamp: trade.entryTime, exitTime: trade.exitTime,
                  action: trade.side == .long ? "long" : "short", timeframes: timeframes, indicators: Self.json(indicators), tools: tools,
                  leverage: trade.leverage, pnl: trade.netPnL, performance: trade.netPnL / max(riskUnit, 1e-9), outcome: nil, phase: phase)
    }

    /// Sorted-key JSON of a record field (non-finite numbers as text).
    public static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

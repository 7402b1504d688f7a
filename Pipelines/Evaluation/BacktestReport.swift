import Foundation
import MarketModel
import TradingEngine

/// The JSON report of a backtest: what was run, on what, the metrics and every trade.
public struct BacktestReport: Codable, Sendable {
    public var symbol: String
    public var policy: String
    public var from: String
    public var to: String
    public var bars: Int
    public var initialCapital: Double
    public var finalEquity: Double
    public var metrics: BacktestMetrics
    public var fundingSettlements: Int
    /// Settlements priced with the configured constant because no data covered them, and a note saying so.
    public var fundingFromFallback: Int
    public var notes: [String]
    public var refusals: [String: Int]
    public var riskEvents: [RiskStateChanged]
    public var trades: [ClosedTrade]

    public init(symbol: Symbol, result: BacktestResult, metrics: BacktestMetrics, fallbackRate: Double) {
        self.symbol = symbol.name
        policy = result.policy
        from = result.equityTimes.first.map { UTCTime.format($0 - 60_000) } ?? "-"
        to = result.equityTimes.last.map(UTCTime.format) ?? "-"
        bars = result.bars
        initialCapital = result.initialCapital
        finalEquity = result.finalEquity
        self.metrics = metrics
        fundingSettlements = result.fundingSettlements
        fundingFromFallback = result.fundingFallbacks
        var notes: [String] = []
        if result.fundingFallbacks > 0 {
            notes.append("\(result.fundingFallbacks) of \(result.fundingSettlements) funding settlement times had no funding data; the configured constant \(fallbackRate) was used for them")
        }
        notes.append("fills: market orders at the next bar's open with slippage; stops and take-profits inside bars from high/low, the stop first when both are touched; the bars' prices stand in for the mark price")
        self.notes = notes
        refusals = result.refusals
        riskEvents = result.riskEvents
        trades = result.trades
    }

    /// Writes the report as pretty JSON, atomically.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

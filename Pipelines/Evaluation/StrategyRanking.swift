import Foundation
import MarketModel
import Storage
import TradingEngine

/// Turns closed trades into strategy records and analyses which contexts the worst trades share.
public struct StrategyRanking {
    public let layout: EntryContextLayout
    public let setup: BacktestSetup

    public init(layout: EntryContextLayout, setup: BacktestSetup) {
        self.layout = layout
        self.setup = setup
    }

    /// One record per trade whose entry context is known; performance = net PnL in risk units.
    public func records(trades: [ClosedTrade], contexts: [Int64: [Double]], agentVersion: String, phase: String,
                        filterEnabled: Bool) -> [StrategyRecord] {
        let riskUnit = setup.initialCapital * setup.parameters.risk.riskPerTrade
        let rules = StrategyRecord.Rules(tradingTimeframe: setup.tradingTimeframe, stopTimeframe: setup.stopTimeframe,
                                         confirmationTimeframes: setup.confirmationTimeframes,
                                         atrStopMultiple: setup.parameters.risk.atrStopMultiple,
                                         atrTakeProfitMultiple: setup.parameters.risk.atrTakeProfitMultiple,
                                         confirmation: setup.confirmation.enabled, loserFilter: filterEnabled)
        return trades.compactMap { trade in
            contexts[trade.entryTime].map { context in
                StrategyRecord(trade: trade, context: context, layout: layout, rules: rules, riskUnit: riskUnit, agentVersion: agentVersion,
                               symbol: setup.symbol, phase: phase)
            }
        }
    }

    func json(_ value: some Encodable) -> String { StrategyRecord.json(value) }

    /// The loser-similarity filter learned from records (best: won, worst: lost).
    public func filter(from records: [StrategyRecord], neighbours: Int, blockingShare: Double) -> LoserSimilarityFilter {
        let examples = records.compactMap { record -> LoserSimilarityFilter.Example? in
            guard let indicators = try? JSONDecoder().decode([String: Double].self, from: Data(record.indicators.utf8)) else { return nil }
            let context = layout.names.map { indicators[$0] ?? 0 }
            return LoserSimilarityFilter.Example(side: record.action == "long" ? 1 : -1, context: context, lost: record.performance <= 0)
        }
        return LoserSimilarityFilter(contextNames: layout.names, examples: examples, neighbours: neighbours, blockingShare: blockingShare)
    }
}

/// Which contexts dominate the worst trades against the best: per dimension (RSI regime, trend
/// agreement, volatility regime, hour of day) and bucket, how many best and worst trades fall there.
public struct ContextAnalysis: Codable, Sendable {
    public struct Bucket: Codable, Sendable {
        public var dimension: String
        public var bucket: String
        public var best: Int
        public var worst: Int
        /// Share of worst trades in the bucket minus the share of worst trades overall (positive: losers concentrate here).
        public var worstShareLift: Double
    }

    public var best: Int
    public var worst: Int
    public var buckets: [Bucket]
    /// The buckets (with at least 5 trades) where losers concentrate most, for the report's summary.
    public var worstDominated: [String]
    public var bestDominated: [String]

    public init(records: [StrategyRecord]) {
        let decoded = records.map { record in
            (record, (try? JSONDecoder().decode([String: Double].self, from: Data(record.indicators.utf8))) ?? [:])
        }
        best = records.filter { $0.performance > 0 }.count
        worst = records.count - best
        let overall = records.isEmpty ? 0 : Double(worst) / Double(records.count)
        let volatility = decoded.compactMap { $0.1["atr_fraction_15m"] }.sorted()
        let lowCut = volatility.isEmpty ? 0 : volatility[volatility.count / 3], highCut = volatility.isEmpty ? 0 : volatility[volatility.count * 2 / 3]
        func dimensions(_ record: StrategyRecord, _ indicators: [String: Double]) -> [(String, String)] {
            var result: [(String, String)] = []
            if let rsi = indicators["rsi_1m"] {
                let value = rsi * 50 + 50
                result.append(("rsi_1m", value < 30 ? "<30" : value < 45 ? "30-45" : value <= 55 ? "45-55" : value <= 70 ? "55-70" : ">70"))
            }
            let trends = indicators.filter { $0.key.hasPrefix("trend_") }.map(\.value)
            if !trends.isEmpty {
                let side = record.action == "long" ? 1.0 : -1.0
                result.append(("trend_agreement", "\(trends.filter { $0 * side > 0 }.count) of \(trends.count)"))
            }
            if let atr = indicators["atr_fraction_15m"] {
                result.append(("volatility_15m", atr < lowCut ? "low" : atr < highCut ? "mid" : "high"))
            }
            if let hour = indicators["hour_utc"] {
                let block = Int(hour) / 4 * 4
                result.append(("hour_utc", String(format: "%02d-%02d", block, block + 4)))
            }
            result.append(("side", record.action))
            return result
        }
        var counts: [String: (dimension: String, bucket: String, best: Int, worst: Int)] = [:]
        for (record, indicators) in decoded {
            for (dimension, bucket) in dimensions(record, indicators) {
                var entry = counts["\(dimension)|\(bucket)"] ?? (dimension, bucket, 0, 0)
                if record.performance > 0 { entry.best += 1 } else { entry.worst += 1 }
                counts["\(dimension)|\(bucket)"] = entry
            }
        }
        buckets = counts.values.map { entry in
            let total = Double(entry.best + entry.worst)
            return Bucket(dimension: entry.dimension, bucket: entry.bucket, best: entry.best, worst: entry.worst,
                          worstShareLift: total > 0 ? Double(entry.worst) / total - overall : 0)
        }.sorted { ($0.dimension, $0.bucket) < ($1.dimension, $1.bucket) }
        let solid = buckets.filter { $0.best + $0.worst >= 5 }
        func describe(_ bucket: Bucket) -> String {
            "\(bucket.dimension) \(bucket.bucket): \(bucket.worst) worst vs \(bucket.best) best (\(String(format: "%+.0f", bucket.worstShareLift * 100)) pts)"
        }
        worstDominated = solid.filter { $0.worstShareLift > 0 }.sorted { $0.worstShareLift > $1.worstShareLift }.prefix(3).map(describe)
        bestDominated = solid.filter { $0.worstShareLift < 0 }.sorted { $0.worstShareLift < $1.worstShareLift }.prefix(3).map(describe)
    }
}

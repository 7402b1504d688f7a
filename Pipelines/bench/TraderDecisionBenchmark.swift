import CSVArchive
import Features
import Foundation
import MarketModel
import Policy
import ScriptedAgents
import TraderConfiguration
import TraderRuntime
import TradingEngine

/// The in-process half of `bench trader`: the latency of one decision — a closed 1m bar through the
/// features, the agent's network, the risk gate, sizing and leverage to the command on the paper venue
/// (`PaperSymbolTrader.trade`, what the trader's decision loop runs per bar) — for six symbols on real bars,
/// the symbols interleaved minute by minute as they arrive live.
struct TraderDecisionBenchmark {
    static let symbols: [Symbol] = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "ADAUSDT", "DOGEUSDT", "LINKUSDT"]
    /// The last week of each symbol's file is traded; everything before it warms the features up.
    static let tradedMinutes = 7 * 1_440

    var configurationDirectory: String
    var datasetsDirectory: String

    struct Result {
        /// Nanoseconds per decision, every symbol's, sorted.
        var decisions: [UInt64]
        /// Nanoseconds of each minute's six decisions together, sorted.
        var minutes: [UInt64]
        var trades: Int
        var validRows: Int
        var warmUpSeconds: Double
    }

    func run() throws -> Result {
        let configuration = try TradingConfiguration.load(directory: configurationDirectory, environment: [:])
        let spec = FeatureSpec.standard
        guard let columns = FeatureColumns(names: spec.names, tradingTimeframe: .oneMinute, stopTimeframe: configuration.risk.atr.timeframe,
                                           confirmationTimeframes: configuration.symbols.confirmationTimeframes)
        else { throw BenchError("the feature set lacks the configured timeframes") }
        var traders: [PaperSymbolTrader] = []
        var traded: [[Bar]] = []
        let warmUpStarted = Date()
        for symbol in Self.symbols {
            guard let parameters = configuration.engineParameters(for: symbol) else { throw BenchError("\(symbol) is not configured") }
            let bars = try Self.bars(symbol, datasets: datasetsDirectory)
            guard bars.count > Self.tradedMinutes + spec.warmUpMinutes else { throw BenchError("\(symbol): too few bars (\(bars.count))") }
            var trader = PaperSymbolTrader(symbol: symbol, parameters: parameters, capital: configuration.capitalPerSymbol,
                                      funding: FundingSchedule(rates: [], fallbackRate: parameters.fallbackFundingRate),
                                      confirmation: configuration.confirmationRules, columns: columns, spec: spec)
            let agent = ScriptedAgent.artifact(symbol: symbol.name, version: "bench")
            trader.setAgent(AgentPolicy(artifact: agent), filter: nil)
            for bar in bars.dropLast(Self.tradedMinutes) { trader.warmUp(bar, funding: nil) }
            traders.append(trader)
            traded.append(Array(bars.suffix(Self.tradedMinutes)))
        }
        let warmUpSeconds = Date().timeIntervalSince(warmUpStarted)
        var decisions: [UInt64] = [], minutes: [UInt64] = []
        decisions.reserveCapacity(Self.symbols.count * Self.tradedMinutes)
        var trades = 0, valid = 0
        for minute in 0..<Self.tradedMinutes {
            var minuteTotal: UInt64 = 0
            for index in traders.indices {
                let started = DispatchTime.now().uptimeNanoseconds
                let journal = traders[index].trade(traded[index][minute], funding: nil, entriesAllowed: true)
                let elapsed = DispatchTime.now().uptimeNanoseconds - started
                decisions.append(elapsed)
                minuteTotal += elapsed
                trades += journal.trades.count
                if traders[index].features.isValid { valid += 1 }
            }
            minutes.append(minuteTotal)
        }
        return Result(decisions: decisions.sorted(), minutes: minutes.sorted(), trades: trades, validRows: valid, warmUpSeconds: warmUpSeconds)
    }

    /// A symbol's 1m bars from the shared datasets.
    static func bars(_ symbol: Symbol, datasets: String) throws -> [Bar] {
        let directory = datasets + "/mit"
        guard let name = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            .first(where: { $0.hasPrefix("binance-usdm_\(symbol.name)_1m_") && $0.hasSuffix(".csv") })
        else { throw BenchError("no 1m file of \(symbol) in \(directory) (set TRADER_DATASETS)") }
        var all: [Bar] = []
        try BarFileReader(path: directory + "/" + name, timeframe: .oneMinute).read { bars, _ in all.append(contentsOf: bars) }
        return all
    }
}

/// The value at fraction `q` (0–1) of sorted `values`.
func percentile(_ values: [UInt64], _ q: Double) -> UInt64 {
    values.isEmpty ? 0 : values[min(values.count - 1, Int((Double(values.count - 1) * q).rounded(.up)))]
}

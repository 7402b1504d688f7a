import ArgumentParser
import Features
import Foundation
import MarketModel
import TradingEngine

/// `bench engine`: 1m bars per second through the trading engine (fills, stops, funding, risk gate,
/// sizing) with precomputed feature rows, as the training environment and the backtester drive it.
struct EngineBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine", abstract: "Bars per second through the trading engine (anchor: Jesse ~180k candles/s).")

    @Option(help: "Repetitions; the median and the best are reported.") var repetitions = 15

    func run() throws {
        let bars = SyntheticYear.bars()
        let spec = FeatureSpec.standard
        var rows = [Double]()
        rows.reserveCapacity(bars.count * spec.count)
        var valid = [Bool]()
        FeatureMatrixBuilder.build(bars: bars, funding: []) { _, values, isValid in
            rows.append(contentsOf: values)
            valid.append(isValid)
        }
        let contract = ContractSpec(symbol: "BTCUSDT", tickSize: 0.1, sizeStep: 0.0001, minimumSize: 0.0001, minimumNotional: 5,
                                    maximumLeverage: 125, maintenanceMarginTiers: [MaintenanceMarginTier(maximumNotional: 1e12, maintenanceMarginRate: 0.004)])
        // A generous risk gate so trading goes on all year (the benchmark measures the engine, not the gate).
        let parameters = EngineParameters(contract: contract, leverageBand: LeverageBand(minimum: 5, maximum: 80),
                                          slippageBasisPoints: 1, slippageRangeFraction: 0.05,
                                          risk: RiskRules(reducingDrawdown: 0.9, haltDrawdown: 0.95, dailyLossCap: 0.9, cooldownLosses: 0))
        let columns = FeatureColumns(names: spec.names, tradingTimeframe: .oneMinute, stopTimeframe: .fifteenMinutes,
                                     confirmationTimeframes: [.fifteenMinutes, .oneHour, .fourHours, .oneDay])!
        func measure<Policy: TradingPolicy>(_ policy: Policy, equity: Bool) -> (perSecond: Double, best: Double, trades: Int) {
            var timings: [Double] = []
            var trades = 0
            for _ in 0..<repetitions {
                let engine = SimulatedTradingEngine(parameters: parameters, initialCapital: 10_000,
                                           funding: FundingSchedule(rates: [], fallbackRate: 0.0001), confirmation: .off)
                var backtester = Backtester(engine: engine, policy: policy, columns: columns)
                backtester.recordsEquity = equity
                let started = DispatchTime.now().uptimeNanoseconds
                rows.withUnsafeBufferPointer { all in
                    let width = spec.count
                    for index in 0..<bars.count {
                        backtester.step(bars[index], features: UnsafeBufferPointer(rebasing: all[(index * width)..<((index + 1) * width)]),
                                        isValid: valid[index])
                    }
                }
                let result = backtester.finish()
                timings.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
                trades = result.trades.count
            }
            return (Double(bars.count) / median(timings), Double(bars.count) / (timings.min() ?? .infinity), trades)
        }
        print("trading engine over \(bars.count) 1m bars (one year), release build, one core, median (best) of \(repetitions)")
        let flat = measure(FlatPolicy(), equity: false)
        print(String(format: "  flat policy (no trades):                 %6.2f M bars/s (%.2f)", flat.perSecond / 1e6, flat.best / 1e6))
        let random = measure(RandomPolicy(seed: 1, holdProbability: 0.99), equity: false)
        print(String(format: "  random policy (%d trades):             %6.2f M bars/s (%.2f)", random.trades, random.perSecond / 1e6, random.best / 1e6))
        let recorded = measure(RandomPolicy(seed: 1, holdProbability: 0.99), equity: true)
        print(String(format: "  random policy, equity curve recorded:  %6.2f M bars/s (%.2f)", recorded.perSecond / 1e6, recorded.best / 1e6))
        print("  anchors: Jesse ~180k candles/s (Raspberry Pi 5), backtesting.py 119k bars/s here; target >= 5 M bars/s")
    }
}

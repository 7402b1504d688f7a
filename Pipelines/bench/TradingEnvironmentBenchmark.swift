import ArgumentParser
import Features
import Foundation
import MarketModel
import TradingEngine
import Training

/// `bench trading-env`: steps per second of the training environment alone (engine, reward, observation),
/// with random actions, over a year of 1m feature rows.
struct TradingEnvironmentBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trading-env", abstract: "Trading environment steps per second on one core (target >= 1M).")

    @Option(help: "Steps per repetition.") var steps = 5_000_000
    @Option(help: "Repetitions; the median is reported.") var repetitions = 5
    @Option(help: "Share of steps that ask to enter or reverse (the rest hold).") var activity = 0.05

    func run() throws {
        let bars = SyntheticYear.bars()
        let spec = FeatureSpec.standard
        var features = [Float](), valid = [UInt8]()
        features.reserveCapacity(bars.count * spec.count)
        FeatureMatrixBuilder.build(bars: bars, funding: []) { _, values, isValid in
            for value in values { features.append(value.isFinite ? Float(value) : 0) }
            valid.append(isValid ? 1 : 0)
        }
        let columns = FeatureColumns(names: spec.names, tradingTimeframe: .oneMinute, stopTimeframe: .fifteenMinutes,
                                     confirmationTimeframes: [.fifteenMinutes, .oneHour, .fourHours, .oneDay])!
        let rows = TrainingRows(features: features, featureCount: spec.count, bars: bars, valid: valid, columns: columns,
                                fundingColumns: (spec.names.firstIndex(of: "funding_rate")!, spec.names.firstIndex(of: "funding_known")!))
        let contract = ContractSpec(symbol: "BTCUSDT", tickSize: 0.1, sizeStep: 0.0001, minimumSize: 0.0001, minimumNotional: 5,
                                    maximumLeverage: 125, maintenanceMarginTiers: [MaintenanceMarginTier(maximumNotional: 1e12, maintenanceMarginRate: 0.004)])
        let parameters = EngineParameters(contract: contract, leverageBand: LeverageBand(minimum: 5, maximum: 80))
        var timings: [Double] = []
        var episodes = 0, sink = 0.0
        for repetition in 0..<repetitions {
            var environment = TradingEnvironment(rows: rows, parameters: parameters, rewards: RewardWeights(), capital: 10_000,
                                                 episodeBars: 2_048, seed: UInt64(repetition))
            var random = SeededRandom(seed: 42)
            let threshold = UInt64(activity * Double(UInt64.max))
            _ = environment.reset()
            let started = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps {
                let draw = random.next()
                let result = environment.step(draw < threshold ? Int(draw % 2) + 1 : 0)
                sink += result.reward + result.observation[0]
                if result.terminated || result.truncated {
                    episodes += 1
                    _ = environment.reset()
                }
            }
            timings.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        }
        let perSecond = Double(steps) / timings.sorted()[timings.count / 2]
        print("trading environment, \(spec.count + TradingEnvironment.positionFeatures.count)-value observations, \(Int(activity * 100))% entry/reverse actions, release build, one core, median of \(repetitions)")
        print(String(format: "  %.2f M steps/s (%d episodes; target >= 1 M steps/s per core) [checksum %.3g]", perSecond / 1e6, episodes, sink))
    }
}

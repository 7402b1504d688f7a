import CSVArchive
import Features
import Foundation
import MarketModel
import Testing
import TestSupport
import TradingEngine
@testable import Training

/// Real BTCUSDT rows (20,000 minutes from 2025-05-04) through the feature builder, shared by the tests.
enum RealRows {
    static let rows: TrainingRows = {
        let (all, _) = try! BarFileReader(path: TestEnvironment.dataset("mit/binance-usdm_BTCUSDT_1m_20250504-20250624.csv"),
                                          timeframe: .oneMinute).readAll()
        let bars = Array(all.prefix(20_000))
        let spec = FeatureSpec.standard
        var features: [Float] = [], valid: [UInt8] = []
        FeatureMatrixBuilder.build(bars: bars, funding: []) { _, values, isValid in
            features += values.map { $0.isFinite ? Float($0) : 0 }
            valid.append(isValid ? 1 : 0)
        }
        let columns = FeatureColumns(names: spec.names, tradingTimeframe: .oneMinute, stopTimeframe: .fifteenMinutes,
                                     confirmationTimeframes: [.fifteenMinutes, .oneHour])!
        return TrainingRows(features: features, featureCount: spec.count, bars: bars, valid: valid, columns: columns,
                            fundingColumns: (spec.names.firstIndex(of: "funding_rate")!, spec.names.firstIndex(of: "funding_known")!))
    }()

    static let parameters: EngineParameters = {
        let contract = ContractSpec(symbol: "BTCUSDT", tickSize: 0.1, sizeStep: 0.0001, minimumSize: 0.0001, minimumNotional: 5,
                                    maximumLeverage: 125, maintenanceMarginTiers: [MaintenanceMarginTier(maximumNotional: 1e12, maintenanceMarginRate: 0.004)])
        return EngineParameters(contract: contract, leverageBand: LeverageBand(minimum: 5, maximum: 80))
    }()
}

@Suite(.removesTemporaryFiles) struct TradingEnvironmentTests {
    /// With only the equity term, the rewards of an episode add up to its equity change in risk units:
    /// every fee, slippage, funding payment and liquidation reaches the agent through the one engine.
    @Test func rewardsAddUpToTheEquityChange() {
        var environment = TradingEnvironment(rows: RealRows.rows, parameters: RealRows.parameters,
                                             rewards: RewardWeights(equityChange: 1, drawdownPenalty: 0), capital: 1_000,
                                             episodeBars: 2_000, seed: 7)
        var random = SeededRandom(seed: 11)
        for _ in 0..<3 {
            _ = environment.reset()
            let start = environment.equity
            var total = 0.0, steps = 0
            var last: EnvironmentStep
            repeat {
                last = environment.step(random.next() % 10 == 0 ? Int(random.next() % 3) : 0)
                total += last.reward
                steps += 1
            } while !last.terminated && !last.truncated
            let riskUnit = 1_000 * RealRows.parameters.risk.riskPerTrade
            #expect(abs(total * riskUnit - (environment.equity - start)) < 1e-6, "Σ reward × risk unit = Δ equity")
            #expect(last.terminated || steps == 2_000)
        }
        #expect(environment.closedTrades >= 0)
    }

    @Test func theObservationCarriesThePositionState() {
        var environment = TradingEnvironment(rows: RealRows.rows, parameters: RealRows.parameters, rewards: RewardWeights(),
                                             capital: 1_000, episodeBars: 500, seed: 3)
        let count = RealRows.rows.featureCount
        var observation = environment.reset()
        #expect(observation.count == count + TradingEnvironment.positionFeatures.count)
        #expect(Array(observation[count...]) == [0, 0, 0, 0, 0], "flat at the start")
        var opened = false
        for _ in 0..<200 where !opened {
            observation = environment.step(AgentAction.long.rawValue).observation
            opened = observation[count] == 1
        }
        #expect(opened, "a long entry shows as side +1")
        #expect(observation[count + 3] >= 0.05 && observation[count + 3] <= 0.8, "leverage / 100 inside the 5..80 band")
        let next = environment.step(AgentAction.hold.rawValue).observation
        if next[count] == 1 { #expect(next[count + 2] > 0, "bars in the trade advance") }
    }

    @Test func episodesAreRandomWindowsThatStartOnValidRows() {
        var first = TradingEnvironment(rows: RealRows.rows, parameters: RealRows.parameters, rewards: RewardWeights(),
                                       capital: 1_000, episodeBars: 100, seed: 1)
        var second = first
        let starts = (0..<20).map { _ in first.reset() }
        #expect(starts == (0..<20).map { _ in second.reset() }, "the same seed gives the same windows")
        #expect(Set(starts.map { $0[0] }).count > 10, "windows differ")
        var reseeded = first
        reseeded.reseed(99)
        #expect(reseeded.reset() != first.reset())
    }
}

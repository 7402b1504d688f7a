import Foundation
import MarketModel
import Policy
import Testing
import TradingEngine
@testable import Training

/// How halts end (or do not end) a training episode, on a market that falls 0.5% a minute while the
/// agent always goes long (every trade stops out).
@Suite struct HaltInTrainingTests {
    static func rows() -> TrainingRows {
        var price = 100.0, bars: [Bar] = []
        let start: Int64 = 1_746_316_800_000 + 3_600_000  // 2025-05-04 01:00 UTC
        for minute in 0..<600 {
            let next = price * 0.995
            bars.append(Bar(openTime: start + Int64(minute) * 60_000, open: price, high: price, low: next, close: next, volume: 1))
            price = next
        }
        let columns = FeatureColumns(names: ["atr_fraction_15m", "rsi_1m", "trend_1h"], tradingTimeframe: .oneMinute,
                                     stopTimeframe: .fifteenMinutes, confirmationTimeframes: [.oneHour])!
        return TrainingRows(features: Array(repeating: [1, 0, 1], count: bars.count).flatMap { $0 }, featureCount: 3, bars: bars,
                            valid: Array(repeating: 1, count: bars.count), columns: columns, fundingColumns: nil)
    }

    static func parameters(_ risk: RiskRules) -> EngineParameters {
        let contract = ContractSpec(symbol: "BTCUSDT", tickSize: 0.0001, sizeStep: 0.001, minimumSize: 0.001, minimumNotional: 5,
                                    maximumLeverage: 125, maintenanceMarginTiers: [MaintenanceMarginTier(maximumNotional: 1e12, maintenanceMarginRate: 0.004)])
        return EngineParameters(contract: contract, leverageBand: LeverageBand(minimum: 5, maximum: 80), slippageBasisPoints: 2,
                                slippageRangeFraction: 0.05, risk: risk)
    }

    /// A drawdown halt that comes while a position is open (the 0.6% halt lies inside the 1% stop) ends the
    /// episode flat: the forced exit's fee and slippage are in the last reward, so the rewards add up to the
    /// equity change of a closed account, and the halt exit is the episode's last trade.
    @Test func aDrawdownHaltEndsTheEpisodeWithTheExitCharged() {
        let capital = 10_000.0
        let rules = RiskRules(reducingDrawdown: 0.005, haltDrawdown: 0.006, dailyLossCap: 0.5, cooldownLosses: 0)
        var environment = TradingEnvironment(rows: Self.rows(), parameters: Self.parameters(rules),
                                             rewards: RewardWeights(equityChange: 1, drawdownPenalty: 0), capital: capital, episodeBars: 500,
                                             seed: 1)
        _ = environment.reset()
        let start = environment.equity
        var total = 0.0, last: EnvironmentStep, heldBeforeTheLastStep = false
        repeat {
            heldBeforeTheLastStep = environment.hasPosition
            last = environment.step(AgentAction.long.rawValue)
            total += last.reward
        } while !last.terminated && !last.truncated
        #expect(last.terminated, "the drawdown halt is terminal")
        #expect(heldBeforeTheLastStep && environment.closedTrades == 1, "halted inside the first trade, which the halt closed")
        #expect(environment.riskState == .halted)
        #expect(!environment.hasPosition, "the forced exit happened at the halt")
        #expect(abs(total * capital * 0.01 - (environment.equity - start)) < 1e-6, "Σ reward × risk unit = Δ equity after the exit")
    }

    /// A daily-loss halt lifts at 00:00 UTC: it is not terminal, the episode runs on to its time limit.
    @Test func aDailyLossHaltDoesNotEndTheEpisode() {
        var environment = TradingEnvironment(rows: Self.rows(), parameters: Self.parameters(RiskRules(reducingDrawdown: 0.4, haltDrawdown: 0.5,
                                                                                                        dailyLossCap: 0.009, cooldownLosses: 0)),
                                             rewards: RewardWeights(), capital: 10_000, episodeBars: 60, seed: 2)
        _ = environment.reset()
        var sawHalt = false, last: EnvironmentStep
        repeat {
            last = environment.step(AgentAction.long.rawValue)
            if environment.riskState == .halted { sawHalt = true }
        } while !last.terminated && !last.truncated
        #expect(sawHalt, "the first stop-out (1%) passes the 0.9% daily cap")
        #expect(last.truncated && !last.terminated)
    }
}

/// The frozen observation normaliser never saturates on a feature that was constant in training.
@Suite struct NormaliserFloorTests {
    @Test func aFeatureConstantInTrainingIsCentredNotBlownUp() {
        var statistics = RunningMeanStd(size: 3)
        let batch: [[Double]] = (0..<1_000).map { (index: Int) -> [Double] in [1, 0.5 + 1e-4 * Double(index % 2), Double(index % 10)] }
        statistics.update(batch: batch)
        let normalizer = statistics.normalizer
        // Columns 0 and 1 are (nearly) constant: their variance, the SB3 prior's trace included, is below
        // 1e-6, so they are centred and not scaled. Column 2 (0…9) has variance 8.25 and is scaled as is.
        let values = normalizer.normalize([0, 0.6, 4.5])
        #expect(abs(Double(values[0]) - (-1)) < 1e-3, "a 1 that became 0 moves the input by 1, not −10")
        #expect(abs(Double(values[1]) - 0.1) < 1e-3)
        #expect(abs(Double(values[2])) < 1e-3)
        #expect(abs(Double(normalizer.normalize([0, 0.6, 4.5 + 8.25.squareRoot()])[2]) - 1) < 1e-3, "a real spread is scaled by it")
        var small = RunningMeanStd(size: 1)
        let alternating: [[Double]] = (0..<1_000).map { (index: Int) -> [Double] in [0.01 * Double(index % 2)] }
        small.update(batch: alternating)  // variance 2.5e-5: floored at 1e-4
        #expect(abs(Double(small.normalizer.normalize([0.015])[0]) - 1) < 1e-3, "(0.015 − 0.005) / √1e-4 = 1, not 2")
    }
}

/// Training settles funding at the data's times, a 4-hourly contract's included.
@Suite struct TrainingFundingTests {
    @Test func anOffGridSettlementFromTheDataIsCharged() {
        var rows = HaltInTrainingTests.rows()
        // A flat market at 100 from 01:00: a long entered at the start holds through 04:00 (off the 8-hour grid).
        rows.bars = rows.bars.map { Bar(openTime: $0.openTime, open: 100, high: 100, low: 100, close: 100, volume: 1) }
        let fourOClock = rows.bars[0].openTime + 3 * 3_600_000
        func finalEquity(_ settlements: [FundingRate]) -> Double {
            var withData = rows
            withData.settlements = settlements
            var environment = TradingEnvironment(rows: withData, parameters: HaltInTrainingTests.parameters(RiskRules(cooldownLosses: 0)),
                                                 rewards: RewardWeights(), capital: 10_000, episodeBars: 500, seed: 3)
            _ = environment.reset()
            var last: EnvironmentStep
            repeat { last = environment.step(AgentAction.long.rawValue) } while !last.terminated && !last.truncated
            return environment.equity
        }
        let charged = finalEquity([FundingRate(time: fourOClock, rate: 0.01)]), free = finalEquity([])
        // About 6,200 USDT of notional (1% risk at a 1.5% stop plus costs) × 1% = about 62 USDT.
        #expect(free - charged > 40 && free - charged < 80, "\(free - charged)")
    }
}

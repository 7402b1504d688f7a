import Evaluation
import Foundation
import MarketModel
import Storage
import Testing
import TradingEngine

@Suite struct PromotionGateTests {
    static func metrics(return value: Double, sharpe: Double, drawdown: Double, trades: Int) -> BacktestMetrics {
        let json = """
            {"totalReturn":\(value),"sharpe":\(sharpe),"sortino":0,"calmar":0,"maxDrawdown":\(drawdown),"trades":\(trades),"winRate":0.5,
             "expectancy":0,"exposure":0.1,"averageLeverage":5,"feesPaid":1,"fundingPaid":0,"fundingReceived":0}
            """
        return try! JSONDecoder().decode(BacktestMetrics.self, from: Data(json.utf8))
    }

    let rules = PromotionRules(returnMarginOverFlat: 0.001, sharpeMarginOverCurrent: 0.1, minimumTrades: 5, maximumDrawdown: 0.05)
    let flat = metrics(return: 0, sharpe: 0, drawdown: 0, trades: 0)

    @Test func aCandidateThatPassesEveryCheckIsPromoted() {
        let decision = PromotionDecision(candidate: Self.metrics(return: 0.02, sharpe: 1.4, drawdown: 0.03, trades: 12), flat: flat,
                                         current: Self.metrics(return: 0.01, sharpe: 1.2, drawdown: 0.02, trades: 9), rules: rules)
        #expect(decision.promote)
        #expect(decision.summary.hasPrefix("promoted: 12 out-of-sample trades"))
        #expect(decision.checks.map(\.name) == ["trades", "beats_flat", "drawdown", "beats_current"])
    }

    @Test func everyFailedCheckIsNamedInTheReason() {
        let decision = PromotionDecision(candidate: Self.metrics(return: 0.0005, sharpe: 1.25, drawdown: 0.06, trades: 3), flat: flat,
                                         current: Self.metrics(return: 0.01, sharpe: 1.2, drawdown: 0.02, trades: 9), rules: rules)
        #expect(!decision.promote)
        #expect(decision.checks.filter { !$0.passed }.map(\.name) == ["trades", "beats_flat", "drawdown", "beats_current"])
        #expect(decision.summary == "rejected: 3 out-of-sample trades (minimum 5); return +0.05% vs flat +0.00% (margin +0.10%); max drawdown 6.00% (limit 5.00%); Sharpe 1.25 vs current 1.20 (margin 0.10)")
    }

    @Test func withoutACurrentAgentOnlyFlatAndTheLimitsCount() {
        let decision = PromotionDecision(candidate: Self.metrics(return: 0.004, sharpe: 0.3, drawdown: 0.01, trades: 5), flat: flat, current: nil, rules: rules)
        #expect(decision.promote && decision.checks.last?.detail == "no current agent")
    }
}

@Suite struct ReturnBootstrapTests {
    @Test func periodReturnsCompoundFromTheInitialCapital() {
        // Three days sampled hourly-ish: day ends at 1_010, 999.9, 1_020.
        let day: Int64 = 86_400_000
        let times: [Int64] = [day / 2, day, day + day / 2, 2 * day, 2 * day + 1, 3 * day]
        let equity = [1_005.0, 1_010, 1_001, 999.9, 1_010, 1_020]
        let (returns, period) = ReturnBootstrap.periodReturns(equity: equity, times: times, initial: 1_000, minimumDays: 3)
        #expect(period == "day")
        #expect(returns.count == 3)
        #expect(abs(returns[0] - 0.01) < 1e-12 && abs(returns[1] - (999.9 / 1_010 - 1)) < 1e-12 && abs(returns[2] - (1_020 / 999.9 - 1)) < 1e-12)
        let hourly = ReturnBootstrap.periodReturns(equity: equity, times: times, initial: 1_000, minimumDays: 10)
        #expect(hourly.period == "hour" && hourly.returns.count == 6)
    }

    @Test func intervalsAreSeededOrderedAndHonest() throws {
        let day: Int64 = 86_400_000
        var equity: [Double] = [], times: [Int64] = [], value = 1_000.0
        for index in 1...60 {
            value *= 1 + (index % 3 == 0 ? -0.002 : 0.005)
            equity.append(value)
            times.append(Int64(index) * day)
        }
        let first = try #require(ReturnBootstrap.run(equity: equity, times: times, initial: 1_000, trades: 14, samples: 500, seed: 3))
        let second = try #require(ReturnBootstrap.run(equity: equity, times: times, initial: 1_000, trades: 14, samples: 500, seed: 3))
        #expect(first == second, "seeded")
        #expect(first.sharpe.lower <= first.sharpe.upper && first.maxDrawdown.lower <= first.maxDrawdown.upper)
        #expect(first.sharpe.lower > 0, "a steady winner's Sharpe interval stays positive")
        #expect(first.maxDrawdown.upper < 0.05 && first.maxDrawdown.upper > 0)
        #expect(first.periods == 60 && first.period == "day")
        #expect(first.note.contains("14 trades — too few for firm conclusions"))
        #expect(ReturnBootstrap.run(equity: [1_000], times: [day], initial: 1_000, trades: 0, samples: 10, seed: 1) == nil)
    }
}

@Suite struct LoserFilterTests {
    let names = ["rsi_1m", "atr_fraction_15m"]

    func filter() -> LoserSimilarityFilter {
        var examples: [LoserSimilarityFilter.Example] = []
        for index in 0..<10 {  // longs lost at high RSI and won at low RSI
            examples.append(.init(side: 1, context: [0.8 + Double(index) * 0.01, 0.2], lost: true))
            examples.append(.init(side: 1, context: [-0.6 - Double(index) * 0.01, 0.2], lost: false))
        }
        return LoserSimilarityFilter(contextNames: names, examples: examples, neighbours: 5, blockingShare: 0.8)
    }

    @Test func entriesLikeLosersAreBlockedAndOthersPass() {
        let filter = filter()
        #expect(!filter.allows(side: .long, context: [0.85, 0.2]))
        #expect(filter.allows(side: .long, context: [-0.65, 0.2]))
        #expect(filter.allows(side: .short, context: [0.85, 0.2]), "no short examples: nothing to compare with")
        let sparse = LoserSimilarityFilter(contextNames: names, examples: Array(filter.examples.prefix(3)), neighbours: 5)
        #expect(sparse.allows(side: .long, context: [0.85, 0.2]), "fewer examples than neighbours: allowed")
    }

    @Test func theBacktesterAppliesTheFilterToEntriesOnly() {
        struct AlwaysLong: TradingPolicy {
            let name = "always-long"
            func action(for observation: Observation) -> AgentAction { .long }
        }
        struct BlockEverything: EntryFilter {
            let name = "block"
            func allows(side: PositionSide, context: [Double]) -> Bool { false }
        }
        let spec = ["rsi_1m", "atr_fraction_15m", "trend_15m"]
        let contract = ContractSpec(symbol: "BTCUSDT", tickSize: 0.1, sizeStep: 0.0001, minimumSize: 0.0001, minimumNotional: 5, maximumLeverage: 125,
                                    maintenanceMarginTiers: [MaintenanceMarginTier(maximumNotional: 1e12, maintenanceMarginRate: 0.004)])
        let parameters = EngineParameters(contract: contract, leverageBand: LeverageBand(minimum: 5, maximum: 80))
        func run(filtered: Bool) -> (trades: Int, filtered: Int) {
            let engine = SimulatedTradingEngine(parameters: parameters, initialCapital: 1_000, funding: FundingSchedule(rates: [], fallbackRate: 0), confirmation: .off)
            var backtester = Backtester(engine: engine, policy: AlwaysLong(),
                                        columns: FeatureColumns(names: spec, tradingTimeframe: .oneMinute, stopTimeframe: .fifteenMinutes,
                                                                confirmationTimeframes: [.fifteenMinutes])!)
            if filtered { backtester.entryFilter = (BlockEverything(), EntryContextLayout(featureNames: spec)) }
            let features = [0.1, 0.2, 1.0]
            features.withUnsafeBufferPointer { row in
                for index in 0..<600 {
                    let price = 30_000 + Double(index % 40) * 10
                    backtester.step(Bar(openTime: Int64(index) * 60_000, open: price, high: price + 30, low: price - 30, close: price + 5, volume: 1),
                                    features: row, isValid: true)
                }
            }
            return (backtester.finish().trades.count, backtester.filteredEntries)
        }
        let open = run(filtered: false)
        #expect(open.trades > 0 && open.filtered == 0)
        let blocked = run(filtered: true)
        #expect(blocked.trades == 0 && blocked.filtered == 600)
    }
}

@Suite struct ContextAnalysisTests {
    @Test func bucketsCountBestAndWorstAndNameWhereLosersConcentrate() {
        func record(_ rsi: Double, _ hour: Double, _ performance: Double) -> StrategyRecord {
            StrategyRecord(agentVersion: "v", symbol: "BTCUSDT", timestamp: 0, exitTime: nil, action: "long", timeframes: "{}",
                           indicators: #"{"rsi_1m":\#(rsi),"hour_utc":\#(hour),"trend_15m":1,"trend_1h":-1,"atr_fraction_15m":0.1}"#,
                           tools: "{}", leverage: 5, pnl: performance, performance: performance, outcome: nil, phase: "held_out")
        }
        // RSI > 70 (0.5 → 75): six losers; RSI 45-55: five winners and one loser.
        let records = (0..<6).map { _ in record(0.5, 9, -1) } + (0..<5).map { _ in record(0, 14, 1) } + [record(0, 14, -1)]
        let analysis = ContextAnalysis(records: records)
        #expect(analysis.best == 5 && analysis.worst == 7)
        let overbought = analysis.buckets.first { $0.dimension == "rsi_1m" && $0.bucket == ">70" }
        #expect(overbought?.worst == 6 && overbought?.best == 0)
        #expect(abs((overbought?.worstShareLift ?? 0) - (1 - 7.0 / 12)) < 1e-12)
        #expect(analysis.buckets.contains { $0.dimension == "trend_agreement" && $0.bucket == "1 of 2" && $0.best + $0.worst == 12 })
        #expect(analysis.worstDominated.first?.hasPrefix("hour_utc 08-12: 6 worst vs 0 best") == true || analysis.worstDominated.first?.hasPrefix("rsi_1m >70: 6 worst vs 0 best") == true)
        #expect(analysis.bestDominated.contains { $0.hasPrefix("rsi_1m 45-55: 1 worst vs 5 best") })
    }
}

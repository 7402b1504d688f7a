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
             "expectancy":0,"exposure":0.1,"averageLeverage":5,"feesPaid":1,"fundingPaid":0,"fundingReceived":0,"halts":0,"resumes":0}
            """
        return try! JSONDecoder().decode(BacktestMetrics.self, from: Data(json.utf8))
    }

    /// μ + σ, μ − σ, … : mean μ, population std σ, skewness 0, kurtosis 1, so every statistic is exact.
    static func alternating(mean: Double, deviation: Double, count: Int) -> [Double] {
        (0..<count).map { mean + ($0 % 2 == 0 ? deviation : -deviation) }
    }

    /// Seeded normal returns (Box–Muller on SplitMix64).
    static func normal(mean: Double, deviation: Double, count: Int, seed: UInt64) -> [Double] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let u = max(random.unit(), 1e-300), v = random.unit()
            return mean + deviation * (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
    }

    let rules = PromotionRules(maximumDrawdown: 0.05)
    let flat = metrics(return: 0, sharpe: 0, drawdown: 0, trades: 0)

    @Test func theDefaultsAskForEvidence() {
        #expect(rules.minimumTrades == 30 && rules.returnMarginOverFlat == 0.005 && rules.sharpeMarginOverCurrent == 0.5)
        #expect(rules.minimumProbabilisticSharpe == 0.95 && rules.minimumDeflatedSharpe == 0.95)
        #expect(abs(rules.drawdownLimit - 0.04) < 1e-12, "80% of the 5% halt")
    }

    @Test func aClearEdgePassesEveryCheck() {
        // Per-bar Sharpe 0.1 over 20,000 bars: t ≈ 14, far past luck even over 10 trials.
        let returns = Self.normal(mean: 1e-4, deviation: 1e-3, count: 20_000, seed: 5)
        let evidence = PromotionEvidence(returns: returns, trades: 40, barsPerYear: 525_600, trials: 10, samples: 500, seed: 1)
        let decision = PromotionDecision(candidate: Self.metrics(return: 0.02, sharpe: 70, drawdown: 0.01, trades: 40), evidence: evidence,
                                         flat: flat, current: Self.metrics(return: 0.01, sharpe: 20, drawdown: 0.02, trades: 35), rules: rules)
        #expect(decision.promote, "\(decision.summary)")
        #expect(decision.checks.map(\.name) == ["trades", "bootstrap", "probabilistic_sharpe", "deflated_sharpe", "beats_flat", "no_halt",
                                                "drawdown", "beats_current"])
        #expect(evidence.bootstrap!.lower > 0 && evidence.probabilisticSharpe > 0.999 && evidence.deflatedSharpe > 0.999)
    }

    @Test func noiseIsRejectedAndTheReasonsNameTheStatistics() {
        let returns = Self.normal(mean: 0, deviation: 1e-3, count: 20_000, seed: 9)
        let evidence = PromotionEvidence(returns: returns, trades: 45, barsPerYear: 525_600, trials: 6, samples: 500, seed: 1)
        let decision = PromotionDecision(candidate: Self.metrics(return: 0.01, sharpe: 1, drawdown: 0.01, trades: 45), evidence: evidence,
                                         flat: flat, current: nil, rules: rules)
        #expect(!decision.promote)
        #expect(decision.checks.filter { !$0.passed }.map(\.name).contains("deflated_sharpe"))
        #expect(decision.summary.contains("deflated Sharpe") && decision.summary.contains("over 6 trial(s)"))
    }

    /// PSR and DSR by hand: SR = 0.025 per bar over 10,000 bars, skewness 0, kurtosis 1, so the standard
    /// error is √(1/9,999) = 0.0100005 and PSR(0) = Φ(2.49988) = 0.99379. One trial: DSR = PSR. A hundred
    /// trials: SR₀ = 0.0100005 × 2.53060 = 0.025307, DSR = Φ((0.025 − 0.025307) / 0.0100005) = Φ(−0.0307) = 0.4878.
    @Test func theDeflatedSharpeCountsEveryTrial() {
        let returns = Self.alternating(mean: 2.5e-5, deviation: 1e-3, count: 10_000)
        let one = PromotionEvidence(returns: returns, trades: 40, barsPerYear: 525_600, trials: 1, samples: 200, seed: 1)
        #expect(abs(one.sharpe - 0.025) < 1e-12 && abs(one.kurtosis - 1) < 1e-9)
        #expect(abs(one.probabilisticSharpe - 0.99379) < 1e-4)
        #expect(abs(one.deflatedSharpe - one.probabilisticSharpe) < 1e-12 && one.deflatedBenchmark == 0)
        let hundred = PromotionEvidence(returns: returns, trades: 40, barsPerYear: 525_600, trials: 100, samples: 200, seed: 1)
        #expect(abs(hundred.deflatedBenchmark - 0.025307) < 1e-5)
        #expect(abs(hundred.deflatedSharpe - 0.4878) < 1e-3)
        let candidate = Self.metrics(return: 0.02, sharpe: 18, drawdown: 0.01, trades: 40)
        #expect(PromotionDecision(candidate: candidate, evidence: one, flat: flat, current: nil, rules: rules).checks
            .first { $0.name == "deflated_sharpe" }?.passed == true)
        #expect(PromotionDecision(candidate: candidate, evidence: hundred, flat: flat, current: nil, rules: rules).checks
            .first { $0.name == "deflated_sharpe" }?.passed == false)
    }

    @Test func everyFailedPointCheckIsNamedWithItsNumber() {
        let evidence = PromotionEvidence(returns: Self.normal(mean: 1e-4, deviation: 1e-3, count: 20_000, seed: 5), trades: 3,
                                         barsPerYear: 525_600, trials: 1, samples: 200, seed: 1)
        let decision = PromotionDecision(candidate: Self.metrics(return: 0.004, sharpe: 1.25, drawdown: 0.045, trades: 3), evidence: evidence,
                                         flat: flat, current: Self.metrics(return: 0.01, sharpe: 1.2, drawdown: 0.02, trades: 9), rules: rules)
        #expect(!decision.promote)
        #expect(decision.checks.filter { !$0.passed }.map(\.name) == ["trades", "beats_flat", "drawdown", "beats_current"])
        #expect(decision.summary == "rejected: 3 out-of-sample trades (minimum 30); return +0.40% vs flat +0.00% (margin +0.50%); max drawdown 4.50% (limit 4.00%: the 5.00% halt less 20% room); Sharpe 1.25 vs current 1.20 (margin 0.50)")
    }

    @Test func aCandidateThatHaltedOutOfSampleIsRejectedEvenWithRoomToSpare() {
        var halted = Self.metrics(return: 0.03, sharpe: 20, drawdown: 0.02, trades: 40)
        halted.halts = 1
        let evidence = PromotionEvidence(returns: Self.normal(mean: 1e-4, deviation: 1e-3, count: 20_000, seed: 5), trades: 40,
                                         barsPerYear: 525_600, trials: 1, samples: 200, seed: 1)
        let decision = PromotionDecision(candidate: halted, evidence: evidence, flat: flat, current: nil,
                                         rules: PromotionRules(maximumDrawdown: 0.05, drawdownRoom: 0))
        #expect(!decision.promote && decision.checks.filter { !$0.passed }.map(\.name) == ["no_halt"])
    }

    @Test func periodReturnsStartFromTheInitialCapital() {
        let returns = PromotionEvidence.periodReturns(equity: [110, 99, 99], initial: 100)
        #expect(returns.count == 3 && abs(returns[0] - 0.1) < 1e-12 && abs(returns[1] + 0.1) < 1e-12 && returns[2] == 0)
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

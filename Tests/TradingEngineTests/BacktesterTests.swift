import MarketModel
import Testing
import TradingEngine

/// A policy that plays back a script of actions.
struct ScriptedPolicy: TradingPolicy {
    let name = "scripted"
    var script: [Int: AgentAction]
    mutating func action(for observation: Observation) -> AgentAction { script[observation.index] ?? .hold }
}

@Suite struct BacktesterTests {
    /// Feature rows with only the three columns the backtester reads: ATR fraction (%), RSI, one trend.
    static let columns = FeatureColumns(names: ["atr_fraction_15m", "rsi_1m", "trend_1h"], tradingTimeframe: .oneMinute,
                                        stopTimeframe: .fifteenMinutes, confirmationTimeframes: [.oneHour])!

    @Test func aScriptedRoundTripGivesHandComputedMetrics() {
        var engine = SimulatedTradingEngine(parameters: testParameters(), initialCapital: 10_000,
                                   funding: FundingSchedule(rates: [], fallbackRate: 0), confirmation: .off)
        engine.allocatedCapital = 10_000
        var backtester = Backtester(engine: engine, policy: ScriptedPolicy(script: [0: .long, 2: .short]), columns: Self.columns)
        let row: [Double] = [1, 0, 1]  // ATR = 1% of the close
        let prices: [Double] = [100, 100, 102, 104, 104]
        row.withUnsafeBufferPointer { features in
            for (minute, price) in prices.enumerated() {
                backtester.step(bar(minute, open: price, close: price), features: features, isValid: true)
            }
        }
        let result = backtester.finish()
        // ATR 1 → stop 98.5, loss per unit 1.5 + 0.0006 × 198.5 = 1.6191 → 100 / 1.6191 = 61.762 → 61.762 units
        // (size step 0.001) bought at 100 (minute 1), sold at 104 (minute 3, after `short` at minute 2's close).
        #expect(result.trades.count == 1)
        let trade = result.trades[0]
        #expect(trade.size == 61.762 && trade.entryPrice == 100 && trade.exitPrice == 104 && trade.exitReason == .signal)
        let fees = 0.0006 * 61.762 * (100 + 104)
        #expect(close(trade.netPnL, 61.762 * 4 - fees))
        #expect(close(result.finalEquity, 10_000 + 61.762 * 4 - fees))
        let metrics = BacktestMetrics(result: result, barsPerYear: 525_600)
        #expect(metrics.trades == 1 && metrics.winRate == 1)
        #expect(metrics.profitFactor == nil, "nothing was lost")
        #expect(close(metrics.totalReturn, (61.762 * 4 - fees) / 10_000))
        #expect(close(metrics.exposure, 2.0 / 5.0))
        #expect(metrics.maxDrawdown > 0, "the entry fee dips equity below its start")
        #expect(result.equityCurve.count == 5)
    }

    @Test func invalidRowsAllowExitsButNoEntries() {
        let engine = SimulatedTradingEngine(parameters: testParameters(), initialCapital: 10_000,
                                   funding: FundingSchedule(rates: [], fallbackRate: 0), confirmation: .off)
        var backtester = Backtester(engine: engine, policy: ScriptedPolicy(script: [0: .long, 1: .long]), columns: Self.columns)
        let row: [Double] = [1, 0, 1]
        row.withUnsafeBufferPointer { features in
            backtester.step(bar(0, open: 100), features: features, isValid: false)
            backtester.step(bar(1, open: 100), features: features, isValid: false)
            backtester.step(bar(2, open: 100), features: features, isValid: false)
        }
        #expect(backtester.finish().trades.isEmpty)
    }

    @Test func baselinesBehaveAsNamed() {
        var random = RandomPolicy(seed: 3), again = RandomPolicy(seed: 3)
        var flat = FlatPolicy(), always = AlwaysLongPolicy(), cross = EMACrossPolicy(fast: 2, slow: 4)
        let empty: [Double] = []
        empty.withUnsafeBufferPointer { features in
            var actions: [AgentAction] = []
            for index in 0..<200 {
                let observation = Observation(index: index, bar: bar(index, open: 100 + Double(index)), features: features,
                                              isValid: true, position: nil, unrealizedRisk: 0, barsInTrade: 0, leverage: 0, drawdown: 0)
                #expect(flat.action(for: observation) == .hold)
                #expect(always.action(for: observation) == .long)
                let action = random.action(for: observation)
                #expect(action == again.action(for: observation), "the same seed gives the same actions")
                actions.append(action)
                if index > 10 { #expect(cross.action(for: observation) == .long, "a rising market keeps the fast EMA above") }
                else { _ = cross.action(for: observation) }
            }
            let holds = actions.filter { $0 == .hold }.count
            #expect((170...200).contains(holds), "about 95% holds: \(holds)")
        }
    }
}

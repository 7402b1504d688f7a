import ChildProcesses
import Foundation
import MarketModel
import Storage
import TestSupport
import Testing
import TraderRuntime

/// Backtest == live: the trader on paper, fed a recorded market by the exchange simulator at speed, makes
/// exactly the trades `pipeline backtest` makes with the same agent on the same bars.
@Suite(.serialized, .removesTemporaryFiles) struct TraderParityTests {
    /// The simulator's market runs at this many times real time.
    static let speed: Int64 = 3_000

    /// Two symbols at once, so the capital each trades with comes from the allocator's inverse-volatility
    /// split across both, live and in the backtest; the rebalance during the backfill waits for the symbol
    /// whose bars come second, as the backtest reads both at the same time.
    @Test func paperTradesEqualTheBacktestsTrades() async throws {
        let fixture = try await TraderFixture(symbols: ["BTCUSDT", "ETHUSDT"])
        // A cap the weights stay under, so each symbol's share is its own (with 0.4, both are capped).
        try fixture.workspace.configurationFile("trading/risk.yaml", replacing: "maximum_weight: 0.4", with: "maximum_weight: 0.9")
        // The trader starts 90 minutes of market after the first daily capital rebalance (00:00 UTC), so it
        // backfills the hours before, one symbol after the other, across the rebalance; then it trades
        // two hours as they stream (about 12 h of real minutes in all).
        let rebalance = (fixture.start / 86_400_000 + 1) * 86_400_000
        let late = rebalance + 90 * 60_000 - fixture.start
        let end = rebalance + 210 * 60_000 - 60_000
        try await fixture.withSimulator(speed: Double(Self.speed)) { simulator in
            try await Task.sleep(for: .milliseconds(late / Self.speed))
            let (reached, run) = try await fixture.trader(simulator).withRunning { trader in
                await trader.wait(timeout: .seconds(300)) { fixture.symbols.allSatisfy { (fixture.lastTraded($0) ?? 0) >= end } }
            }
            #expect(reached, "the trader traded through \(UTCTime.format(end)): \(run.standardError.suffix(3_000))")
            #expect(run.standardOutput.contains("trader: stopped"), "SIGTERM stops it gracefully: \(run.standardOutput)")
            #expect(run.succeeded, "\(run.standardError.suffix(3_000))")
            #expect(run.standardError.contains("backfilled missed bars"), "the trader started late and backfilled")
            #expect(!run.standardError.contains("uses their last known volatility"), "the rebalance waited: \(run.standardError.suffix(3_000))")
        }
        var capitals: Set<Double> = []
        for symbol in fixture.symbols {
            let last = try #require(fixture.lastTraded(symbol))
            let paper = try fixture.trades(symbol)
            var backtest = try await fixture.backtest(symbol, through: last)
            // The backtest closes what is open at its end; the paper position stays open.
            if backtest.last?.exitReason == .endOfData { backtest.removeLast() }
            #expect(paper.count >= 8, "\(symbol): the scripted agent trades: \(paper.count) trades")
            #expect(paper.contains { $0.funding != 0 }, "\(symbol): a trade held through a funding settlement (the trader fetched its rate)")
            let (same, why) = sameTrades(paper, backtest)
            #expect(same, "\(symbol): \(why)")
            let state = try #require(try fixture.store.rows("SELECT state FROM trader_state WHERE symbol = $1", [.text(symbol)], context: "test").first?.first ?? nil)
            capitals.insert(try #require(TraderStateReader.engine(state)).allocatedCapital)
        }
        #expect(capitals.count == 2 && !capitals.contains(5_000) && abs(capitals.reduce(0, +) - 10_000) < 1e-6,
                "the allocator's inverse-volatility split of the 10,000, not the equal one: \(capitals)")
    }
}

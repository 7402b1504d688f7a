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
    /// Twelve hours of real BTCUSDT minutes (720 bars) at 3,000× real time.
    static let span: Int64 = 12 * 3_600_000

    /// Two symbols at once, so the capital each trades with comes from the allocator's inverse-volatility
    /// split across both, live and in the backtest.
    @Test func paperTradesEqualTheBacktestsTrades() async throws {
        let fixture = try await TraderFixture(symbols: ["BTCUSDT", "ETHUSDT"])
        // A cap the weights stay under, so each symbol's share is its own (with 0.4, both are capped).
        try fixture.workspace.configurationFile("trading/risk.yaml", replacing: "maximum_weight: 0.4", with: "maximum_weight: 0.9")
        let end = fixture.start + Self.span - 60_000
        try await fixture.withSimulator { simulator in
            let (reached, run) = try await fixture.trader(simulator).withRunning { trader in
                await trader.wait(timeout: .seconds(300)) { fixture.symbols.allSatisfy { (fixture.lastTraded($0) ?? 0) >= end } }
            }
            #expect(reached, "the trader traded through \(UTCTime.format(end)): \(run.standardError.suffix(3_000))")
            #expect(run.standardOutput.contains("trader: stopped"), "SIGTERM stops it gracefully: \(run.standardOutput)")
            #expect(run.succeeded, "\(run.standardError.suffix(3_000))")
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
            capitals.insert(try #require(TraderStateReader.decode(state)).engine.allocatedCapital)
        }
        #expect(capitals.count == 2 && !capitals.contains(5_000) && abs(capitals.reduce(0, +) - 10_000) < 1e-6,
                "the allocator's inverse-volatility split of the 10,000, not the equal one: \(capitals)")
    }
}

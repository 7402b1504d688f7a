import ChildProcesses
import Foundation
import MarketModel
import Storage
import TestSupport
import Testing

/// Backtest == live: the trader on paper, fed a recorded market by the exchange simulator at speed, makes
/// exactly the trades `pipeline backtest` makes with the same agent on the same bars.
@Suite(.serialized, .removesTemporaryFiles) struct TraderParityTests {
    /// Twelve hours of real BTCUSDT minutes (720 bars) at 3,000× real time.
    static let span: Int64 = 12 * 3_600_000

    @Test func paperTradesEqualTheBacktestsTrades() async throws {
        let fixture = try await TraderFixture()
        let end = fixture.start + Self.span - 60_000
        try await fixture.withSimulator { simulator in
            let (reached, run) = try await fixture.trader(simulator).withRunning { trader in
                await trader.wait(timeout: .seconds(240)) { (fixture.lastTraded() ?? 0) >= end }
            }
            #expect(reached, "the trader traded through \(UTCTime.format(end)): \(run.standardError.suffix(3_000))")
            #expect(run.standardOutput.contains("trader: stopped"), "SIGTERM stops it gracefully: \(run.standardOutput)")
            #expect(run.succeeded, "\(run.standardError.suffix(3_000))")
        }
        let last = try #require(fixture.lastTraded())
        let paper = try fixture.trades()
        var backtest = try await fixture.backtest(through: last)
        // The backtest closes what is open at its end; the paper position stays open.
        if backtest.last?.exitReason == .endOfData { backtest.removeLast() }
        #expect(paper.count >= 8, "the scripted agent trades: \(paper.count) trades")
        #expect(paper.contains { $0.funding != 0 }, "a trade held through a funding settlement (the trader fetched its rate)")
        let (same, why) = sameTrades(paper, backtest)
        #expect(same, "\(why)")
    }
}

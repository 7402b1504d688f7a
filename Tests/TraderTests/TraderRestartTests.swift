import ChildProcesses
import Foundation
import MarketModel
import Storage
import TestSupport
import Testing

/// Killed with -9 while a paper position is open, the trader restarts where it stopped: the position and
/// its stop are restored, every bar is traded exactly once (no gap, no repeat in the per-minute equity),
/// and the trades of the interrupted run are still exactly the backtest's.
@Suite(.serialized, .removesTemporaryFiles) struct TraderRestartTests {
    @Test func aKilledTraderResumesItsPositionAndItsBars() async throws {
        let fixture = try await TraderFixture()
        let end = fixture.start + 10 * 3_600_000
        try await fixture.withSimulator { simulator in
            // 1. Run until a position is open, then kill -9. What counts is the store after the kill: a bar
            //    processed between the poll and the signal may have closed the position, so then run again.
            func storedPosition() -> [String?]? {
                try? fixture.store.rows("SELECT side, size, entry_price, stop_loss, take_profit, opened_at FROM positions WHERE mode = 'paper'",
                                        [], context: "test").first
            }
            var before: (position: [String?], lastBar: Int64)?, kills = 0
            for _ in 0..<3 where before == nil {
                kills += 1
                _ = try await fixture.trader(simulator).withRunning { trader in
                    _ = await trader.wait(timeout: .seconds(240)) {
                        guard storedPosition() != nil, let last = fixture.lastTraded(), last > fixture.start + 3_600_000 else { return false }
                        return true
                    }
                    trader.send(signal: SIGKILL)
                }
                if let row = storedPosition(), let last = fixture.lastTraded() { before = (row, last) }
            }
            let open = try #require(before, "a position was open at the kill")
            // 2. Restart: the stored position is the one the trader continues with.
            let (reached, second) = try await fixture.trader(simulator).withRunning { trader in
                await trader.wait(timeout: .seconds(240)) { (fixture.lastTraded() ?? 0) >= end }
            }
            #expect(reached && second.succeeded, "\(second.standardError.suffix(3_000))")
            let restored = second.standardError.split(separator: "\n").first { $0.contains("\"message\":\"restored\"") } ?? ""
            #expect(restored.contains("\"position\":\"\(open.position[0]!) \(open.position[1]!)\""), "restored with its position: \(restored)")
            let events = try fixture.store.rows("SELECT kind, message FROM trader_events ORDER BY id", [], context: "test")
                .map { "\($0[0] ?? ""): \($0[1] ?? "")" }
            #expect(events.filter { $0.hasPrefix("started: ") }.count == kills + 1, "\(events)")
            #expect(events.contains { $0.hasPrefix("started: restored after the bar of") && $0.contains("open with its stop at \(open.position[3]!)") },
                    "\(events)")
        }
        // 3. Every minute from the start to the end was traded once: one equity snapshot per minute.
        let last = try #require(fixture.lastTraded())
        let snapshots = try fixture.store.rows("SELECT \"time\" FROM equity_snapshots WHERE mode = 'paper' ORDER BY \"time\"", [], context: "test")
            .compactMap { $0[0].flatMap { Int64($0) } }
        let expected = Array(stride(from: fixture.start + 60_000, through: last + 60_000, by: 60_000))
        #expect(snapshots == expected, "\(snapshots.count) snapshots for \(expected.count) minutes; first \(snapshots.first.map(UTCTime.format) ?? "-")")
        // 4. And the interrupted run still made exactly the backtest's trades.
        var backtest = try await fixture.backtest(through: last)
        if backtest.last?.exitReason == .endOfData { backtest.removeLast() }
        let (same, why) = sameTrades(try fixture.trades(), backtest)
        #expect(same, "\(why)")
    }
}

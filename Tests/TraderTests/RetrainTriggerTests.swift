import ChildProcesses
import Foundation
import MarketModel
import Storage
import TestSupport
import Testing
import TraderRuntime

/// The live-Sharpe trigger: the rolling Sharpe of a symbol's daily equity, and the pipeline run it starts
/// when the Sharpe falls under the threshold.
@Suite(.serialized, .removesTemporaryFiles) struct RetrainTriggerTests {
    /// Hand-computed: daily closes 100, 101, 99.99, 101.9898 → returns +1%, −1%, +2% → mean 0.6667%,
    /// population std 1.2472% → 0.53452 × √365 = 10.2121.
    @Test func theLiveSharpeIsTheAnnualisedSharpeOfDailyReturns() {
        let day: Int64 = 86_400_000
        let equity: [(time: Int64, equity: Double)] = [
            (day / 2, 95), (day, 100),  // the snapshot at 00:00 closes the day before
            (day + 3_600_000, 100.5), (2 * day, 101), (3 * day, 99.99), (4 * day, 101.9898),
        ]
        let sharpe = LiveSharpe.annualised(equity: equity)
        #expect(sharpe.map { abs($0 - 10.2121) < 1e-3 } == true, "\(String(describing: sharpe))")
        #expect(LiveSharpe.annualised(equity: [(day, 100), (2 * day, 101)]) == nil, "one return is no Sharpe")
        #expect(LiveSharpe.annualised(equity: [(day, 100), (2 * day, 100), (3 * day, 100)]) == nil, "no variation, no Sharpe")
    }

    @Test func aSharpeUnderTheThresholdStartsARetrainOfThatSymbol() async throws {
        let fixture = try await TraderFixture()
        let workspace = fixture.workspace
        try workspace.configurationFile("trading/runtime.yaml", replacing: "check_hours: 1", with: "check_hours: 0.0005")
        try workspace.configurationFile("trading/runtime.yaml", replacing: "sharpe_threshold: 1.5", with: "sharpe_threshold: 20")
        // Five losing days of paper equity before the start, and their trades.
        let store = try fixture.store
        var statements: [SQLStatement] = []
        for day in 1...5 {
            let time = fixture.start - Int64(6 - day) * 86_400_000
            statements.append(SQLStatement("INSERT INTO equity_snapshots (mode, scope, \"time\", equity, realized, unrealized) VALUES ('paper', 'BTCUSDT', $1, $2, '0', '0')",
                                           [.integer(time), .text("\(1_700 - Double(day * day) * 3)")]))
            statements.append(SQLStatement("""
                INSERT INTO trades (mode, symbol, side, size, leverage, entry_time, entry_price, exit_time, exit_price, fees, funding, realized_pnl, exit_reason)
                VALUES ('paper', 'BTCUSDT', 'long', '0.01', '5', $1, '100000', $2, '99000', '1', '0', '-11', 'stop')
                """, [.integer(time - 600_000), .integer(time)]))
        }
        try store.executeAtomically(statements, context: "test")
        let log = workspace.path("pipeline-calls.txt")
        let fake = workspace.path("fake-pipeline")
        try "#!/bin/sh\necho \"$@ TRADER_CONFIG=$TRADER_CONFIG\" >> \(log)\n".write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        try await fixture.withSimulator(speed: 600) { simulator in
            _ = try await fixture.trader(simulator, ["--pipeline", fake]).withRunning { trader in
                #expect(await trader.wait(timeout: .seconds(90)) { FileManager.default.fileExists(atPath: log) }, "the pipeline was started")
            }
        }
        let call = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").first.map(String.init) ?? ""
        #expect(call.hasPrefix("run --reason sharpe --symbols BTCUSDT --live-sharpe "), "\(call)")
        let sharpe = call.components(separatedBy: "--live-sharpe ").last.flatMap { Double($0.prefix { $0 != " " }) }
        #expect(sharpe.map { $0 < 20 } == true, "the Sharpe it passes is under the threshold: \(call)")
        // The five seeded trades are in the window, and so is any trade the session itself closed before the
        // check (the simulator runs 600× real time, so a trade or two may close first).
        let liveTrades = call.components(separatedBy: "--live-trades ").last.flatMap { Int($0.prefix { $0 != " " }) }
        let tradesNow = try store.rows("SELECT count(*) FROM trades WHERE mode = 'paper' AND symbol = 'BTCUSDT'", [], context: "test")
            .first.flatMap { $0[0] }.flatMap { Int($0) } ?? 0
        #expect(liveTrades.map { $0 >= 5 && $0 <= tradesNow } == true, "5 seeded ≤ live trades ≤ \(tradesNow) recorded: \(call)")
        #expect(call.hasSuffix("TRADER_CONFIG=config"), "with the trader's configuration: \(call)")
        let events = try store.rows("SELECT message FROM trader_events WHERE kind = 'retrain' ORDER BY id", [], context: "test").compactMap { $0[0] }
        #expect(events.first?.contains("started `pipeline run --reason sharpe --symbols BTCUSDT") == true, "\(events)")
    }
}

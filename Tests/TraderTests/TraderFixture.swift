import ChildProcesses
import Foundation
import MarketModel
import Storage
import TestSupport
import Testing

/// A paper-trading account for end-to-end tests of `trader`: a workspace whose store holds 45 days of real
/// BTCUSDT 1m bars (and the funding settled by then), a promoted scripted agent, and the simulator serving
/// the same recorded market from there on at `speed` × real time.
struct TraderFixture {
    static let barsFile = "mit/binance-usdm_BTCUSDT_1m_20250504-20250624.csv"
    static let fundingFile = "mit/binance-usdm_BTCUSDT_funding-rate_20250306-20250624.csv"
    static let historyRows = 45 * 1_440

    let workspace: Workspace
    /// Open time of the first bar the trader trades (the first one after the stored history), UTC ms.
    let start: Int64
    let marketDirectory: String

    init(agentVersion: String = "20261201T000000000Z-s1") async throws {
        workspace = try Workspace()
        try workspace.configurationFile("trading/runtime.yaml", replacing: "port: 9464", with: "port: 0")
        try workspace.configurationFile("trading/runtime.yaml", replacing: "catch_up_lag_seconds: 90", with: "catch_up_lag_seconds: 86400")
        try workspace.configurationFile("trading/runtime.yaml", replacing: "agent_reload_seconds: 2 ", with: "agent_reload_seconds: 0.2 ")
        #expect(try await workspace.pipeline("init-db").succeeded)
        let bars = try workspace.datasetPrefix(Self.barsFile, rows: Self.historyRows, as: "history.csv")
        let imported = try await workspace.pipeline("import-csv", bars, "--symbol", "BTCUSDT", "--timeframe", "1m")
        #expect(imported.succeeded, "\(imported.combined)")
        let store = try SQLiteStore(path: workspace.path("data/trader.sqlite"))
        let last = try #require(try store.candleCoverage(symbol: "BTCUSDT", timeframe: .oneMinute)).lastOpenTime
        start = last + 60_000
        // Funding settled before the start only: the trader fetches the later settlements as they happen.
        let funding = try String(contentsOfFile: TestEnvironment.dataset(Self.fundingFile), encoding: .utf8)
            .split(separator: "\n").enumerated().filter { index, line in
                index == 0 || (Int64(line.split(separator: ",").first ?? "") ?? .max) < last
            }.map { String($0.element) }.joined(separator: "\n") + "\n"
        try funding.write(toFile: workspace.path("funding.csv"), atomically: true, encoding: .utf8)
        #expect(try await workspace.pipeline("import-csv", workspace.path("funding.csv"), "--symbol", "BTCUSDT", "--kind", "funding").succeeded)
        marketDirectory = workspace.path("market")
        try FileManager.default.createDirectory(atPath: marketDirectory, withIntermediateDirectories: true)
        for file in [Self.barsFile, Self.fundingFile] {
            try FileManager.default.createSymbolicLink(atPath: marketDirectory + "/" + (file as NSString).lastPathComponent,
                                                       withDestinationPath: TestEnvironment.dataset(file))
        }
        try ScriptedAgent.write(symbol: "BTCUSDT", version: agentVersion, agentsDirectory: workspace.path("agents"))
    }

    /// `bitget-sim` on the recorded market from `start`, at `speed` × real time, for the closure's duration.
    func withSimulator<Value: Sendable>(speed: Double = 3_000, faults: String = "",
                                        _ body: (SimulatorProcess) async throws -> Value) async throws -> Value {
        try await SimulatorProcess.with(["--data", marketDirectory, "--start", "\(start)", "--speed", "\(speed)", "--push-interval", "0.02",
                                         "--faults", faults], body)
    }

    /// `trader run --symbols BTCUSDT` against `simulator`.
    func trader(_ simulator: SimulatorProcess, _ extra: [String] = []) -> ChildProcess {
        workspace.trader(["run", "--symbols", "BTCUSDT"] + extra,
                         environment: ["BITGET_BASE_URL": simulator.baseURL, "BITGET_WS_URL": simulator.webSocketURL])
    }

    var store: SQLiteStore { get throws { try SQLiteStore(path: workspace.path("data/trader.sqlite")) } }

    /// The open time of the last bar the trader has traded (nil before its first).
    func lastTraded() -> Int64? {
        guard let rows = try? store.rows("SELECT last_bar_open_time FROM trader_state WHERE mode = 'paper' AND symbol = 'BTCUSDT'", [],
                                         context: "test") else { return nil }
        guard let first = rows.first, let text = first.first ?? nil else { return nil }
        return Int64(text)
    }

    /// The paper trades as stored, oldest first.
    func trades() throws -> [ClosedTrade] {
        try store.rows("""
            SELECT side, size, leverage, entry_time, entry_price, exit_time, exit_price, fees, funding, realized_pnl, exit_reason
            FROM trades WHERE mode = 'paper' ORDER BY exit_time, id
            """, [], context: "test").map { row in
            let net = Double(row[9]!)!, fees = Double(row[7]!)!, funding = Double(row[8]!)!
            return ClosedTrade(side: PositionSide(rawValue: row[0]!)!, size: Double(row[1]!)!, leverage: Double(row[2]!)!,
                               entryTime: Int64(row[3]!)!, entryPrice: Double(row[4]!)!, exitTime: Int64(row[5]!)!, exitPrice: Double(row[6]!)!,
                               fees: fees, funding: funding, grossPnL: net + fees - funding, exitReason: ExitReason(rawValue: row[10]!)!)
        }
    }

    /// `pipeline backtest --agent current` over `[start, through]`; returns the report's trades.
    func backtest(through last: Int64) async throws -> [ClosedTrade] {
        func minute(_ time: Int64) -> String { UTCTime.format(time).replacingOccurrences(of: " ", with: "T") }
        let result = try await workspace.pipeline("backtest", "--symbol", "BTCUSDT", "--agent", "current", "--from", minute(start),
                                                  "--to", minute(last))
        #expect(result.succeeded, "\(result.combined)")
        let reports = try FileManager.default.contentsOfDirectory(atPath: workspace.path("reports/backtest"))
        let report = try #require(reports.first { $0.hasPrefix("BTCUSDT-agent-") && $0.hasSuffix(".json") })
        let data = try Data(contentsOf: URL(fileURLWithPath: workspace.path("reports/backtest/" + report)))
        struct Report: Decodable { var trades: [ClosedTrade] }
        return try JSONDecoder().decode(Report.self, from: data).trades
    }
}

/// Two trade lists equal to 1e-9 (relative) in every number, and exactly in times, sides and reasons.
func sameTrades(_ live: [ClosedTrade], _ backtest: [ClosedTrade]) -> (Bool, String) {
    guard live.count == backtest.count else { return (false, "\(live.count) paper trades vs \(backtest.count) in the backtest") }
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(1, abs(a), abs(b)) }
    for (index, (a, b)) in zip(live, backtest).enumerated() {
        let same = a.side == b.side && a.entryTime == b.entryTime && a.exitTime == b.exitTime && a.exitReason == b.exitReason
            && close(a.size, b.size) && close(a.leverage, b.leverage) && close(a.entryPrice, b.entryPrice) && close(a.exitPrice, b.exitPrice)
            && close(a.fees, b.fees) && close(a.funding, b.funding) && close(a.netPnL, b.netPnL)
        if !same { return (false, "trade \(index) differs:\n  paper    \(a)\n  backtest \(b)") }
    }
    return (true, "")
}

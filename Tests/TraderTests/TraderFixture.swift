import ChildProcesses
import Foundation
import MarketModel
import ScriptedAgents
import Storage
import TestSupport
import Testing

/// A paper-trading account for end-to-end tests of `trader`: a workspace whose store holds 45 days of real
/// 1m bars of each symbol (and the funding settled by then), a promoted scripted agent per symbol, and the
/// simulator serving the same recorded market from there on at `speed` × real time.
struct TraderFixture {
    static func barsFile(_ symbol: String) -> String { "mit/binance-usdm_\(symbol)_1m_20250504-20250624.csv" }
    static func fundingFile(_ symbol: String) -> String { "mit/binance-usdm_\(symbol)_funding-rate_20250306-20250624.csv" }
    static let historyRows = 45 * 1_440

    let workspace: Workspace
    let symbols: [String]
    /// Open time of the first bar the trader trades (the first one after the stored history of every symbol), UTC ms.
    let start: Int64
    let marketDirectory: String

    init(symbols: [String] = ["BTCUSDT"], agentVersion: String = "20261201T000000000Z-s1") async throws {
        workspace = try Workspace()
        self.symbols = symbols
        // Only these symbols enabled: the capital allocator splits across the enabled symbols, and the trader trades them all.
        for other in ["BTCUSDT", "ETHUSDT", "SOLUSDT", "ADAUSDT", "DOGEUSDT", "LINKUSDT"] where !symbols.contains(other) {
            try workspace.configurationFile("trading/symbols.yaml", replacing: "  - symbol: \(other)\n", with: "  - symbol: \(other)\n    enabled: false\n")
        }
        try workspace.configurationFile("trading/runtime.yaml", replacing: "port: 9464", with: "port: 0")
        try workspace.configurationFile("trading/runtime.yaml", replacing: "catch_up_lag_seconds: 90", with: "catch_up_lag_seconds: 86400")
        try workspace.configurationFile("trading/runtime.yaml", replacing: "agent_reload_seconds: 2 ", with: "agent_reload_seconds: 0.2 ")
        #expect(try await workspace.pipeline("init-db").succeeded)
        let store = try SQLiteStore(path: workspace.path("data/trader.sqlite"))
        marketDirectory = workspace.path("market")
        try FileManager.default.createDirectory(atPath: marketDirectory, withIntermediateDirectories: true)
        var latest: Int64 = 0
        for symbol in symbols {
            let bars = try workspace.datasetPrefix(Self.barsFile(symbol), rows: Self.historyRows, as: "\(symbol)-history.csv")
            let imported = try await workspace.pipeline("import-csv", bars, "--symbol", symbol, "--timeframe", "1m")
            #expect(imported.succeeded, "\(imported.combined)")
            let last = try #require(try store.candleCoverage(symbol: Symbol(symbol)!, timeframe: .oneMinute)).lastOpenTime
            latest = max(latest, last)
            // Funding settled before the start only: the trader fetches the later settlements as they happen.
            let funding = try String(contentsOfFile: TestEnvironment.dataset(Self.fundingFile(symbol)), encoding: .utf8)
                .split(separator: "\n").enumerated().filter { index, line in
                    index == 0 || (Int64(line.split(separator: ",").first ?? "") ?? .max) < last
                }.map { String($0.element) }.joined(separator: "\n") + "\n"
            try funding.write(toFile: workspace.path("\(symbol)-funding.csv"), atomically: true, encoding: .utf8)
            #expect(try await workspace.pipeline("import-csv", workspace.path("\(symbol)-funding.csv"), "--symbol", symbol, "--kind", "funding").succeeded)
            for file in [Self.barsFile(symbol), Self.fundingFile(symbol)] {
                try FileManager.default.createSymbolicLink(atPath: marketDirectory + "/" + (file as NSString).lastPathComponent,
                                                           withDestinationPath: TestEnvironment.dataset(file))
            }
            try ScriptedAgent.write(symbol: symbol, version: agentVersion, agentsDirectory: workspace.path("agents"))
        }
        start = latest + 60_000
    }

    /// `bitget-sim` on the recorded market from `start`, at `speed` × real time, for the closure's duration.
    /// `account`: whose key the simulator holds (demo, real or any: see `bitget-sim --account`).
    func withSimulator<Value: Sendable>(speed: Double = 3_000, faults: String = "", account: String = "any",
                                        _ body: (SimulatorProcess) async throws -> Value) async throws -> Value {
        try await SimulatorProcess.with(["--data", marketDirectory, "--start", "\(start)", "--speed", "\(speed)", "--push-interval", "0.02",
                                         "--faults", faults, "--account", account], body)
    }

    /// `trader run` (every enabled symbol) against `simulator`.
    func trader(_ simulator: SimulatorProcess, _ extra: [String] = []) -> ChildProcess {
        workspace.trader(["run"] + extra,
                         environment: ["BITGET_BASE_URL": simulator.baseURL, "BITGET_WS_URL": simulator.webSocketURL])
    }

    var store: SQLiteStore { get throws { try SQLiteStore(path: workspace.path("data/trader.sqlite")) } }

    /// The open time of the last bar the trader has traded for `symbol` (nil before its first).
    func lastTraded(_ symbol: String = "BTCUSDT") -> Int64? {
        guard let rows = try? store.rows("SELECT last_bar_open_time FROM trader_state WHERE mode = 'paper' AND symbol = $1", [.text(symbol)],
                                         context: "test") else { return nil }
        guard let first = rows.first, let text = first.first ?? nil else { return nil }
        return Int64(text)
    }

    /// The paper trades of `symbol` as stored, oldest first.
    func trades(_ symbol: String = "BTCUSDT") throws -> [ClosedTrade] {
        try store.rows("""
            SELECT side, size, leverage, entry_time, entry_price, exit_time, exit_price, fees, funding, realized_pnl, exit_reason
            FROM trades WHERE mode = 'paper' AND symbol = $1 ORDER BY exit_time, id
            """, [.text(symbol)], context: "test").map { row in
            let net = Double(row[9]!)!, fees = Double(row[7]!)!, funding = Double(row[8]!)!
            return ClosedTrade(side: PositionSide(rawValue: row[0]!)!, size: Double(row[1]!)!, leverage: Double(row[2]!)!,
                               entryTime: Int64(row[3]!)!, entryPrice: Double(row[4]!)!, exitTime: Int64(row[5]!)!, exitPrice: Double(row[6]!)!,
                               fees: fees, funding: funding, grossPnL: net + fees - funding, exitReason: ExitReason(rawValue: row[10]!)!)
        }
    }

    /// `pipeline backtest --agent current` of `symbol` over `[start, through]`; returns the report's trades.
    func backtest(_ symbol: String = "BTCUSDT", through last: Int64) async throws -> [ClosedTrade] {
        func minute(_ time: Int64) -> String { UTCTime.format(time).replacingOccurrences(of: " ", with: "T") }
        let result = try await workspace.pipeline("backtest", "--symbol", symbol, "--agent", "current", "--from", minute(start),
                                                  "--to", minute(last))
        #expect(result.succeeded, "\(result.combined)")
        let reports = try FileManager.default.contentsOfDirectory(atPath: workspace.path("reports/backtest"))
        let report = try #require(reports.first { $0.hasPrefix("\(symbol)-agent-") && $0.hasSuffix(".json") })
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

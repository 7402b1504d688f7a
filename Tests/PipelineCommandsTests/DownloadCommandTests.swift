import ChildProcesses
import Foundation
import MarketModel
import Storage
import TestSupport
import Testing

@Suite(.serialized, .removesTemporaryFiles) struct DownloadCommandTests {
    static func day(_ milliseconds: Int64) -> String { UTCTime(milliseconds: milliseconds).dayString }

    @Test func aKilledDownloadResumesWithoutGapsOrDuplicates() async throws {
        try await SimulatorProcess.with(["--generate", "11", "--symbols", "BTCUSDT,ETHUSDT", "--days", "12", "--future-days", "1",
                                         "--faults", "latency-ms=60"]) { simulator in
            let workspace = try Workspace()
            #expect(try await workspace.pipeline("init-db").status == 0)
            let since = Self.day(Int64(Date().timeIntervalSince1970 * 1000) - 10 * 86_400_000)
            let arguments = ["download", "--symbols", "BTCUSDT,ETHUSDT", "--timeframes", "1m,1h", "--since", since]
            let environment = ["BITGET_BASE_URL": simulator.baseURL]

            // First run: killed with SIGKILL once some bars are stored.
            let store = try SQLiteStore(path: workspace.path("data/trader.sqlite"))
            var partial = 0
            _ = try await workspace.command(arguments, environment: environment).withRunning { child in
                _ = await child.wait(timeout: .seconds(60)) {
                    partial = (try? store.candleCoverage(symbol: "BTCUSDT", timeframe: .oneMinute))?.count ?? 0
                    return partial >= 2_000
                }
                child.send(signal: SIGKILL)
            }
            #expect(partial >= 2_000 && partial < 14_000, "killed mid-download (\(partial) bars stored)")

            // Second run finishes the job.
            let second = try await workspace.pipeline(arguments, environment: environment)
            #expect(second.status == 0, "\(second.combined)")
            for symbol in ["BTCUSDT", "ETHUSDT"] as [Symbol] {
                let bars = try store.candles(symbol: symbol, timeframe: .oneMinute, from: nil, to: nil, limit: nil)
                let steps = Set(zip(bars, bars.dropFirst()).map { $1.openTime - $0.openTime })
                #expect(steps == [60_000], "\(symbol): no gap and no duplicate")
                #expect(bars.count >= 10 * 1_440, "\(symbol): \(bars.count) bars")
                let backup = try String(contentsOfFile: workspace.path("data/\(symbol)/\(symbol)_1m.csv"), encoding: .utf8)
                #expect(backup.split(separator: "\n").count == bars.count + 1, "\(symbol): the backup has every stored bar once")
                #expect(try store.candleCoverage(symbol: symbol, timeframe: .oneHour)?.count ?? 0 >= 10 * 24)
                #expect(try store.fundingRates(symbol: symbol, from: nil, to: nil).count >= 30)
            }
            #expect(second.standardOutput.contains("BTCUSDT 1m:"))

            // A third run stores only the bars that closed since the second (none, unless a minute or an
            // hour boundary passed in between: CI once ran this across 12:00 UTC) and fetches nothing twice.
            var before: [String: CandleCoverage] = [:]
            for symbol in ["BTCUSDT", "ETHUSDT"] as [Symbol] {
                for timeframe in [Timeframe.oneMinute, .oneHour] {
                    before["\(symbol) \(timeframe.rawValue)"] = try store.candleCoverage(symbol: symbol, timeframe: timeframe)
                }
            }
            let third = try await workspace.pipeline(arguments, environment: environment)
            #expect(third.status == 0, "\(third.combined)")
            for symbol in ["BTCUSDT", "ETHUSDT"] as [Symbol] {
                for timeframe in [Timeframe.oneMinute, .oneHour] {
                    let key = "\(symbol) \(timeframe.rawValue)"
                    let after = try #require(try store.candleCoverage(symbol: symbol, timeframe: timeframe))
                    let closedSince = after.count - (before[key]?.count ?? 0)
                    #expect(closedSince >= 0 && closedSince <= (timeframe == .oneHour ? 1 : 5), "\(key): \(closedSince) bars closed between the runs")
                    #expect(after.lastOpenTime - after.firstOpenTime == Int64(after.count - 1) * timeframe.milliseconds, "\(key): contiguous")
                    #expect(third.standardOutput.contains("\(key): \(closedSince) new bars, 0 already stored"), "\(key): \(third.standardOutput)")
                }
            }
        }
    }

    @Test func anUnlistedSymbolIsReportedBeforeAnyDownload() async throws {
        try await SimulatorProcess.with(["--generate", "3", "--symbols", "BTCUSDT", "--days", "2", "--future-days", "1"]) { simulator in
            let workspace = try Workspace()
            _ = try await workspace.pipeline("init-db")
            let result = try await workspace.pipeline("download", "--symbols", "BTCUSDT,LINKUSDT", "--timeframes", "1m",
                                                      environment: ["BITGET_BASE_URL": simulator.baseURL])
            #expect(result.status != 0)
            #expect(result.standardError.contains("LINKUSDT is not listed by the exchange (USDT-FUTURES) — nothing was downloaded"))
            let store = try SQLiteStore(path: workspace.path("data/trader.sqlite"))
            #expect(try store.candleCoverage().isEmpty)
        }
    }
}

import ArgumentParser
import BitGet
import ChildProcesses
import DataStages
import Foundation
import MarketModel
import Storage

/// `bench download`: one year of 1m bars for six symbols from the simulator (a child process, so its
/// memory is measured on its own) at BitGet's market-data rate limit.
struct DownloadBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download", abstract: "Download six symbol-years of 1m bars from bitget-sim at 20 requests/s.")

    @Option(help: "Days of 1m history per symbol.") var days = 365
    @Option(help: "Requests per second (BitGet market data: 20).") var rate = 20.0

    func run() async throws {
        let symbols: [Symbol] = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "ADAUSDT", "DOGEUSDT", "LINKUSDT"]
        let executable = URL(fileURLWithPath: ChildProcess.currentExecutable).deletingLastPathComponent().appendingPathComponent("bitget-sim").path
        let simulator = ChildProcess(executable, ["--port", "0", "--generate", "5", "--days", String(days + 1), "--future-days", "1",
                                                  "--symbols", symbols.map(\.name).joined(separator: ",")])
        let (finished, output) = try await simulator.withRunning { child -> Bool in
            guard let line = await child.firstLine(where: { $0.contains("127.0.0.1:") }), let range = line.range(of: "127.0.0.1:"),
                  let port = Int(line[range.upperBound...].prefix { $0.isNumber })
            else { return false }
            try await download(symbols: symbols, port: port, simulatorProcess: child.processIdentifier)
            return true
        }
        if !finished { throw BenchError("bitget-sim did not start: \(output.combined.suffix(2_000))") }
    }

    func download(symbols: [Symbol], port: Int, simulatorProcess: Int32) async throws {
        let directory = NSTemporaryDirectory() + "trader-bench-download-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(path: directory + "/bench.sqlite")
        _ = try store.migrate(MigrationCatalog.embedded(backend: .sqlite))
        let limiter = RateLimiter(budgets: ["market": .init(requestsPerSecond: rate)])
        let client = BitGetRESTClient(baseURL: "http://127.0.0.1:\(port)", limiter: limiter)
        let stage = DownloadStage(client: client, store: AsyncStore(store))
        let since = Int64(Date().timeIntervalSince1970 * 1000) - Int64(days) * 86_400_000
        let started = Date()
        var usageStart = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usageStart)
        let results = try await withThrowingTaskGroup(of: DownloadedSeries.self) { group in
            for symbol in symbols {
                group.addTask { try await stage.download(symbol: symbol, timeframe: .oneMinute, since: since, until: nil) }
            }
            var all: [DownloadedSeries] = []
            for try await series in group { all.append(series) }
            return all
        }
        let seconds = Date().timeIntervalSince(started)
        var usageEnd = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usageEnd)
        let cpu = Double(usageEnd.ru_utime.tv_sec - usageStart.ru_utime.tv_sec) + Double(usageEnd.ru_utime.tv_usec - usageStart.ru_utime.tv_usec) / 1e6
        let bars = results.reduce(0) { $0 + $1.stored }, requests = results.reduce(0) { $0 + $1.requests }
        let peak = ChildRun.peakResidentMegabytes(pid: "\(simulatorProcess)").map { String(format: "%.0f MB", $0) } ?? "?"
        print(String(format: "download: %d 1m bars (%d symbols × %d days) in %.1f s, %d requests (%.1f/s at a %.0f/s limit), pipeline CPU %.1f s; target <= 180 s",
                     bars, symbols.count, days, seconds, requests, Double(requests) / seconds, rate, cpu))
        print("bitget-sim serving six symbol-years: peak memory \(peak) (target < 600 MB)")
    }
}

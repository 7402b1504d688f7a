import BitGet
import ChildProcesses
import DataStages
import Foundation
import MarketModel
import ScriptedAgents
import Storage

/// The process half of `bench trader`: the release `trader` (six symbols, six agents, SQLite, metrics on)
/// against `bitget-sim` on a generated market, after 46 days of history were downloaded into its store.
/// One session runs the market at `speed` × real time for `wallSeconds` and measures the trader's
/// resident memory and CPU; pushes come every `pushInterval` wall seconds (BitGet: about 0.5).
struct TraderProcessBenchmark {
    var configurationDirectory: String
    var speed: Double
    var wallSeconds: Double
    var pushInterval = 0.5
    /// Added to the trader's environment (e.g. `MALLOC_ARENA_MAX`).
    var environment: [String: String] = [:]

    struct Result {
        var downloadSeconds: Double
        var startSeconds: Double
        var startCPUSeconds: Double
        var startMegabytes: Double
        var bars: Int
        var wallSeconds: Double
        var cpuSeconds: Double
        var residentMegabytes: Double
        /// The private part of it (heap, stacks): the rest is shared, read-only code of the executable and libraries.
        var anonymousMegabytes: Double
        var peakMegabytes: Double
    }

    func run() async throws -> Result {
        let binaries = URL(fileURLWithPath: ChildProcess.currentExecutable).deletingLastPathComponent().path
        let workspace = NSTemporaryDirectory() + "trader-bench-process-\(getpid())-\(Int(speed))"
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        try prepareConfiguration(workspace)
        let symbols = TraderDecisionBenchmark.symbols
        let simulator = ChildProcess(binaries + "/bitget-sim", ["--port", "0", "--generate", "42", "--days", "47", "--future-days", "2",
                                                                 "--speed", "\(speed)", "--push-interval", "\(pushInterval)"])
        let (result, output) = try await simulator.withRunning { child -> Result? in
            guard let line = await child.firstLine(where: { $0.contains("127.0.0.1:") }), let range = line.range(of: "127.0.0.1:"),
                  let port = Int(line[range.upperBound...].prefix { $0.isNumber })
            else { return nil }
            let downloadStarted = ContinuousClock.now
            let store = try SQLiteStore(path: workspace + "/data/trader.sqlite")
            _ = try store.migrate(MigrationCatalog.embedded(backend: .sqlite))
            let client = BitGetRESTClient(baseURL: "http://127.0.0.1:\(port)", limiter: RateLimiter(budgets: ["market": .init(requestsPerSecond: 1_000)]))
            let stage = DownloadStage(client: client, store: AsyncStore(store))
            let serverTime = try await client.serverTime()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for symbol in symbols {
                    group.addTask { _ = try await stage.download(symbol: symbol, timeframe: .oneMinute, since: serverTime - 46 * 86_400_000, until: nil) }
                }
                try await group.waitForAll()
            }
            for symbol in symbols {
                try ScriptedAgent.write(symbol: symbol.name, version: "20261201T000000000Z-s1", agentsDirectory: workspace + "/agents")
            }
            var result = try await trade(workspace: workspace, binaries: binaries, port: port, store: store, symbols: symbols)
            result.downloadSeconds = Self.seconds(ContinuousClock.now - downloadStarted) - result.startSeconds - result.wallSeconds
            return result
        }
        guard let result else { throw BenchError("bitget-sim did not start: \(output.combined.suffix(2_000))") }
        return result
    }

    private func trade(workspace: String, binaries: String, port: Int, store: SQLiteStore, symbols: [Symbol]) async throws -> Result {
        func lastStored() throws -> [Symbol: Int64] {
            var last: [Symbol: Int64] = [:]
            for symbol in symbols { last[symbol] = try store.candleCoverage(symbol: symbol, timeframe: .oneMinute)?.lastOpenTime }
            return last
        }
        var variables = ["BITGET_BASE_URL": "http://127.0.0.1:\(port)", "BITGET_WS_URL": "ws://127.0.0.1:\(port)/v2/ws/public",
                         "DB_URL": "sqlite:" + workspace + "/data/trader.sqlite"]
        variables.merge(environment) { $1 }
        let trader = ChildProcess(binaries + "/trader", ["run", "--config", workspace + "/config"], environment: .inherit(variables),
                                  workingDirectory: workspace)
        let started = ContinuousClock.now
        let (measured, run) = try await trader.withRunning { child -> Result? in
            guard await child.firstLine(where: { $0.contains("monitoring on") }) != nil else { return nil }
            let pid = child.processIdentifier
            let startSeconds = Self.seconds(ContinuousClock.now - started)
            let startCPU = Self.cpuSeconds(pid), startMemory = Self.memory(pid, "VmRSS:")
            let before = try lastStored()
            let windowStarted = ContinuousClock.now
            try await Task.sleep(for: .seconds(wallSeconds))
            let cpu = Self.cpuSeconds(pid) - startCPU
            let wall = Self.seconds(ContinuousClock.now - windowStarted)
            let resident = Self.memory(pid, "VmRSS:"), peak = Self.memory(pid, "VmHWM:"), anonymous = Self.memory(pid, "RssAnon:")
            let after = try lastStored()
            let bars = symbols.reduce(0) { total, symbol in total + Int(((after[symbol] ?? 0) - (before[symbol] ?? 0)) / 60_000) }
            return Result(downloadSeconds: 0, startSeconds: startSeconds, startCPUSeconds: startCPU, startMegabytes: startMemory, bars: bars,
                          wallSeconds: wall, cpuSeconds: cpu, residentMegabytes: resident, anonymousMegabytes: anonymous,
                          peakMegabytes: peak)
        }
        guard let measured else { throw BenchError("trader did not start: \(run.combined.suffix(3_000))") }
        return measured
    }

    /// The repository's trading and system configuration, with the monitoring endpoint on a free port and
    /// every bar allowed to open a position (a catch-up after the history download included).
    private func prepareConfiguration(_ workspace: String) throws {
        let manager = FileManager.default
        for directory in ["config", "data", "agents"] { try manager.createDirectory(atPath: workspace + "/" + directory, withIntermediateDirectories: true) }
        for part in ["trading", "system"] {
            try manager.copyItem(atPath: configurationDirectory + "/" + part, toPath: workspace + "/config/" + part)
        }
        let runtime = workspace + "/config/trading/runtime.yaml"
        var text = try String(contentsOfFile: runtime, encoding: .utf8)
        for (old, new) in [("port: 9464", "port: 0"), ("catch_up_lag_seconds: 90", "catch_up_lag_seconds: 86400")] {
            guard text.contains(old) else { throw BenchError("\(runtime) has no `\(old)`") }
            text = text.replacingOccurrences(of: old, with: new)
        }
        try text.write(toFile: runtime, atomically: true, encoding: .utf8)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// User + system CPU of a process, seconds (`/proc/PID/stat`).
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14 and stime 15 (1-based over the whole line).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// A `/proc/PID/status` memory line (`VmRSS:`, `VmHWM:`), MB.
    static func memory(_ pid: Int32, _ key: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1_024
    }
}

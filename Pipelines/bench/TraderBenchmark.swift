import ArgumentParser
import Foundation

/// `bench trader`: the live trader's decision latency in process, then the `trader` process's memory and
/// CPU over a simulated day against `bitget-sim` (both release builds beside this executable).
struct TraderBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trader",
        abstract: "Decision latency (6 symbols), and the trader's memory and CPU per simulated day (anchor: freqtrade's 5 s loop, ~300 MB).")

    @Option(help: "The configuration directory (trading/ and system/).") var config = "config"
    @Option(help: "The shared datasets (real 1m bars).") var datasets = ProcessInfo.processInfo.environment["TRADER_DATASETS"] ?? "../shared/datasets"
    @Flag(help: "Only the in-process decision latency.") var latencyOnly = false
    @Option(help: "Wall seconds of the real-time session.") var liveSeconds = 180.0
    @Option(help: "MALLOC_ARENA_MAX for the trader (default: glibc's).") var arenas: Int?

    func run() async throws {
        let decisions = try TraderDecisionBenchmark(configurationDirectory: config, datasetsDirectory: datasets).run()
        func micro(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1_000 }
        let all = decisions.decisions, minutes = decisions.minutes
        print(String(format: "trader decision (bar → features → agent network → risk → command on the paper venue), release, one core; "
                     + "6 symbols × %d real 1m bars after %.1f s of warm-up, %d trades, %d valid rows",
                     TraderDecisionBenchmark.tradedMinutes, decisions.warmUpSeconds, decisions.trades, decisions.validRows))
        print(String(format: "  per decision: p50 %.1f µs  p90 %.1f µs  p99 %.1f µs  p99.9 %.1f µs  max %.1f µs  (target p99 < 200 µs; freqtrade decides on a 5 s loop)",
                     micro(percentile(all, 0.5)), micro(percentile(all, 0.9)), micro(percentile(all, 0.99)), micro(percentile(all, 0.999)),
                     micro(all.last ?? 0)))
        print(String(format: "  per minute, all 6 symbols: p50 %.1f µs  p99 %.1f µs  max %.1f µs",
                     micro(percentile(minutes, 0.5)), micro(percentile(minutes, 0.99)), micro(minutes.last ?? 0)))
        if latencyOnly { return }
        let environment = arenas.map { ["MALLOC_ARENA_MAX": "\($0)"] } ?? [:]
        // An hour of bars at 60× (a minute here), pushes every 0.5 s as BitGet sends them.
        let hour = try await TraderProcessBenchmark(configurationDirectory: config, speed: 60, wallSeconds: 60, environment: environment).run()
        print(String(format: "trader process, 6 symbols with 6 agents, SQLite, metrics on, against bitget-sim (46 days of history downloaded in %.0f s): "
                     + "started in %.1f s (%.1f s CPU: the history into the features), %.1f MB resident", hour.downloadSeconds, hour.startSeconds,
                     hour.startCPUSeconds, hour.startMegabytes))
        print(String(format: "  after an hour of simulated bars at 60× (%d bars in %.0f s): resident %.1f MB (%.1f MB private, the rest shared code of the "
                     + "executable and libraries), peak %.1f MB (target < 60 MB; freqtrade ~300 MB); CPU %.2f s", hour.bars, hour.wallSeconds,
                     hour.residentMegabytes, hour.anonymousMegabytes, hour.peakMegabytes, hour.cpuSeconds))
        // Real time: what a trading day costs (bars, WebSocket pushes, the per-second loops).
        let live = try await TraderProcessBenchmark(configurationDirectory: config, speed: 1, wallSeconds: liveSeconds, environment: environment).run()
        let perSecond = live.cpuSeconds / live.wallSeconds
        print(String(format: "  at real time (%.0f s, %d bars): %.2f ms CPU per second, so %.0f s CPU per trading day (%.2f%% of a core); resident %.1f MB",
                     live.wallSeconds, live.bars, perSecond * 1_000, perSecond * 86_400, perSecond * 100, live.residentMegabytes))
        let perBar = max(0, hour.cpuSeconds - perSecond * hour.wallSeconds) / Double(max(1, hour.bars))
        print(String(format: "  per bar beyond that (decision, journal transaction, bar stored, metrics; from the 60× hour): %.0f µs; "
                     + "a simulated day of six symbols' bars: %.1f s CPU", perBar * 1e6, perBar * 6 * 1_440))
    }
}

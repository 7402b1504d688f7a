import ArgumentParser
import Features
import Foundation
import Indicators
import MarketModel
import Storage
import TensorStore

/// A year of 1m bars from a seeded random walk, as the TA-Lib anchor generates them (log-returns
/// N(0, 0.001), open = previous close, high/low widened by |N(0, 0.0005)|).
enum SyntheticYear {
    static let minutes = 525_600

    static func bars(count: Int = minutes, seed: UInt64 = 42) -> [Bar] {
        var generator = SplitMix64(state: seed)
        func normal() -> Double {  // Box–Muller
            let u = max(generator.unit(), 1e-300), v = generator.unit()
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        var bars: [Bar] = []
        bars.reserveCapacity(count)
        var close = 30_000.0
        let start: Int64 = 1_704_067_200_000  // 2024-01-01 00:00 UTC
        for index in 0..<count {
            let open = close
            close = open * exp(normal() * 0.001)
            let high = max(open, close) * (1 + abs(normal()) * 5e-4)
            let low = min(open, close) * (1 - abs(normal()) * 5e-4)
            bars.append(Bar(openTime: start + Int64(index) * 60_000, open: open, high: high, low: low, close: close,
                            volume: exp(3 + normal())))
        }
        return bars
    }
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// `bench indicators`: the five TA-Lib indicators over a year of 1m bars.
struct IndicatorBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "indicators", abstract: "RSI, EMA, MACD, Bollinger and ATR over 525,600 bars (anchor: TA-Lib 6.5 ms).")

    @Option(help: "Repetitions; the median is reported.") var repetitions = 15

    func run() {
        let bars = SyntheticYear.bars()
        let close = bars.map(\.close), high = bars.map(\.high), low = bars.map(\.low)
        var timings: [String: [Double]] = [:]
        var checksum = 0.0
        func time(_ name: String, _ body: () -> Double) {
            let started = DispatchTime.now().uptimeNanoseconds
            checksum += body()
            timings[name, default: []].append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
        }
        for _ in 0..<repetitions {
            time("RSI(14)") { RelativeStrengthIndex.series(close, period: 14).last! }
            time("EMA(20)") { ExponentialMovingAverage.series(close, period: 20).last! }
            time("MACD(12,26,9)") { MovingAverageConvergenceDivergence.series(close).histogram.last! }
            time("BBANDS(20,2)") { BollingerBands.series(close).upper.last! }
            time("ATR(14)") { AverageTrueRange.series(high: high, low: low, close: close).last! }
        }
        var together: [Double] = []
        for _ in 0..<repetitions {
            let started = DispatchTime.now().uptimeNanoseconds
            checksum += StandardIndicators.series(high: high, low: low, close: close)[8].last!
            together.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
        }
        let anchors = ["RSI(14)": 1.43, "EMA(20)": 1.01, "MACD(12,26,9)": 1.17, "BBANDS(20,2)": 2.25, "ATR(14)": 0.61]
        let tunables = ProcessInfo.processInfo.environment["GLIBC_TUNABLES"] ?? ""
        let allocator = tunables.contains("mmap_threshold") ? "output arrays reused from the heap (steady state)"
            : "fresh page-faulting output arrays (set GLIBC_TUNABLES=glibc.malloc.mmap_threshold=268435456 for the steady state)"
        print("indicators over \(bars.count) 1m bars, release build, median of \(repetitions); \(allocator)")
        precondition(checksum.isFinite)
        var total = 0.0
        for name in ["RSI(14)", "EMA(20)", "MACD(12,26,9)", "BBANDS(20,2)", "ATR(14)"] {
            let value = median(timings[name]!)
            total += value
            print(String(format: "  %-14@ %6.2f ms   (TA-Lib %.2f ms, ratio %.2f)", name as NSString, value, anchors[name]!, value / anchors[name]!))
        }
        print(String(format: "  all five, one after another %6.2f ms   (TA-Lib 6.5 ms, ratio %.2f)", total, total / 6.5))
        let combined = median(together)
        print(String(format: "  all five, one pass          %6.2f ms   (TA-Lib 6.5 ms, ratio %.2f; target <= 1.5)", combined, combined / 6.5))
    }
}

/// `bench features`: the streaming feature update per 1m bar, and `align` for one symbol-year.
struct FeatureBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features", abstract: "Streaming feature update per 1m bar and `align` of one symbol-year.")

    func run() async throws {
        let bars = SyntheticYear.bars()
        var engine = FeatureEngine()
        var valid = 0
        let started = DispatchTime.now().uptimeNanoseconds
        for bar in bars where engine.update(bar: bar, funding: nil) { valid += 1 }
        let perBar = Double(DispatchTime.now().uptimeNanoseconds - started) / Double(bars.count) / 1_000
        print(String(format: "streaming feature update: %.2f µs per 1m bar (%d features, %d valid rows; target < 20 µs)",
                     perBar, FeatureSpec.standard.count, valid))

        let directory = NSTemporaryDirectory() + "trader-bench-align-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = directory + "/bench.sqlite"
        let store = try SQLiteStore(path: database)
        _ = try store.migrate(MigrationCatalog.embedded(backend: .sqlite))
        _ = try store.upsertCandles(bars, symbol: "BTCUSDT", timeframe: .oneMinute)
        let run = try await ChildRun.measure(["align-once", "--sqlite", database, "--directory", directory])
        print(String(format: "pipeline align, one symbol-year (%d 1m bars, all timeframes): %.2f s, peak memory %.0f MB "
                         + "(targets < 3 s, < 500 MB; pandas + TA-Lib in memory, no I/O: 0.26 s)",
                     bars.count, run.innerSeconds, run.peakMegabytes))
    }
}

/// `bench align-once`: one align stage run, timed from inside, for the parent to measure.
struct AlignOnce: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "align-once", shouldDisplay: false)
    @Option var sqlite: String
    @Option var directory: String

    func run() throws {
        let store = try SQLiteStore(path: sqlite)
        let stage = AlignStage(store: store, datasetsDirectory: directory + "/datasets", dataDirectory: directory + "/data",
                               heldOutFraction: 0.2, codeVersion: "bench")
        let started = Date()
        _ = try stage.run(symbol: "BTCUSDT", force: true)
        ChildRun.report(seconds: Date().timeIntervalSince(started))
    }
}

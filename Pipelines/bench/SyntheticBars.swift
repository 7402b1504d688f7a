import CSVArchive
import Foundation
import MarketModel

/// Valid 1m bars from a seeded random walk, written straight to a CSV file.
enum SyntheticBars {
    static func writeCSV(rows: Int, to path: String, seed: UInt64 = 42) throws {
        var generator = SplitMix64(state: seed)
        let writer = try AtomicFileWriter(destination: path)
        try writer.write(MarketDataFileKind.bars.header + "\n")
        var close = 60_000.0
        var time: Int64 = 1_600_000_000_000 / 60_000 * 60_000
        for _ in 0..<rows {
            let open = close
            close = max(1, (open * (1 + (generator.unit() - 0.5) * 0.002) * 10).rounded() / 10)
            let high = (max(open, close) + generator.unit() * 5 * 10).rounded() / 10
            let low = (min(open, close) - generator.unit() * 5 * 10).rounded() / 10
            let volume = (generator.unit() * 50_000).rounded() / 1_000
            try writer.write(BarCSVFormat.line(Bar(openTime: time, open: open, high: max(high, open, close),
                                                   low: max(0.1, min(low, open, close)), close: close, volume: volume)))
            time += 60_000
        }
        try writer.commit()
    }
}

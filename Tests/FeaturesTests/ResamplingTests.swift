import Foundation
import CSVArchive
import Features
import MarketModel
import TestSupport
import Testing

/// The exchange's own aggregations in `../shared/datasets` must be reproduced exactly by rolling up
/// shorter bars (OHLC exact, volume to 1e-9 relative).
@Suite(.removesTemporaryFiles) struct ResamplingTests {
    static func bars(_ file: String, _ timeframe: Timeframe) throws -> [Bar] {
        let (bars, rejects) = try BarFileReader(path: TestEnvironment.dataset("mit/" + file), timeframe: timeframe).readAll()
        #expect(rejects.isEmpty)
        return bars
    }

    /// Compares the complete resampled buckets inside the reference file's range with the reference bars.
    func expectReproduces(_ source: [Bar], from sourceTimeframe: Timeframe, _ reference: [Bar], to timeframe: Timeframe) {
        let resampled = Resampler.resample(source, from: sourceTimeframe, to: timeframe).filter(\.isComplete)
        let byTime = Dictionary(uniqueKeysWithValues: reference.map { ($0.openTime, $0) })
        let compared = resampled.compactMap { bucket in byTime[bucket.bar.openTime].map { (bucket.bar, $0) } }
        #expect(compared.count > 500, "too little overlap (\(compared.count) bars) to be a meaningful comparison")
        var mismatches = 0
        for (mine, theirs) in compared {
            let ohlc = mine.open == theirs.open && mine.high == theirs.high && mine.low == theirs.low && mine.close == theirs.close
            let volume = abs(mine.volume - theirs.volume) <= 1e-9 * max(abs(theirs.volume), 1e-300)
            if !(ohlc && volume) {
                mismatches += 1
                if mismatches <= 3 { Issue.record("\(timeframe) bar at \(mine.openTime): \(mine) vs exchange \(theirs)") }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(compared.count) \(timeframe) bars differ")
    }

    @Test(arguments: ["BTCUSDT", "ETHUSDT", "ADAUSDT", "SOLUSDT", "DOGEUSDT"])
    func oneMinuteRollsUpToTheExchangesFiveMinuteBars(symbol: String) throws {
        let minute = try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.datasetsDirectory + "/mit")
            .first { $0.hasPrefix("binance-usdm_\(symbol)_1m_") }!
        expectReproduces(try Self.bars(minute, .oneMinute), from: .oneMinute,
                         try Self.bars("binance-usdm_\(symbol)_5m_20250525-20250624.csv", .fiveMinutes), to: .fiveMinutes)
    }

    @Test(arguments: ["BTCUSDT", "ETHUSDT", "LINKUSDT"])
    func fiveMinuteRollsUpToFifteenMinuteAndHourlyBars(symbol: String) throws {
        let five = try Self.bars("binance-usdm_\(symbol)_5m_20250306-20250413.csv", .fiveMinutes)
        expectReproduces(five, from: .fiveMinutes, try Self.bars("binance-usdm_\(symbol)_15m_20250306-20250413.csv", .fifteenMinutes),
                         to: .fifteenMinutes)
        expectReproduces(five, from: .fiveMinutes, try Self.bars("binance-usdm_\(symbol)_1h_20250306-20250405.csv", .oneHour),
                         to: .oneHour)
    }

    @Test func hourlyRollsUpToDailyBars() throws {
        let hourly = try Self.bars("binance-usdm_BTCUSDT_1h_20250306-20250405.csv", .oneHour)
        let daily = try Self.bars("binance-usdm_BTCUSDT_1d_20250317-20250414.csv", .oneDay)
        let resampled = Resampler.resample(hourly, from: .oneHour, to: .oneDay).filter(\.isComplete)
        let matching = resampled.filter { bucket in daily.contains { $0.openTime == bucket.bar.openTime } }
        #expect(matching.count >= 18)
        for bucket in matching {
            let theirs = daily.first { $0.openTime == bucket.bar.openTime }!
            #expect(bucket.bar.open == theirs.open && bucket.bar.high == theirs.high && bucket.bar.low == theirs.low
                && bucket.bar.close == theirs.close)
        }
    }

    @Test func missingMinutesAreCountedNotFilled() {
        let start: Int64 = 1_746_370_800_000  // an hour boundary
        var bars = (0..<60).map { Bar(openTime: start + Int64($0) * 60_000, open: 10, high: 11, low: 9, close: 10, volume: 1) }
        bars.remove(at: 59)
        bars.remove(at: 30)
        var closed: [ResampledBar] = []
        var resampler = IncrementalResampler(to: .oneHour)
        for bar in bars { resampler.update(bar) { closed.append($0) } }
        #expect(closed.isEmpty, "without its last minute the hour is only known to be over when a later bar arrives")
        resampler.update(Bar(openTime: start + 3_600_000, open: 10, high: 10, low: 10, close: 10, volume: 1)) { closed.append($0) }
        #expect(closed.count == 1)
        #expect(closed.first?.parts == 58)
        #expect(closed.first?.isComplete == false)
        #expect(closed.first?.bar.volume == 58)
    }
}

import CSVArchive
import Features
import Foundation
import MarketModel
import TestSupport
import Testing

/// Rows of the whole real BTCUSDT file, built by the batch builder and by the streaming engine.
enum RealSeries {
    static let bars: [Bar] = {
        try! BarFileReader(path: TestEnvironment.dataset("mit/binance-usdm_BTCUSDT_1m_20250504-20250624.csv"),
                           timeframe: .oneMinute).readAll().bars
    }()
    static let funding: [FundingRate] = {
        try! FundingFileReader(path: TestEnvironment.dataset("mit/binance-usdm_BTCUSDT_funding-rate_20250306-20250624.csv"))
            .readAll().rates
    }()

    static func batchRows(bars: [Bar] = bars, funding: [FundingRate] = funding) -> (rows: [[Double]], valid: [Bool]) {
        var rows: [[Double]] = [], valid: [Bool] = []
        rows.reserveCapacity(bars.count)
        FeatureMatrixBuilder.build(bars: bars, funding: funding) { _, values, isValid in
            rows.append(values)
            valid.append(isValid)
        }
        return (rows, valid)
    }
}

@Suite(.removesTemporaryFiles) struct FeatureParityTests {
    @Test func streamingEqualsBatchOnARealFile() {
        let batch = RealSeries.batchRows()
        var engine = FeatureEngine()
        var fundingCursor = 0
        var worst = 0.0
        var validityDifferences = 0
        for (index, bar) in RealSeries.bars.enumerated() {
            let closeTime = bar.openTime + 60_000
            while fundingCursor < RealSeries.funding.count && RealSeries.funding[fundingCursor].time <= closeTime { fundingCursor += 1 }
            let valid = engine.update(bar: bar, funding: fundingCursor > 0 ? RealSeries.funding[fundingCursor - 1] : nil)
            if valid != batch.valid[index] { validityDifferences += 1 }
            for (streamed, batched) in zip(engine.row, batch.rows[index]) {
                worst = max(worst, abs(streamed - batched) / max(abs(batched), 1e-300))
            }
        }
        #expect(worst <= 1e-12, "largest relative difference \(worst)")
        #expect(validityDifferences == 0)
        #expect(batch.valid.contains(true), "the series is long enough for valid rows")
    }

    @Test func noFeatureAtOrBeforeTDependsOnAnythingAfterT() {
        let original = RealSeries.batchRows()
        var generator = SystemRandomNumberGenerator()
        // Cut points on and off higher-timeframe boundaries, including the minute that closes an hour and a day.
        let dayEnd = RealSeries.bars.firstIndex { ($0.openTime + 60_000) % 86_400_000 == 0 }!
        let cuts = [dayEnd, dayEnd + 1, dayEnd + 59 + 1_440 * 3, RealSeries.bars.count / 2] + (0..<3).map { _ in
            Int.random(in: 40_000..<(RealSeries.bars.count - 10), using: &generator)
        }
        for cut in cuts {
            let cutTime = RealSeries.bars[cut].openTime + 60_000
            // Change every bar after the cut (any timeframe built from them) and every later funding rate.
            var bars = RealSeries.bars
            for index in (cut + 1)..<bars.count {
                let factor = Double.random(in: 0.5...2, using: &generator)
                bars[index].open *= factor
                bars[index].high *= factor * 1.01
                bars[index].low *= factor * 0.99
                bars[index].close *= factor
                bars[index].volume *= 3
            }
            let funding = RealSeries.funding.map { $0.time > cutTime ? FundingRate(time: $0.time, rate: -0.01) : $0 }
            let perturbed = RealSeries.batchRows(bars: bars, funding: funding)
            let firstChanged = (0...cut).first { perturbed.rows[$0] != original.rows[$0] || perturbed.valid[$0] != original.valid[$0] }
            #expect(firstChanged == nil, "row \(firstChanged ?? -1) (at or before the cut \(cut)) changed when only the future did")
            #expect(perturbed.rows[cut + 1] != original.rows[cut + 1], "the perturbation must be visible after the cut")
        }
    }

    @Test func anUnfinishedHourIsNeverVisible() {
        // Hourly features change only on the row of the minute that closes an hour.
        let rows = RealSeries.batchRows().rows
        let column = FeatureSpec.standard.index(of: "rsi_1h")!
        for index in 1..<RealSeries.bars.count where rows[index][column] != rows[index - 1][column] {
            let closeTime = RealSeries.bars[index].openTime + 60_000
            #expect(closeTime % 3_600_000 == 0, "1h features changed at \(UTCTime.format(closeTime)), inside an hour")
        }
    }
}

@Suite(.removesTemporaryFiles) struct FeatureSpecTests {
    @Test func theStandardSpecIsStableAndNamed() {
        let spec = FeatureSpec.standard
        #expect(spec.count == 51)
        #expect(spec.names.count == 51)
        #expect(spec.names.contains("ready_1d"))
        #expect(spec.names.prefix(3) == ["log_return_1m", "ema_distance_1m", "rsi_1m"])
        #expect(spec.names.suffix(4) == ["time_of_day_sin", "time_of_day_cos", "funding_rate", "funding_known"])
        #expect(spec.hash.count == 64)
        #expect(spec.hash == FeatureSpec().hash, "the hash is a pure function of the spec")
        // Pinned: a change here means every tensor and agent must be rebuilt; bump on purpose.
        #expect(spec.hash == "2b053f7dacc6514e096f80125ad93075d20864bb730aaf206f23de0158432de6")
    }

    @Test func anyParameterChangesTheHash() {
        var parameters = FeatureSpec.Parameters()
        parameters.rsiPeriod = 21
        #expect(FeatureSpec(parameters: parameters).hash != FeatureSpec.standard.hash)
        #expect(FeatureSpec(timeframes: [.oneMinute, .fiveMinutes, .fifteenMinutes], trendTimeframes: [.fifteenMinutes]).hash
            != FeatureSpec.standard.hash)
        #expect(FeatureSpec(version: 2).hash != FeatureSpec.standard.hash)
    }
}

@Suite(.removesTemporaryFiles) struct GapTests {
    @Test func gapsAreReportedAndMaskedNeverFilled() {
        var bars = Array(RealSeries.bars.prefix(60_000))
        bars.removeSubrange(50_000..<50_007)  // 7 minutes missing
        bars.removeSubrange(55_000..<55_001)  // 1 minute missing
        let report = GapReport(bars: bars)
        #expect(report.gaps.count == 2)
        #expect(report.missingBars == 8)
        #expect(report.longest?.missingBars == 7)
        #expect(report.longest?.after == bars[49_999].openTime)
        let rows = RealSeries.batchRows(bars: bars)
        #expect(rows.rows.count == bars.count, "no rows are invented for missing minutes")
        #expect(rows.valid[49_999])
        #expect(!rows.valid[50_000], "the first row after a gap is invalid")
        #expect(!rows.valid[50_059])
        #expect(rows.valid[50_060], "valid again after gapRecoveryBars rows")
        #expect(rows.rows.allSatisfy { $0.allSatisfy(\.isFinite) }, "no NaN or infinity ever")
    }

    @Test func theWarmUpIsInvalid() {
        let rows = RealSeries.batchRows(bars: Array(RealSeries.bars.prefix(3_000)))
        #expect(!rows.valid.contains(true), "two days are not enough for the 4h MACD")
        let longer = RealSeries.batchRows(bars: Array(RealSeries.bars.prefix(12_000)))
        let readyColumn = FeatureSpec.standard.index(of: "ready_1d")!
        #expect(longer.valid.contains(true), "about a week is enough when the daily features may still warm up")
        #expect(longer.rows.allSatisfy { $0[readyColumn] == 0 }, "the daily features are not ready after 8 days")
    }
}

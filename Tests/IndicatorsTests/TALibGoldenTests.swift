import Foundation
import Indicators
import TestSupport
import Testing

/// Every value against TA-Lib 0.8.1's output (`../shared/golden/talib_golden.csv`) within
/// `1e-9 + 1e-12·|golden|`, with the same first valid index.
@Suite(.removesTemporaryFiles) struct TALibGoldenTests {
    let golden: NumericTable
    init() throws { golden = try NumericTable(path: NumericTable.goldenDirectory + "/talib_golden.csv") }

    var close: [Double] { golden.column("close") }

    func check(_ actual: [Double], _ column: String, lookback: Int) {
        let expected = golden.column(column)
        #expect(expected.firstIndex { !$0.isNaN } == lookback, "golden lookback of \(column)")
        #expect(actual.firstIndex { !$0.isNaN } == lookback, "\(column): first valid index")
        let mismatch = firstMismatch(actual, expected)
        #expect(mismatch == nil, "\(column) differs at row \(mismatch ?? -1): \(mismatch.map { "\(actual[$0]) vs \(expected[$0])" } ?? "")")
    }

    @Test func exponentialMovingAverage() {
        check(ExponentialMovingAverage.series(close, period: 20), "ema_20", lookback: 19)
    }

    @Test func relativeStrengthIndex() {
        check(RelativeStrengthIndex.series(close, period: 14), "rsi_14", lookback: 14)
    }

    @Test func movingAverageConvergenceDivergence() {
        let macd = MovingAverageConvergenceDivergence.series(close, fast: 12, slow: 26, signal: 9)
        check(macd.macd, "macd_12_26_9", lookback: 33)
        check(macd.signal, "macdsignal_12_26_9", lookback: 33)
        check(macd.histogram, "macdhist_12_26_9", lookback: 33)
    }

    @Test func bollingerBands() {
        let bands = BollingerBands.series(close, period: 20, deviations: 2)
        check(bands.upper, "bb_upper_20_2_2", lookback: 19)
        check(bands.middle, "bb_middle_20_2_2", lookback: 19)
        check(bands.lower, "bb_lower_20_2_2", lookback: 19)
    }

    @Test func averageTrueRange() {
        check(AverageTrueRange.series(high: golden.column("high"), low: golden.column("low"), close: close, period: 14),
              "atr_14", lookback: 14)
    }

    @Test func simpleMovingAverageIsTheMiddleBand() {
        check(SimpleMovingAverage.series(close, period: 20), "bb_middle_20_2_2", lookback: 19)
    }
}

@Suite(.removesTemporaryFiles) struct IndicatorEdgeCaseTests {
    @Test func aFlatWindowGivesRSIZeroAndNoBandWidth() {
        let flat = Array(repeating: 100.0, count: 40)
        #expect(RelativeStrengthIndex.series(flat, period: 14)[20] == 0)
        let bands = BollingerBands.series(flat, period: 20)
        #expect(bands.upper[30] == 100 && bands.lower[30] == 100)
    }

    @Test func tinyChangesOfSubCentCoinsStillMoveRSI() {
        // TA-Lib 0.8.1 applies no epsilon: 1e-9 moves on a 0.0001 coin give a normal RSI.
        let closes = (0..<30).map { 0.0001 + Double($0 % 3) * 1e-9 }
        let rsi = RelativeStrengthIndex.series(closes, period: 14)
        #expect(rsi[20] > 0 && rsi[20] < 100)
    }

    @Test func incrementalUpdatesEqualTheSeries() {
        let closes = (0..<200).map { (index: Int) -> Double in
            let step = Double(index)
            return 100 + sin(step / 7) * 3 + step * 0.01
        }
        var macd = MovingAverageConvergenceDivergence()
        let series = MovingAverageConvergenceDivergence.series(closes)
        for (index, close) in closes.enumerated() {
            let output = macd.update(close)
            #expect((output?.histogram ?? .nan).isNaN == series.histogram[index].isNaN)
            if let output { #expect(output.histogram == series.histogram[index]) }
        }
        #expect(macd.isReady)
    }
}

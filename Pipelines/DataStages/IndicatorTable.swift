import CSVArchive
import Indicators
import MarketModel

/// The standard indicator columns over a bars file, for people to inspect and cross-check with other
/// tools: RSI(14), EMA(20), MACD(12,26,9), Bollinger(20,2) and ATR(14), TA-Lib's conventions, empty
/// before each indicator's lookback.
public enum IndicatorTable {
    public static let columns = [
        "rsi_14", "ema_20", "macd_12_26_9", "macdsignal_12_26_9", "macdhist_12_26_9",
        "bb_upper_20_2", "bb_middle_20_2", "bb_lower_20_2", "atr_14",
    ]

    /// Reads `input`; when every row is valid, writes `output` atomically and returns the row count.
    /// Otherwise returns the rejected rows and writes nothing.
    public static func write(input: String, timeframe: Timeframe, output: String) throws -> Result<Int, RejectedRows> {
        let (bars, rejects) = try BarFileReader(path: input, timeframe: timeframe).readAll()
        guard rejects.isEmpty else { return .failure(RejectedRows(rows: rejects)) }
        let closes = bars.map(\.close)
        let rsi = RelativeStrengthIndex.series(closes, period: 14)
        let ema = ExponentialMovingAverage.series(closes, period: 20)
        let macd = MovingAverageConvergenceDivergence.series(closes, fast: 12, slow: 26, signal: 9)
        let bands = BollingerBands.series(closes, period: 20, deviations: 2)
        let atr = AverageTrueRange.series(high: bars.map(\.high), low: bars.map(\.low), close: closes, period: 14)
        let writer = try AtomicFileWriter(destination: output)
        try writer.write(([MarketDataFileKind.bars.header] + columns).joined(separator: ",") + "\n")
        for (index, bar) in bars.enumerated() {
            var line = BarCSVFormat.line(bar)
            line.removeLast()
            for value in [rsi[index], ema[index], macd.macd[index], macd.signal[index], macd.histogram[index],
                          bands.upper[index], bands.middle[index], bands.lower[index], atr[index]] {
                line += value.isNaN ? "," : ",\(value)"
            }
            try writer.write(line + "\n")
        }
        try writer.commit()
        return .success(bars.count)
    }

    public struct RejectedRows: Error, Sendable {
        public var rows: [RejectedRow]
    }
}

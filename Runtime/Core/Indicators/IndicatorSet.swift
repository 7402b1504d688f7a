/// The five standard indicators updated together, bar by bar: RSI(14), EMA(20), MACD(12,26,9),
/// Bollinger(20,2) and ATR(14). One pass over the bars lets the processor overlap their independent
/// dependency chains, so the five cost little more than the slowest one.
public struct StandardIndicators: Sendable {
    public struct Output: Sendable {
        public var rsi: Double?
        public var ema: Double?
        public var macd: MovingAverageConvergenceDivergence.Output?
        public var bands: BollingerBands.Output?
        public var atr: Double?
    }

    private var rsi = RelativeStrengthIndex(period: 14)
    private var ema = ExponentialMovingAverage(period: 20)
    private var macd = MovingAverageConvergenceDivergence(fast: 12, slow: 26, signal: 9)
    private var bands = BollingerBands(period: 20, deviations: 2)
    private var atr = AverageTrueRange(period: 14)

    public init() {}

    public var isReady: Bool { rsi.isReady && ema.isReady && macd.isReady && bands.isReady && atr.isReady }

    @inline(__always)
    public mutating func update(high: Double, low: Double, close: Double) -> Output {
        Output(rsi: rsi.update(close), ema: ema.update(close), macd: macd.update(close), bands: bands.update(close),
               atr: atr.update(high: high, low: low, close: close))
    }

    /// Column names of `series`, in order.
    public static let columns = [
        "rsi_14", "ema_20", "macd_12_26_9", "macdsignal_12_26_9", "macdhist_12_26_9",
        "bb_upper_20_2", "bb_middle_20_2", "bb_lower_20_2", "atr_14",
    ]

    /// All nine output columns over whole series (NaN before each lookback), in `columns` order.
    public static func series(high: [Double], low: [Double], close: [Double]) -> [[Double]] {
        precondition(high.count == close.count && low.count == close.count, "indicators need equally long series")
        var indicators = StandardIndicators()
        let count = close.count
        var columns: [[Double]] = []
        columns.reserveCapacity(9)
        let (rsi, ema, atr) = makeSeries3(count: count) { rsi, ema, atr in
            let (macd, signal, histogram) = makeSeries3(count: count) { macd, signal, histogram in
                let (upper, middle, lower) = makeSeries3(count: count) { upper, middle, lower in
                    high.withUnsafeBufferPointer { high in
                        low.withUnsafeBufferPointer { low in
                            close.withUnsafeBufferPointer { close in
                                for index in 0..<count {
                                    let output = indicators.update(high: high[index], low: low[index], close: close[index])
                                    rsi[index] = output.rsi ?? .nan
                                    ema[index] = output.ema ?? .nan
                                    macd[index] = output.macd?.macd ?? .nan
                                    signal[index] = output.macd?.signal ?? .nan
                                    histogram[index] = output.macd?.histogram ?? .nan
                                    upper[index] = output.bands?.upper ?? .nan
                                    middle[index] = output.bands?.middle ?? .nan
                                    lower[index] = output.bands?.lower ?? .nan
                                    atr[index] = output.atr ?? .nan
                                }
                            }
                        }
                    }
                }
                columns.append(contentsOf: [upper, middle, lower])
            }
            columns.insert(contentsOf: [macd, signal, histogram], at: 0)
        }
        return [rsi, ema] + columns + [atr]
    }
}

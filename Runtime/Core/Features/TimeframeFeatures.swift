import Foundation
import Indicators
import MarketModel

/// The indicator features of one timeframe, updated with each closed bar of that timeframe. Both the
/// streaming engine and the batch builder use this one type, so the formulas exist once.
public struct TimeframeFeatures: Sendable {
    /// Values in `FeatureSpec.timeframeFeatures` order, then the trend flag (−1, 0, +1).
    public private(set) var values: [Double]
    /// Whether every value is defined (all indicators past their lookback).
    public private(set) var isReady = false

    private var ema: ExponentialMovingAverage
    private var trendEMA: ExponentialMovingAverage
    private var rsi: RelativeStrengthIndex
    private var macd: MovingAverageConvergenceDivergence
    private var bollinger: BollingerBands
    private var atr: AverageTrueRange
    private var previousClose: Double?
    private var previousTrendEMA: Double?

    public static let valueCount = FeatureSpec.timeframeFeatures.count + 1

    public init(parameters: FeatureSpec.Parameters) {
        values = Array(repeating: 0, count: Self.valueCount)
        ema = ExponentialMovingAverage(period: parameters.emaPeriod)
        trendEMA = ExponentialMovingAverage(period: parameters.trendEMAPeriod)
        rsi = RelativeStrengthIndex(period: parameters.rsiPeriod)
        macd = MovingAverageConvergenceDivergence(fast: parameters.macdFast, slow: parameters.macdSlow,
                                                  signal: parameters.macdSignal)
        bollinger = BollingerBands(period: parameters.bollingerPeriod, deviations: parameters.bollingerDeviations)
        atr = AverageTrueRange(period: parameters.atrPeriod)
    }

    /// Updates every indicator with a closed bar and recomputes the values.
    @inline(__always)
    public mutating func update(_ bar: Bar) {
        let close = bar.close
        let average = ema.update(close)
        let strength = rsi.update(close)
        let convergence = macd.update(close)
        let bands = bollinger.update(close)
        let range = atr.update(high: bar.high, low: bar.low, close: close)
        let trendAverage = trendEMA.update(close)
        let logReturn = previousClose.map { Foundation.log(close / $0) * 100 }
        var trend = 0.0
        if let trendAverage, let previous = previousTrendEMA {
            trend = trendAverage > previous ? 1 : trendAverage < previous ? -1 : 0
        }
        isReady = logReturn != nil && average != nil && strength != nil && convergence != nil && bands != nil
            && range != nil && previousTrendEMA != nil
        previousClose = close
        previousTrendEMA = trendAverage
        guard isReady, let logReturn, let average, let strength, let convergence, let bands, let range else { return }
        let width = bands.upper - bands.lower
        values[0] = logReturn
        values[1] = (close / average - 1) * 100
        values[2] = (strength - 50) / 50
        values[3] = convergence.histogram / close * 100
        values[4] = width > 0 ? (close - bands.lower) / width - 0.5 : 0
        values[5] = bands.middle > 0 ? width / bands.middle * 100 : 0
        values[6] = range / close * 100
        values[7] = trend
    }
}

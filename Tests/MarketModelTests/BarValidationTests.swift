import MarketModel
import Testing

@Suite struct TimeframeTests {
    @Test(arguments: [
        (Timeframe.oneMinute, Int64(60_000)), (.fiveMinutes, 300_000), (.fifteenMinutes, 900_000),
        (.oneHour, 3_600_000), (.fourHours, 14_400_000), (.oneDay, 86_400_000),
    ])
    func durations(timeframe: Timeframe, milliseconds: Int64) {
        #expect(timeframe.milliseconds == milliseconds)
        #expect(timeframe.isOnGrid(milliseconds * 12_345))
        #expect(!timeframe.isOnGrid(milliseconds * 12_345 + 1_000))
    }

    @Test func barOpenTimeFloorsToUTCBoundaries() {
        // 2025-05-04 15:33:00 UTC lies in the 15:00 hour, the 12:00 4h bar and the 2025-05-04 day.
        let time: Int64 = 1_746_372_780_000
        #expect(Timeframe.oneHour.barOpenTime(containing: time) == 1_746_370_800_000)
        #expect(Timeframe.fourHours.barOpenTime(containing: time) == 1_746_360_000_000)
        #expect(Timeframe.oneDay.barOpenTime(containing: time) == 1_746_316_800_000)
        #expect(Timeframe.oneMinute.barOpenTime(containing: -1) == -60_000)
    }

    @Test func parsesExchangeSpellings() {
        #expect(Timeframe(parsing: "1H") == .oneHour)
        #expect(Timeframe(parsing: "1Dutc") == .oneDay)
        #expect(Timeframe(parsing: "2m") == nil)
    }
}

@Suite struct BarValidationTests {
    let good = Bar(openTime: 1_746_372_780_000, open: 100, high: 101, low: 99, close: 100.5, volume: 3)

    @Test func acceptsAConsistentBar() {
        #expect(good.problem(timeframe: .oneMinute) == nil)
    }

    @Test func rejectsEachKindOfInconsistency() {
        var bar = good
        bar.high = 100.2
        #expect(bar.problem(timeframe: .oneMinute) == .highBelowOpenOrClose(high: 100.2, open: 100, close: 100.5))
        bar = good
        bar.low = 100.1
        #expect(bar.problem(timeframe: .oneMinute) == .lowAboveOpenOrClose(low: 100.1, open: 100, close: 100.5))
        bar = good
        bar.open = 0
        bar.low = 0
        #expect(bar.problem(timeframe: .oneMinute) == .nonPositivePrice(field: "open", value: 0))
        bar = good
        bar.volume = -1
        #expect(bar.problem(timeframe: .oneMinute) == .negativeVolume(-1))
        bar = good
        bar.close = .nan
        #expect(bar.problem(timeframe: .oneMinute) == .notFinite(field: "close"))
        bar = good
        bar.openTime += 1
        #expect(bar.problem(timeframe: .oneMinute) == .notOnGrid(openTime: good.openTime + 1, timeframe: .oneMinute))
        #expect(good.problem(timeframe: .oneHour) == .notOnGrid(openTime: good.openTime, timeframe: .oneHour))
    }

    @Test func sequenceMustIncreaseAndABadRowDoesNotPoisonTheNext() {
        var validator = BarSequenceValidator(timeframe: .oneMinute)
        #expect(validator.accept(good) == nil)
        #expect(validator.accept(good) == .notIncreasing(openTime: good.openTime, previous: good.openTime))
        var bad = good
        bad.openTime += 120_000
        bad.high = 0.5
        #expect(validator.accept(bad) != nil)
        var next = good
        next.openTime += 60_000
        #expect(validator.accept(next) == nil, "a rejected row must not advance the sequence")
        #expect(validator.lastOpenTime == next.openTime)
    }
}

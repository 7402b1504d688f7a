import Foundation

/// A plotting area: pixels `left…right` × `top…bottom` showing `times` (UTC ms) across and `values` up.
struct ChartPanel {
    var left: Double, top: Double, right: Double, bottom: Double
    var times: ClosedRange<Int64>
    var values: ClosedRange<Double>

    func x(_ time: Int64) -> Double {
        let span = Double(times.upperBound - times.lowerBound)
        guard span > 0 else { return (left + right) / 2 }
        return left + Double(time - times.lowerBound) / span * (right - left)
    }

    func y(_ value: Double) -> Double {
        let span = values.upperBound - values.lowerBound
        guard span > 0 else { return (top + bottom) / 2 }
        return bottom - (value - values.lowerBound) / span * (bottom - top)
    }

    func point(_ point: ChartPoint) -> (x: Double, y: Double) { (x(point.time), y(point.value)) }

    /// The frame, horizontal grid lines at round values labelled on the left (in `unit`), and vertical
    /// ones at round times labelled below when `showTimes`.
    func grid(_ canvas: ChartCanvas, unit: String, showTimes: Bool) {
        let count = max(1, min(5, Int((bottom - top) / 30)))  // labels at least about 30 px apart
        for value in Self.ticks(values, count: count) {
            let level = y(value)
            canvas.stroke([(left, level), (right, level)], color: .grid, width: 1)
            canvas.text(Self.label(value, step: Self.step(values, count: count)), x: left - 6, y: level + 4, size: 11, alignment: .right)
        }
        canvas.text(unit, x: left - 6, y: top - 6, size: 10, alignment: .right)
        let (step, format) = Self.timeStep(times)
        if step > 0 {
            var time = (times.lowerBound / step + 1) * step
            while time < times.upperBound {
                canvas.stroke([(x(time), top), (x(time), bottom)], color: .grid, width: 1)
                if showTimes { canvas.text(Self.utc(time, format: format), x: x(time), y: bottom + 16, size: 11, alignment: .center) }
                time += step
            }
        }
        canvas.stroke([(left, top), (right, top), (right, bottom), (left, bottom), (left, top)], color: ChartColor(red: 0.6, green: 0.62, blue: 0.66), width: 1)
        if showTimes { canvas.text("UTC", x: right, y: bottom + 30, size: 10, alignment: .right) }
    }

    /// A round step (1, 2 or 5 × a power of ten) giving about `count` intervals over `range`.
    static func step(_ range: ClosedRange<Double>, count: Int) -> Double {
        let raw = (range.upperBound - range.lowerBound) / Double(count)
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        return (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10) * magnitude
    }

    static func ticks(_ range: ClosedRange<Double>, count: Int) -> [Double] {
        let step = step(range, count: count)
        var value = ceil(range.lowerBound / step) * step
        var ticks: [Double] = []
        while value <= range.upperBound, ticks.count < 20 {
            ticks.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return ticks
    }

    /// `value` with as many decimals as the step needs.
    static func label(_ value: Double, step: Double) -> String {
        let decimals = max(0, min(8, Int(-floor(log10(step)))))
        return String(format: "%.\(decimals)f", value)
    }

    /// A round time step (UTC ms) giving a few labels over `times`, and how to print them.
    static func timeStep(_ times: ClosedRange<Int64>) -> (Int64, String) {
        let span = times.upperBound - times.lowerBound
        let minute: Int64 = 60_000, hour = 60 * minute, day = 24 * hour
        for (step, format) in [(15 * minute, "HH:mm"), (hour, "HH:mm"), (3 * hour, "HH:mm"), (6 * hour, "MM-dd HH:mm"), (day, "MM-dd"),
                               (7 * day, "MM-dd"), (30 * day, "yyyy-MM")] where span / step <= 8 {
            return (step, format)
        }
        return (90 * day, "yyyy-MM")
    }

    static func utc(_ time: Int64, format: String) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = format
        return formatter.string(from: Date(timeIntervalSince1970: Double(time) / 1000))
    }
}

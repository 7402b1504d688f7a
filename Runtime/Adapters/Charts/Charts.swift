import Foundation

/// A value at a time (UTC ms).
public struct ChartPoint: Sendable, Equatable {
    public var time: Int64
    public var value: Double
    public init(time: Int64, value: Double) {
        self.time = time
        self.value = value
    }
}

/// A closed trade to mark on a price chart: entry and exit (UTC ms, prices in USDT) and its net PnL.
public struct ChartTrade: Sendable, Equatable {
    public enum Side: String, Sendable { case long, short }
    public var side: Side
    public var entryTime: Int64
    public var entryPrice: Double
    public var exitTime: Int64
    public var exitPrice: Double
    public var netPnL: Double

    public init(side: Side, entryTime: Int64, entryPrice: Double, exitTime: Int64, exitPrice: Double, netPnL: Double) {
        self.side = side
        self.entryTime = entryTime
        self.entryPrice = entryPrice
        self.exitTime = exitTime
        self.exitPrice = exitPrice
        self.netPnL = netPnL
    }
}

/// PNG charts for the operator (Telegram's `/chart`, the daily summary), drawn by cairo.
public enum Charts {
    /// Equity (top panel, USDT) and its drawdown from the running peak (bottom panel, %, a red area),
    /// over time. Non-finite points are skipped; a single point or a flat series still draws.
    public static func equityPNG(title: String, equity: [ChartPoint], width: Int = 1000, height: Int = 600) throws(ChartError) -> [UInt8] {
        try equityCanvas(title: title, equity: equity, width: width, height: height).png()
    }

    /// The equity chart drawn but not yet encoded (tests read its pixels).
    static func equityCanvas(title: String, equity: [ChartPoint], width: Int, height: Int) throws(ChartError) -> ChartCanvas {
        let points = equity.filter { $0.value.isFinite }.sorted { $0.time < $1.time }
        guard !points.isEmpty else { throw ChartError("no equity points to draw") }
        let canvas = try ChartCanvas(width: width, height: height)
        var peak = -Double.infinity
        let drawdown = points.map { point -> ChartPoint in
            peak = max(peak, point.value)
            return ChartPoint(time: point.time, value: peak > 0 ? -(peak - point.value) / peak * 100 : 0)
        }
        let times = points[0].time...points[points.count - 1].time
        let split = Double(height) * 0.68
        let top = ChartPanel(left: 80, top: 44, right: Double(width) - 20, bottom: split - 18, times: times, values: range(points.map(\.value)))
        let worst = drawdown.map(\.value).min() ?? 0
        let bottom = ChartPanel(left: 80, top: split + 8, right: Double(width) - 20, bottom: Double(height) - 36, times: times,
                                values: worst < 0 ? range(drawdown.map(\.value) + [0]) : -1...0.05)  // never above 0: no drawdown shows 0 to -1%
        top.grid(canvas, unit: "USDT", showTimes: false)
        bottom.grid(canvas, unit: "%", showTimes: true)
        canvas.stroke(points.map { top.point($0) }, color: .line, width: 2)
        let area = [(x: bottom.x(times.lowerBound), y: bottom.y(0))] + drawdown.map { bottom.point($0) } + [(x: bottom.x(times.upperBound), y: bottom.y(0))]
        canvas.fill(area, color: ChartColor(red: 0.82, green: 0.19, blue: 0.17, alpha: 0.35))
        canvas.stroke(drawdown.map { bottom.point($0) }, color: .loss, width: 1.2)
        heading(canvas, title: title, summary: String(format: "equity %.2f USDT", points[points.count - 1].value), right: top.right)
        canvas.text(String(format: "drawdown from the peak (max %.2f%%)", -worst), x: bottom.right - 6, y: bottom.bottom - 8, size: 11, color: .loss,
                    alignment: .right)
        return canvas
    }

    /// A price line (USDT) with each trade marked: an up triangle (long) or down triangle (short) at the
    /// entry, a circle at the exit, joined by a line green for a win and red for a loss.
    public static func pricePNG(title: String, prices: [ChartPoint], trades: [ChartTrade], width: Int = 1000, height: Int = 600) throws(ChartError) -> [UInt8] {
        try priceCanvas(title: title, prices: prices, trades: trades, width: width, height: height).png()
    }

    /// The price chart drawn but not yet encoded (tests read its pixels).
    static func priceCanvas(title: String, prices: [ChartPoint], trades: [ChartTrade], width: Int, height: Int) throws(ChartError) -> ChartCanvas {
        let points = prices.filter { $0.value.isFinite }.sorted { $0.time < $1.time }
        guard !points.isEmpty else { throw ChartError("no prices to draw") }
        let canvas = try ChartCanvas(width: width, height: height)
        let times = points[0].time...points[points.count - 1].time
        let shown = trades.filter {
            $0.entryPrice.isFinite && $0.exitPrice.isFinite && $0.netPnL.isFinite && times.contains($0.entryTime) && times.contains($0.exitTime)
        }
        let panel = ChartPanel(left: 80, top: 44, right: Double(width) - 20, bottom: Double(height) - 36, times: times,
                               values: range(points.map(\.value) + shown.flatMap { [$0.entryPrice, $0.exitPrice] }))
        panel.grid(canvas, unit: "USDT", showTimes: true)
        canvas.stroke(points.map { panel.point($0) }, color: ChartColor(red: 0.35, green: 0.37, blue: 0.42), width: 1.2)
        for trade in shown {
            let entry = panel.point(ChartPoint(time: trade.entryTime, value: trade.entryPrice))
            let exit = panel.point(ChartPoint(time: trade.exitTime, value: trade.exitPrice))
            let outcome: ChartColor = trade.netPnL >= 0 ? .gain : .loss
            canvas.stroke([entry, exit], color: outcome, width: 1.5, dashed: true)
            let side: ChartColor = trade.side == .long ? .gain : .loss
            let tip = trade.side == .long ? -7.0 : 7.0
            canvas.fill([(entry.x, entry.y + tip), (entry.x - 6, entry.y - tip), (entry.x + 6, entry.y - tip)], color: side)
            canvas.circle(x: exit.x, y: exit.y, radius: 4.5, color: outcome, filled: false)
        }
        let net = shown.reduce(0) { $0 + $1.netPnL }
        heading(canvas, title: title, summary: String(format: "last %.8g · %d trades, net %+.2f USDT", points[points.count - 1].value, shown.count, net),
                right: panel.right)
        return canvas
    }

    /// The title at the top left and `summary` right-aligned on `right` (pixels): on the title's line when both
    /// fit, else smaller on the line below, else left out (a narrow chart keeps its title readable).
    static func heading(_ canvas: ChartCanvas, title: String, summary: String, right: Double) {
        canvas.text(title, x: 16, y: 26, size: 16, bold: true)
        let titleEnd = 16 + canvas.textWidth(title, size: 16, bold: true)
        if titleEnd + 16 + canvas.textWidth(summary, size: 13) <= right {
            canvas.text(summary, x: right, y: 26, size: 13, alignment: .right)
        } else if 80 + canvas.textWidth(summary, size: 10) <= right {  // clear of the unit label left of x = 80
            canvas.text(summary, x: right, y: 39, size: 10, alignment: .right)
        }
    }

    /// The span of `values` padded by 5% (a flat series gets ±1% of its level, or ±1).
    static func range(_ values: [Double]) -> ClosedRange<Double> {
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return 0...1 }
        if high - low <= 1e-12 * max(1, abs(high)) {
            let pad = abs(high) > 0 ? abs(high) * 0.01 : 1
            return (low - pad)...(high + pad)
        }
        let pad = (high - low) * 0.05
        return (low - pad)...(high + pad)
    }
}

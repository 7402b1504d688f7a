import Foundation
import MarketModel
import TradingEngine

/// An SVG chart of equity curves (top) and their drawdowns (bottom) on a shared UTC time axis, with a
/// legend — what a person wants to look at after a backtest or an evaluation.
public struct EquityChart {
    public struct Series {
        public var label: String
        public var times: [Int64]
        public var equity: [Double]

        public init(label: String, times: [Int64], equity: [Double]) {
            self.label = label
            self.times = times
            self.equity = equity
        }
    }

    /// A vertical line at a moment worth seeing (a halt, a resume), labelled.
    public struct Marker {
        public var time: Int64
        public var label: String
        /// "halt" (red), "resume" (green) or anything else (grey, e.g. a walk-forward fold boundary).
        public var kind: String

        public init(time: Int64, label: String, kind: String) {
            self.time = time
            self.label = label
            self.kind = kind
        }
    }

    public var title: String
    public var series: [Series]
    public var markers: [Marker] = []
    public var width = 1_000.0
    public var height = 620.0

    public init(title: String, series: [Series]) {
        self.title = title
        self.series = series
    }

    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]

    /// The SVG document.
    public func svg() -> String {
        let left = 80.0, right = 20.0, top = 50.0, gap = 40.0
        let plotWidth = width - left - right
        let equityHeight = (height - top - 60 - gap) * 0.68, drawdownHeight = (height - top - 60 - gap) * 0.32
        let drawdownTop = top + equityHeight + gap
        let all = series.filter { !$0.times.isEmpty }
        let start = all.compactMap { $0.times.first }.min() ?? 0, end = all.compactMap { $0.times.last }.max() ?? 1
        let low = all.flatMap(\.equity).min() ?? 0, high = all.flatMap(\.equity).max() ?? 1
        let padding = max((high - low) * 0.05, max(abs(high), 1) * 1e-4)
        let minimum = low - padding, maximum = high + padding
        let drawdowns = all.map(Self.drawdowns)
        let deepest = max(drawdowns.flatMap { $0 }.max() ?? 0, 1e-4)
        func x(_ time: Int64) -> Double { left + plotWidth * Double(time - start) / Double(max(end - start, 1)) }
        func y(_ value: Double) -> Double { top + equityHeight * (1 - (value - minimum) / (maximum - minimum)) }
        func yDrawdown(_ value: Double) -> Double { drawdownTop + drawdownHeight * value / deepest }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="28" font-size="16" font-weight="bold">\(Self.escape(title))</text>

            """
        // Grid and axis labels.
        for step in 0...4 {
            let value = minimum + (maximum - minimum) * Double(step) / 4
            let position = y(value)
            svg += "<line x1=\"\(left)\" y1=\"\(f(position))\" x2=\"\(left + plotWidth)\" y2=\"\(f(position))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text x=\"\(left - 8)\" y=\"\(f(position + 4))\" text-anchor=\"end\">\(Self.money(value))</text>\n"
        }
        for step in 0...2 {
            let value = deepest * Double(step) / 2
            let position = yDrawdown(value)
            svg += "<line x1=\"\(left)\" y1=\"\(f(position))\" x2=\"\(left + plotWidth)\" y2=\"\(f(position))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text x=\"\(left - 8)\" y=\"\(f(position + 4))\" text-anchor=\"end\">-\(String(format: "%.1f", value * 100))%</text>\n"
        }
        for step in 0...4 {
            let time = start + (end - start) * Int64(step) / 4
            svg += "<text x=\"\(f(x(time)))\" y=\"\(f(height - 30))\" text-anchor=\"middle\">\(UTCTime.format(time)) UTC</text>\n"
        }
        svg += "<text x=\"\(left)\" y=\"\(f(top - 8))\" fill=\"#555\">equity (USDT)</text>\n"
        svg += "<text x=\"\(left)\" y=\"\(f(drawdownTop - 8))\" fill=\"#555\">drawdown from peak</text>\n"
        // Curves, thinned to at most ~2 points per pixel.
        for (index, line) in all.enumerated() {
            let color = Self.colors[index % Self.colors.count]
            let stride = max(1, line.times.count / Int(plotWidth * 2))
            var equityPath = "", drawdownPath = ""
            for point in Swift.stride(from: 0, to: line.times.count, by: stride) {
                let command = equityPath.isEmpty ? "M" : "L"
                equityPath += "\(command)\(f(x(line.times[point]))),\(f(y(line.equity[point]))) "
                drawdownPath += "\(command)\(f(x(line.times[point]))),\(f(yDrawdown(drawdowns[index][point]))) "
            }
            svg += "<path d=\"\(equityPath)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.4\"/>\n"
            svg += "<path d=\"\(drawdownPath)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1\" opacity=\"0.8\"/>\n"
            let legendY = top + 14 + Double(index) * 16
            svg += "<rect x=\"\(f(left + 10))\" y=\"\(f(legendY - 9))\" width=\"12\" height=\"3\" fill=\"\(color)\"/>\n"
            let last = line.equity.last ?? 0
            svg += "<text x=\"\(f(left + 28))\" y=\"\(f(legendY - 4))\">\(Self.escape(line.label)): \(Self.money(last))</text>\n"
        }
        for marker in markers where marker.time >= start && marker.time <= end {
            let color = marker.kind == "halt" ? "#d62728" : marker.kind == "resume" ? "#2ca02c" : "#777777", position = f(x(marker.time))
            svg += "<line x1=\"\(position)\" y1=\"\(top)\" x2=\"\(position)\" y2=\"\(f(drawdownTop + drawdownHeight))\" stroke=\"\(color)\" stroke-dasharray=\"4 3\" opacity=\"0.7\"/>\n"
            svg += "<text x=\"\(position)\" y=\"\(f(top + equityHeight - 6))\" fill=\"\(color)\" font-size=\"10\" text-anchor=\"middle\">\(Self.escape(marker.label))</text>\n"
        }
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(f(plotWidth))\" height=\"\(f(equityHeight))\" fill=\"none\" stroke=\"#999\"/>\n"
        svg += "<rect x=\"\(left)\" y=\"\(f(drawdownTop))\" width=\"\(f(plotWidth))\" height=\"\(f(drawdownHeight))\" fill=\"none\" stroke=\"#999\"/>\n"
        return svg + "</svg>\n"
    }

    /// Halt and resume markers of `result`'s drawdown halts.
    public static func haltMarkers(_ result: BacktestResult) -> [Marker] {
        result.riskEvents.compactMap { event in
            // Drawdown halts, including a daily-loss halt that lifted into one (HALTED → HALTED).
            if event.to == .halted, !event.reason.hasPrefix("daily loss") { return Marker(time: event.time, label: "halt", kind: "halt") }
            if event.from == .halted, event.reason.hasPrefix("resumed") { return Marker(time: event.time, label: "resume", kind: "resume") }
            return nil
        }
    }

    /// Writes the SVG atomically.
    public func write(to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(svg().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func drawdowns(_ series: Series) -> [Double] {
        var peak = -Double.infinity
        return series.equity.map { value in
            peak = max(peak, value)
            return peak > 0 ? (peak - value) / peak : 0
        }
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func money(_ value: Double) -> String { String(format: "%.2f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

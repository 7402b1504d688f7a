import Foundation

/// Every symbol's newest out-of-sample evaluation side by side: the agent (the candidate judged, else the
/// current agent) against every baseline on the same bars, with its trades, fees and funding, and the
/// promotion gate's verdict and statistics. Built only from the evaluation reports: nothing is re-run,
/// and no figure comes from the training range.
public struct EdgeReport: Codable, Sendable {
    public struct Row: Codable, Sendable {
        public var symbol: String
        public var agentVersion: String?
        /// The out-of-sample range, UTC, and its bars.
        public var from: String
        public var to: String
        public var bars: Int
        public var initialCapital: Double
        /// Fractions of the capital (0.01 = 1%): the agent as it trades (its loser filter applied when it was
        /// switched on in sample: the figures the promotion gate judges), over the whole range, trading on
        /// after each drawdown halt's cooling-off as the baselines do.
        public var agentReturn: Double
        /// Whether the loser filter is on in those figures.
        public var loserFilter: Bool
        /// The agent without its filter under the live rule (halted for good at its first drawdown halt), and
        /// its trades; nil when the filter is on.
        public var liveRuleReturn: Double?
        public var liveRuleTrades: Int?
        public var agentSharpe: Double
        public var agentMaxDrawdown: Double
        public var trades: Int
        /// USDT: fees paid, funding received minus paid.
        public var fees: Double
        public var netFunding: Double
        /// Each baseline's return on the same bars, by name (flat, buy-and-hold, always-long, ema-cross, random).
        public var baselines: [String: Double]
        /// The trading baselines (every one but flat) the agent's return beats.
        public var beats: [String]
        /// The gate's verdict ("promoted: …" / "rejected: …"), nil when only the current agent was re-evaluated.
        public var gate: String?
        public var checks: [PromotionDecision.Check]
        /// The evaluation report it comes from.
        public var source: String
    }

    public var createdAt: String
    public var rows: [Row]
    /// Symbols without an evaluation report.
    public var missing: [String]

    public static let tradingBaselines = ["buy-and-hold", "always-long", "ema-cross", "random"]

    public init(createdAt: String, reports: [(path: String, report: EvaluationReport)], missing: [String]) {
        self.createdAt = createdAt
        self.missing = missing
        rows = reports.compactMap { path, report in
            guard let agent = report.policies.first(where: { $0.role == "candidate" }) ?? report.policies.first(where: { $0.role == "current" })
            else { return nil }
            var baselines: [String: Double] = [:]
            for policy in report.policies where policy.role == "baseline" { baselines[policy.name] = policy.metrics.totalReturn }
            let filtered = report.loserFilter?.enabled == true
            let metrics = filtered ? report.loserFilter!.with : agent.metrics
            return Row(symbol: report.symbol, agentVersion: agent.version, from: report.from, to: report.to, bars: report.bars,
                       initialCapital: report.initialCapital, agentReturn: metrics.totalReturn, loserFilter: filtered,
                       liveRuleReturn: filtered ? nil : agent.liveRule?.totalReturn, liveRuleTrades: filtered ? nil : agent.liveRule?.trades,
                       agentSharpe: metrics.sharpe,
                       agentMaxDrawdown: metrics.maxDrawdown, trades: metrics.trades, fees: metrics.feesPaid,
                       netFunding: metrics.fundingReceived - metrics.fundingPaid, baselines: baselines,
                       beats: Self.tradingBaselines.filter { baselines[$0].map { metrics.totalReturn > $0 } ?? false },
                       gate: report.promotion?.summary, checks: report.promotion?.checks ?? [], source: path)
        }
    }

    /// The table, a line per symbol, then the gate's verdicts and how many symbols beat every trading baseline.
    public var lines: [String] {
        func percent(_ value: Double?) -> String { value.map { String(format: "%+.2f%%", $0 * 100) } ?? "-" }
        var lines = ["out of sample, costs included (fees and funding in USDT); baselines on the same bars, resuming after halts as the agent does;",
                     "agent: as it trades (* with its loser filter, switched on in sample), the figures the gate judges; "
                         + "live rule: the agent halted for good at its first drawdown halt",
                     "symbol     agent     trades  fees       funding   live rule          flat     buy-hold  always-long  ema-cross  random   gate"]
        for row in rows {
            let fields = [row.symbol.padding(toLength: 10, withPad: " ", startingAt: 0), (percent(row.agentReturn) + (row.loserFilter ? "*" : "")).padding(toLength: 9, withPad: " ", startingAt: 0),
                          String(row.trades).padding(toLength: 7, withPad: " ", startingAt: 0),
                          String(format: "%.2f", row.fees).padding(toLength: 10, withPad: " ", startingAt: 0),
                          String(format: "%+.2f", row.netFunding).padding(toLength: 9, withPad: " ", startingAt: 0),
                          (row.liveRuleReturn.map { percent($0) + " (\(row.liveRuleTrades ?? 0) tr)" } ?? "-").padding(toLength: 18, withPad: " ", startingAt: 0)]
                + ["flat", "buy-and-hold", "always-long", "ema-cross", "random"].enumerated().map { index, name in
                    percent(row.baselines[name]).padding(toLength: [8, 9, 12, 10, 8][index], withPad: " ", startingAt: 0)
                }
                + [row.gate.map { $0.hasPrefix("promoted") ? "promoted" : "rejected" } ?? "current only"]
            lines.append(fields.joined(separator: " "))
        }
        for row in rows {
            lines.append("\(row.symbol) \(row.agentVersion ?? "-") \(row.from) → \(row.to) (\(row.bars) bars): "
                         + "Sharpe \(String(format: "%.2f", row.agentSharpe)), max drawdown \(String(format: "%.2f%%", row.agentMaxDrawdown * 100)); "
                         + (row.gate ?? "the current agent re-evaluated, no gate"))
        }
        let beatingAll = rows.filter { $0.beats.count == Self.tradingBaselines.count }.count
        lines.append("the agent beats every trading baseline on \(beatingAll) of \(rows.count) symbols; promoted \(rows.filter { $0.gate?.hasPrefix("promoted") == true }.count)")
        if !missing.isEmpty { lines.append("no evaluation yet: \(missing.joined(separator: ", ")) (run `pipeline evaluate`)") }
        return lines
    }

    /// A bar chart: per symbol, the agent's return beside each baseline's (SVG, self-contained).
    public var svg: String {
        let names = ["agent", "flat", "buy-and-hold", "always-long", "ema-cross", "random"]
        let colours = ["#d62728", "#7f7f7f", "#1f77b4", "#17becf", "#2ca02c", "#bcbd22"]
        let values = rows.map { row in [row.agentReturn] + names.dropFirst().map { row.baselines[$0] ?? 0 } }
        let extent = max(0.001, values.flatMap { $0 }.map(abs).max() ?? 0)
        let barWidth = 14.0, group = Double(names.count) * barWidth + 30, height = 320.0, middle = 180.0, scale = 140 / extent
        let width = 80 + Double(max(1, rows.count)) * group
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        svg += "<text x=\"10\" y=\"16\">out-of-sample return by symbol: the agent and the baselines (±\(String(format: "%.2f%%", extent * 100)) full scale)</text>\n"
        svg += "<line x1=\"60\" y1=\"\(middle)\" x2=\"\(width - 10)\" y2=\"\(middle)\" stroke=\"black\"/>\n"
        for (index, row) in rows.enumerated() {
            let left = 70 + Double(index) * group
            for (bar, value) in values[index].enumerated() {
                let length = abs(value) * scale
                svg += "<rect class=\"\(names[bar])\" x=\"\(left + Double(bar) * barWidth)\" y=\"\(value >= 0 ? middle - length : middle)\" width=\"\(barWidth - 2)\" "
                    + "height=\"\(max(0.5, length))\" fill=\"\(colours[bar])\"><title>\(row.symbol) \(names[bar]) \(String(format: "%+.2f%%", value * 100))</title></rect>\n"
            }
            svg += "<text x=\"\(left)\" y=\"\(height - 12)\">\(row.symbol)</text>\n"
        }
        for (index, name) in names.enumerated() {
            svg += "<rect x=\"\(10 + Double(index) * 95)\" y=\"26\" width=\"10\" height=\"10\" fill=\"\(colours[index])\"/>"
                + "<text x=\"\(24 + Double(index) * 95)\" y=\"35\">\(name)</text>\n"
        }
        return svg + "</svg>\n"
    }

    public func write(json path: String) throws { try EvaluationReport.writeReport(self, to: path) }
}

import Foundation
import TradingEngine

/// What a candidate must show out of sample to become `current` (`ml/training.yaml` `promotion:`).
public struct PromotionRules: Sendable, Equatable {
    public var returnMarginOverFlat: Double
    public var sharpeMarginOverCurrent: Double
    public var minimumTrades: Int
    /// The risk limit: `trading/risk.yaml` `halt_drawdown`.
    public var maximumDrawdown: Double

    public init(returnMarginOverFlat: Double, sharpeMarginOverCurrent: Double, minimumTrades: Int, maximumDrawdown: Double) {
        self.returnMarginOverFlat = returnMarginOverFlat
        self.sharpeMarginOverCurrent = sharpeMarginOverCurrent
        self.minimumTrades = minimumTrades
        self.maximumDrawdown = maximumDrawdown
    }
}

/// The gate's verdict with every check, passed or not.
public struct PromotionDecision: Codable, Sendable, Equatable {
    public struct Check: Codable, Sendable, Equatable {
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    public var promote: Bool
    public var checks: [Check]
    /// One line: "promoted: …" or "rejected: <the failed checks>".
    public var summary: String

    /// Judges `candidate` against the flat baseline and the current agent, all on the same held-out range.
    public init(candidate: BacktestMetrics, flat: BacktestMetrics, current: BacktestMetrics?, rules: PromotionRules) {
        func percent(_ value: Double) -> String { String(format: "%+.2f%%", value * 100) }
        var checks = [
            Check(name: "trades", passed: candidate.trades >= rules.minimumTrades,
                  detail: "\(candidate.trades) out-of-sample trades (minimum \(rules.minimumTrades))"),
            Check(name: "beats_flat", passed: candidate.totalReturn - flat.totalReturn > rules.returnMarginOverFlat,
                  detail: "return \(percent(candidate.totalReturn)) vs flat \(percent(flat.totalReturn)) (margin \(percent(rules.returnMarginOverFlat)))"),
            Check(name: "drawdown", passed: candidate.maxDrawdown <= rules.maximumDrawdown,
                  detail: String(format: "max drawdown %.2f%% (limit %.2f%%)", candidate.maxDrawdown * 100, rules.maximumDrawdown * 100)),
        ]
        if let current {
            checks.append(Check(name: "beats_current", passed: candidate.sharpe - current.sharpe > rules.sharpeMarginOverCurrent,
                                detail: String(format: "Sharpe %.2f vs current %.2f (margin %.2f)", candidate.sharpe, current.sharpe,
                                               rules.sharpeMarginOverCurrent)))
        } else {
            checks.append(Check(name: "beats_current", passed: true, detail: "no current agent"))
        }
        self.checks = checks
        promote = checks.allSatisfy(\.passed)
        summary = promote
            ? "promoted: " + checks.map(\.detail).joined(separator: "; ")
            : "rejected: " + checks.filter { !$0.passed }.map(\.detail).joined(separator: "; ")
    }
}

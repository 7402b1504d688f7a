import MarketModel

import Foundation

/// Performance figures of a backtest, all after costs.
public struct BacktestMetrics: Sendable, Codable, Equatable {
    /// Final equity / initial − 1.
    public var totalReturn: Double
    /// Annualised from per-bar returns: mean / std × √(bars per year).
    public var sharpe: Double
    /// Like Sharpe with the downside deviation (returns below 0) in the denominator.
    public var sortino: Double
    /// Annualised return / max drawdown.
    public var calmar: Double
    /// Largest fall from a peak of the equity curve, fraction.
    public var maxDrawdown: Double
    public var trades: Int
    /// Winning trades / trades (net of costs).
    public var winRate: Double
    /// Sum of winning net PnL / |sum of losing net PnL|; nil when nothing was lost.
    public var profitFactor: Double?
    /// Mean net PnL per trade, USDT.
    public var expectancy: Double
    /// Fraction of bars with a position open.
    public var exposure: Double
    public var averageLeverage: Double
    /// USDT.
    public var feesPaid: Double
    public var fundingPaid: Double
    public var fundingReceived: Double
    /// Drawdown halts (only an operator lifts them), and the backtest operator's resumes after them.
    public var halts: Int
    public var resumes: Int

    /// - Parameter barsPerYear: 525,600 for 1m bars.
    public init(result: BacktestResult, barsPerYear: Double) {
        let curve = result.equityCurve
        totalReturn = result.finalEquity / result.initialCapital - 1
        var returns: [Double] = []
        returns.reserveCapacity(curve.count)
        var previous = result.initialCapital
        var peak = result.initialCapital, drawdown = 0.0
        for equity in curve {
            returns.append(previous > 0 ? equity / previous - 1 : 0)
            previous = equity
            peak = max(peak, equity)
            drawdown = max(drawdown, peak > 0 ? (peak - equity) / peak : 0)
        }
        maxDrawdown = drawdown
        let count = Double(max(returns.count, 1))
        let mean = returns.reduce(0, +) / count
        let variance = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count
        let downside = returns.reduce(0) { $0 + min($1, 0) * min($1, 0) } / count
        let scale = barsPerYear.squareRoot()
        sharpe = variance > 0 ? mean / variance.squareRoot() * scale : 0
        sortino = downside > 0 ? mean / downside.squareRoot() * scale : 0
        let years = count / barsPerYear
        let annualReturn = years > 0 && result.finalEquity > 0 ? pow(result.finalEquity / result.initialCapital, 1 / years) - 1 : totalReturn
        calmar = drawdown > 0 ? annualReturn / drawdown : 0
        let net = result.trades.map(\.netPnL)
        trades = net.count
        winRate = net.isEmpty ? 0 : Double(net.filter { $0 > 0 }.count) / Double(net.count)
        let wins = net.filter { $0 > 0 }.reduce(0, +), losses = -net.filter { $0 < 0 }.reduce(0, +)
        profitFactor = losses > 0 ? wins / losses : nil
        expectancy = net.isEmpty ? 0 : net.reduce(0, +) / Double(net.count)
        exposure = result.bars > 0 ? Double(result.barsInMarket) / Double(result.bars) : 0
        averageLeverage = result.trades.isEmpty ? 0 : result.trades.reduce(0) { $0 + $1.leverage } / Double(result.trades.count)
        feesPaid = result.ledger.feesPaid
        fundingPaid = result.ledger.fundingPaid
        fundingReceived = result.ledger.fundingReceived
        halts = result.operatorHalts
        resumes = result.resumes
    }
}

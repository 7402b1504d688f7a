/// Why a position (or part of it) was closed.
public enum ExitReason: String, Sendable, Codable, Equatable {
    case takeProfit = "take-profit", stop, liquidation, signal, halt, endOfData = "end-of-data"
}

/// A closed trade (or the closed part of a position), with everything it cost.
public struct ClosedTrade: Sendable, Equatable, Codable {
    public var side: PositionSide
    public var size: Double
    public var leverage: Double
    public var entryTime: Int64
    public var entryPrice: Double
    public var exitTime: Int64
    public var exitPrice: Double
    /// Entry and exit fees (including any liquidation fee), USDT.
    public var fees: Double
    /// Funding received minus paid while open, USDT.
    public var funding: Double
    /// Price PnL before costs, USDT.
    public var grossPnL: Double
    public var exitReason: ExitReason

    public init(side: PositionSide, size: Double, leverage: Double, entryTime: Int64, entryPrice: Double, exitTime: Int64,
                exitPrice: Double, fees: Double, funding: Double, grossPnL: Double, exitReason: ExitReason) {
        self.side = side
        self.size = size
        self.leverage = leverage
        self.entryTime = entryTime
        self.entryPrice = entryPrice
        self.exitTime = exitTime
        self.exitPrice = exitPrice
        self.fees = fees
        self.funding = funding
        self.grossPnL = grossPnL
        self.exitReason = exitReason
    }

    /// What the trade added to equity: gross − fees + funding, USDT.
    public var netPnL: Double { grossPnL - fees + funding }
}

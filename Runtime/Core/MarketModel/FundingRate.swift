/// One funding settlement of a perpetual contract.
public struct FundingRate: Sendable, Hashable, Codable {
    /// Settlement time, Unix epoch milliseconds, UTC (00:00, 08:00, 16:00 on BitGet and Binance).
    public var time: Int64
    /// Rate per funding interval as a fraction (0.0001 = 0.01%). Positive: longs pay shorts.
    public var rate: Double

    public init(time: Int64, rate: Double) {
        self.time = time
        self.rate = rate
    }
}

import MarketModel
import TradingEngine

/// A true buy-and-hold next to the engine's baselines: the whole capital buys the contract at 1× at the
/// first traded bar's open and holds it to the last close, with no stop, no take-profit and no risk
/// gate, through the same simulated venue (taker fee and slippage at both ends, funding at its
/// settlements). The `always-long` baseline, by contrast, goes long under the risk manager's stops and
/// sizing (and the confirmation filter) and re-enters after each exit: it measures something else.
public enum BuyAndHoldBaseline {
    public static let name = "buy-and-hold"

    /// The run over `data` from its first traded bar; nil when the capital buys less than the contract's
    /// minimum size.
    public static func run(data: BacktestData, setup: BacktestSetup) -> BacktestResult? {
        let parameters = setup.parameters, contract = parameters.contract
        let barMilliseconds = setup.tradingTimeframe.milliseconds
        var venue = SimulatedVenue(parameters: parameters, initialCapital: setup.initialCapital,
                                   funding: FundingSchedule(rates: data.funding, fallbackRate: parameters.fallbackFundingRate),
                                   barMilliseconds: barMilliseconds)
        let first = data.bars[data.firstTraded]
        let before = data.firstTraded > 0 ? data.bars[data.firstTraded - 1] : first
        let entryPrice = venue.fillModel.marketPrice(direction: 1, price: first.open, referenceRange: before.high - before.low)
        // The whole capital at 1×, the entry fee included.
        let size = PriceGrid.floor(setup.initialCapital / (entryPrice * (1 + parameters.takerFeeRate)), step: contract.sizeStep)
        guard size >= contract.minimumSize else { return nil }
        var trades = venue.fillOrder(side: .buy, size: size, price: entryPrice, liquidity: .taker, leverage: 1, time: first.openTime).trades
        var equityCurve: [Double] = [], equityTimes: [Int64] = []
        equityCurve.reserveCapacity(data.bars.count - data.firstTraded)
        var events: [VenueEvent] = []
        var last = first
        for bar in data.bars[data.firstTraded...] {
            events.removeAll(keepingCapacity: true)
            venue.advance(through: bar, events: &events)
            equityCurve.append(venue.account.equity(at: bar.close))
            equityTimes.append(bar.openTime + barMilliseconds)
            last = bar
        }
        if let position = venue.account.position {
            let exitPrice = venue.fillModel.marketPrice(direction: -1, price: last.close, referenceRange: last.high - last.low)
            trades += venue.fillOrder(side: .sell, size: position.size, price: exitPrice, liquidity: .taker, leverage: 1,
                                      time: last.openTime + barMilliseconds, reason: .endOfData).trades
            equityCurve[equityCurve.count - 1] = venue.account.equity(at: last.close)
        }
        let bars = equityCurve.count
        return BacktestResult(policy: name, initialCapital: setup.initialCapital, trades: trades, equityCurve: equityCurve,
                              equityTimes: equityTimes, bars: bars, barsInMarket: bars, riskEvents: [], refusals: [:],
                              fundingSettlements: venue.fundingSettlements, fundingFallbacks: venue.fundingFallbacks,
                              ledger: venue.account.ledger, finalEquity: venue.account.equity(at: last.close))
    }
}

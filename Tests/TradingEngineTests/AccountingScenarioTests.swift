import MarketModel
import Testing
import TradingEngine

/// Hand-computed scenarios: every number below is worked out in the comments.
@Suite struct AccountingScenarioTests {
    @Test func aTenTimesLongWithFeesFundingAndExit() {
        var account = PerpetualAccount(initialCapital: 10_000)
        // Buy 0.5 BTC at 30,000, 10×: notional 15,000, margin 1,500, taker fee 0.0006 × 15,000 = 9.
        account.fill(direction: 1, size: 0.5, price: 30_000, fee: 9, leverage: 10, time: 0)
        #expect(account.position?.margin == 1_500)
        #expect(account.availableBalance == 10_000 - 9 - 1_500)
        // Funding +0.01% at mark 30,500: the long pays 0.5 × 30,500 × 0.0001 = 1.525.
        #expect(close(account.settleFunding(rate: 0.0001, markPrice: 30_500), -1.525))
        #expect(close(account.equity(at: 30_500), 10_000 - 9 - 1.525 + 250))
        // Sell 0.5 at 31,000: gross 500, fee 0.0006 × 15,500 = 9.3.
        let trades = account.fill(direction: -1, size: 0.5, price: 31_000, fee: 9.3, leverage: 10, time: 1, reason: .signal)
        #expect(account.position == nil)
        #expect(trades.count == 1)
        let trade = trades[0]
        #expect(trade.grossPnL == 500)
        #expect(close(trade.fees, 18.3))
        #expect(close(trade.funding, -1.525))
        #expect(close(trade.netPnL, 480.175))
        #expect(close(account.walletBalance, 10_480.175))
        #expect(close(account.ledger.fundingPaid, 1.525) && account.ledger.fundingReceived == 0)
    }

    @Test func aShortPaysNegativeFunding() {
        var account = PerpetualAccount(initialCapital: 5_000)
        // Sell 2 ETH at 2,000, 5×: margin 800, fee 2.4.
        account.fill(direction: -1, size: 2, price: 2_000, fee: 2.4, leverage: 5, time: 0)
        // Rate −0.02% at mark 1,990: shorts pay longs 2 × 1,990 × 0.0002 = 0.796.
        #expect(close(account.settleFunding(rate: -0.0002, markPrice: 1_990), -0.796))
        // Buy back at 1,950: gross 2 × 50 = 100, fee 0.0006 × 3,900 = 2.34.
        let trade = account.fill(direction: 1, size: 2, price: 1_950, fee: 2.34, leverage: 5, time: 1)[0]
        #expect(trade.side == .short)
        #expect(close(trade.netPnL, 100 - 2.4 - 2.34 - 0.796))
        #expect(close(account.walletBalance, 5_094.464))
    }

    @Test func liquidationAtEightyTimes() {
        var account = PerpetualAccount(initialCapital: 10_000)
        // 1 BTC at 30,000, 80×: margin 375; maintenance rate 0.4% (notional 30,000 in the first tier).
        account.fill(direction: 1, size: 1, price: 30_000, fee: 18, leverage: 80, time: 0)
        let position = account.position!
        // p = (M − s·e·d) / (s·(r + f − d)), d = +1: (s·e − M) / (s·(1 − r − f)) = 29,625 / (1 − 0.004 − 0.0006)
        let liquidation = testParameters().liquidationPrice(of: position)
        #expect(close(liquidation, 29_625 / 0.9954))
        // About 1/80 = 1.25% below entry less the maintenance margin and the closing fee: 0.794%.
        #expect(close((30_000 - liquidation) / 30_000, 1 - 29_625 / 0.9954 / 30_000, 1e-9))
        #expect(close((30_000 - liquidation) / 30_000, 0.00794, 1e-4))
        // A bar through it liquidates at it; the loss stops at the margin (isolated): the liquidation fee
        // (0.5% of notional = 148.8) is capped at the 137.9 left.
        let model = FillModel(parameters: testParameters())
        let trigger = model.trigger(for: position, in: bar(1, open: 29_900, low: 29_700, close: 29_800))
        #expect(trigger?.reason == .liquidation)
        #expect(trigger.map { close($0.price, liquidation) } == true)
        let trade = account.liquidate(price: liquidation, feeRate: 0.005, time: 60_000)!
        #expect(trade.exitReason == .liquidation)
        #expect(close(-trade.grossPnL + trade.fees - 18, 375), "price loss plus liquidation fee is the whole margin")
        #expect(close(account.walletBalance, 10_000 - 18 - 375))
    }

    @Test func stopAndTakeProfitInOneBarTakeTheStop() {
        let model = FillModel(parameters: testParameters())
        var account = PerpetualAccount(initialCapital: 10_000)
        account.fill(direction: 1, size: 0.1, price: 30_000, fee: 0, leverage: 10, time: 0, stopLoss: 29_500, takeProfit: 30_500)
        let position = account.position!
        let both = model.trigger(for: position, in: bar(1, open: 30_000, high: 30_600, low: 29_400, close: 30_100))
        #expect(both?.reason == .stop && both?.price == 29_500)
        let gap = model.trigger(for: position, in: bar(1, open: 29_000, high: 29_100, low: 28_900, close: 29_000))
        #expect(gap?.reason == .stop && gap?.price == 29_000, "a gap through the stop fills at the open")
        let target = model.trigger(for: position, in: bar(1, open: 30_100, high: 30_550, low: 30_050, close: 30_500))
        #expect(target?.reason == .takeProfit && target?.price == 30_500)
        #expect(model.trigger(for: position, in: bar(1, open: 30_000, high: 30_400, low: 29_600)) == nil)
    }

    @Test func aFlipFromLongToShort() {
        var account = PerpetualAccount(initialCapital: 1_000)
        account.fill(direction: 1, size: 1, price: 100, fee: 0.06, leverage: 10, time: 0)
        // Sell 3 at 110: closes the long (+10), opens a 2 short at 110, 10× (margin 22). Fee 0.198 split 1/3 : 2/3.
        let trades = account.fill(direction: -1, size: 3, price: 110, fee: 0.198, leverage: 10, time: 1)
        #expect(trades.count == 1)
        #expect(trades[0].grossPnL == 10)
        #expect(close(trades[0].fees, 0.06 + 0.066))
        let short = account.position!
        #expect(short.side == .short && short.size == 2 && short.entryPrice == 110)
        #expect(close(short.margin, 22))
        #expect(close(short.fees, 0.132))
        #expect(close(account.walletBalance, 1_000 + 10 - 0.06 - 0.198))
    }

    @Test func addingAveragesTheEntryAndReducingReleasesMarginProportionally() {
        var account = PerpetualAccount(initialCapital: 10_000)
        account.fill(direction: 1, size: 1, price: 100, fee: 0, leverage: 10, time: 0)
        account.fill(direction: 1, size: 3, price: 120, fee: 0, leverage: 10, time: 1)
        #expect(account.position?.entryPrice == 115)  // (100 + 360) / 4
        #expect(account.position?.margin == 46)
        let trade = account.fill(direction: -1, size: 1, price: 125, fee: 0, leverage: 10, time: 2)[0]
        #expect(trade.grossPnL == 10)
        #expect(account.position?.size == 3)
        #expect(close(account.position!.margin, 34.5))
    }
}

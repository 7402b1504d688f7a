import Features
import MarketModel
import Testing
import TradingEngine
@testable import TraderRuntime

/// What an exchange report may do to a live book: a close is booked only against the position it closes
/// (never opening or growing one), an adopted position counts as held, and an order id carries its decision.
struct OutboxBookTests {
    static let entryID = ClientOrderID(symbol: "BTCUSDT", purpose: .entry, decisionTime: 1_750_000_060_000, agentVersion: "v1")
    static let exitID = ClientOrderID(symbol: "BTCUSDT", purpose: .exit, decisionTime: 1_750_000_600_000, agentVersion: "v1")

    static func trader() -> OutboxSymbolTrader {
        OutboxSymbolTrader(symbol: "BTCUSDT", parameters: OutboxTraderParityTests.parameters, capital: 5_000, confirmation: .off,
                           columns: OutboxTraderParityTests.columns)
    }

    static func fill(_ id: ClientOrderID?, _ side: OrderSide, size: Double, price: Double, fee: Double, at time: Int64) -> Fill {
        Fill(clientOrderID: id, side: side, size: size, price: price, fee: fee, liquidity: .taker, leverage: 10, time: time)
    }

    /// A book long 0.01 BTCUSDT at 100,000 (entry fee 0.6 USDT).
    static func longBook() -> OutboxSymbolTrader {
        var trader = trader()
        _ = trader.apply([.orderFilled(fill(entryID, .buy, size: 0.01, price: 100_000, fee: 0.6, at: 1_750_000_065_000), exitReason: nil)])
        return trader
    }

    @Test func aCloseOfAPositionTheBookDoesNotHoldIsNotBooked() {
        var flat = Self.trader()
        let journal = flat.apply([.orderFilled(Self.fill(Self.exitID, .sell, size: 0.01, price: 100_000, fee: 0.6, at: 1_750_000_700_000), exitReason: .signal),
                                  .protectionTriggered(.stop, Self.fill(nil, .buy, size: 0.02, price: 99_000, fee: 1.2, at: 1_750_000_800_000))])
        #expect(flat.engine.account.position == nil, "a flatten of a position the bot did not open opens none in the book")
        #expect(journal.trades.isEmpty)
        #expect(flat.engine.account.walletBalance == 5_000, "nothing charged")
    }

    @Test func aCloseOnTheBooksOwnSideIsDroppedAndALargerOneIsCutToThePosition() throws {
        var book = Self.longBook()
        _ = book.apply([.orderFilled(Self.fill(Self.exitID, .buy, size: 0.01, price: 101_000, fee: 0.6, at: 1_750_000_700_000), exitReason: .signal)])
        #expect(book.engine.account.position?.size == 0.01 && book.engine.account.position?.side == .long, "a buy does not close a long, nor add to it")

        // The exchange closed 0.02 (0.01 added by hand): the book closes its 0.01, with half the fee.
        let journal = book.apply([.protectionTriggered(.stop, Self.fill(nil, .sell, size: 0.02, price: 99_000, fee: 1.2, at: 1_750_000_800_000))])
        #expect(book.engine.account.position == nil, "not flipped to a short")
        let trade = try #require(journal.trades.first)
        #expect(journal.trades.count == 1 && trade.size == 0.01 && trade.exitReason == .stop)
        #expect(abs(trade.fees - (0.6 + 0.6)) < 1e-9, "the entry's fee and half the close's: \(trade.fees)")
        #expect(abs(trade.grossPnL - (-10)) < 1e-9, "0.01 × (99,000 − 100,000): \(trade.grossPnL)")
    }

    /// A close the book does not take (the exchange's position was flipped by hand) still settles the
    /// order, so the engine does not wait for it for ever; its row keeps the fill.
    @Test func aCloseTheBookDoesNotTakeStillSettlesItsOrder() throws {
        var book = Self.longBook()
        _ = book.halt(reason: "test")
        let close = try #require(book.takeCommands().compactMap(\.clientOrderID).first)
        #expect(book.engine.workingOrder != nil)
        let journal = book.apply([.orderFilled(Self.fill(close, .buy, size: 0.01, price: 100_500, fee: 0.6, at: 1_750_000_700_000), exitReason: .halt)])
        #expect(book.engine.workingOrder == nil, "settled")
        #expect(book.engine.account.position?.side == .long && book.engine.account.position?.size == 0.01, "not booked")
        #expect(journal.events.contains { if case .orderFilled = $0 { true } else { false } }, "its fill is reported for the order's row")
    }

    /// The live book pays the funding the exchange settles on the position held at the settlement: at a
    /// positive rate a long pays rate × its value at the mark (0.0001 × 0.01 × 102,000 = 0.102 USDT), a
    /// position opened at the settlement pays nothing, and the trade that closes it carries what it paid.
    @Test func theLiveBookPaysTheFundingOfThePositionItHoldsAtTheSettlement() throws {
        var book = Self.longBook()
        let opened = try #require(book.engine.account.position?.openedAt)
        #expect(CommandOutbox.settleFunding(&book, rate: 0.0001, markPrice: 102_000, time: opened).trades.isEmpty)
        #expect(book.engine.account.walletBalance == 5_000 - 0.6, "nothing at the instant it opened (only the entry fee)")
        _ = CommandOutbox.settleFunding(&book, rate: 0.0001, markPrice: 102_000, time: 1_750_003_200_000)
        #expect(abs(book.engine.account.walletBalance - (5_000 - 0.6 - 0.102)) < 1e-9, "\(book.engine.account.walletBalance)")
        #expect(abs((book.engine.account.position?.funding ?? 0) - (-0.102)) < 1e-9)
        _ = CommandOutbox.settleFunding(&book, rate: -0.0002, markPrice: 100_000, time: 1_750_032_000_000)
        let journal = book.apply([.orderFilled(Self.fill(Self.exitID, .sell, size: 0.01, price: 101_000, fee: 0.6, at: 1_750_040_000_000), exitReason: .signal)])
        let trade = try #require(journal.trades.first)
        #expect(abs(trade.funding - (-0.102 + 0.2)) < 1e-9, "paid 0.102, then received 0.0002 × 1,000: \(trade.funding)")
        #expect(abs(trade.netPnL - (10 - 1.2 + 0.098)) < 1e-9, "gross 10, fees 1.2, funding +0.098: \(trade.netPnL)")
        var flat = Self.trader()
        _ = CommandOutbox.settleFunding(&flat, rate: 0.0001, markPrice: 100_000, time: 1_750_003_200_000)
        #expect(flat.engine.account.walletBalance == 5_000, "flat: nothing")
    }

    @Test func anAdoptedPositionIsHeldAndAClientIDKnowsItsDecision() {
        var book = Self.trader()
        _ = book.adopt(Self.fill(nil, .sell, size: 0.5, price: 2_000, fee: 0, at: 1_750_000_900_000))
        #expect(book.engine.account.position?.side == .short && book.engine.account.position?.size == 0.5)
        _ = book.adopt(Self.fill(nil, .buy, size: 1, price: 2_100, fee: 0, at: 1_750_000_960_000))
        #expect(book.engine.account.position?.side == .short && book.engine.account.position?.size == 0.5, "a book holding one adopts nothing")
        #expect(Self.entryID.decisionTime == 1_750_000_060_000 && Self.exitID.purpose == .exit)
        #expect(ClientOrderID(rawValue: "by-hand-123").decisionTime == nil)
    }
}

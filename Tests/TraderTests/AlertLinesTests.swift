import MarketModel
import Storage
import Testing
import TradingEngine
@testable import TraderRuntime

/// The lines a bar writes to the event log, and the alerts they become: in the order things happened,
/// the ones that need the operator at once marked critical.
struct AlertLinesTests {
    static func trade(_ side: PositionSide, entered: Int64, exited: Int64, net: Double, reason: ExitReason = .stop) -> TradeRow {
        TradeRow(symbol: "BTCUSDT", trade: ClosedTrade(side: side, size: 0.01, leverage: 5, entryTime: entered, entryPrice: 100_000, exitTime: exited,
                                                       exitPrice: 100_000 + net * 100, fees: 0.5, funding: 0, grossPnL: net + 0.5, exitReason: reason),
                 agentVersion: "v1")
    }

    static func entry(trades: [TradeRow], filledEntry: Bool, risk: [RiskChangeRow] = []) -> BarJournalEntry {
        var entry = BarJournalEntry(symbol: "BTCUSDT", lastBarOpenTime: 0, agentVersion: "v1", state: "{}")
        entry.trades = trades
        entry.riskEvents = risk
        if filledEntry {
            entry.orders = [OrderRow(clientOrderID: "e1", symbol: "BTCUSDT", side: "sell", size: "0.01", reduceOnly: false, status: "filled",
                                     filledSize: "0.01", averagePrice: "100000", agentVersion: "v1", createdAt: 0, updatedAt: 0)]
        }
        return entry
    }

    @Test func aFlipClosesTheOldPositionBeforeTheEntryAndAStopInsideTheEntrysBarComesAfterIt() {
        let fill: Int64 = 60_000
        // The old long closes at the fill's time (a flip), the new short is stopped out in the same bar.
        let entry = Self.entry(trades: [Self.trade(.short, entered: fill, exited: fill, net: -3), Self.trade(.long, entered: 0, exited: fill, net: 2, reason: .signal)],
                               filledEntry: true, risk: [RiskChangeRow(time: fill, from: "ACTIVE", to: "HALTED", reason: "drawdown 5.1%")])
        let lines = TradingDesk<SimulatedVenue>.events(entry, entryFillTime: fill, position: nil, troubles: [EventRow(kind: "order_unknown", message: "order x")])
        #expect(lines.map(\.kind) == ["exit", "entry", "exit", "halted", "order_unknown"])
        #expect(lines[0].message.hasPrefix("✅ closed long") && lines[0].message.hasSuffix("signal"), "\(lines[0].message)")
        #expect(lines[1].message == "entered short 0.01 @ 100000", "the side from the order when the position is already gone: \(lines[1].message)")
        #expect(lines[2].message.hasPrefix("❌ closed short"))
        #expect(lines[3].message == "risk ACTIVE → HALTED: drawdown 5.1%")
    }

    @Test func noEntryMeansOnlyTheExitsAndALiquidationIsItsOwnKind() {
        let lines = TradingDesk<SimulatedVenue>.events(Self.entry(trades: [Self.trade(.long, entered: 0, exited: 120_000, net: -90, reason: .liquidation)], filledEntry: false),
                                       entryFillTime: nil, position: nil, troubles: [])
        #expect(lines.map(\.kind) == ["liquidation"])
    }

    @Test func criticalAlertsAreTheHaltsLiquidationsAndUnknownOutcomes() {
        func alert(_ kind: String, _ message: String = "text <b>") -> (String, Bool) {
            TelegramAlerts.message(JournalAlertRow(id: 1, time: 0, symbol: "BTCUSDT", kind: kind, message: message))
        }
        #expect(alert("halted") == ("⛔ <b>BTCUSDT</b> text &lt;b&gt;", true), "escaped, marked")
        #expect(alert("liquidation").1 && alert("order_unknown").1)
        #expect(alert("exit") == ("<b>BTCUSDT</b> text &lt;b&gt;", false), "an exit carries its whole text")
        #expect(alert("entry") == ("<b>BTCUSDT</b> entry: text &lt;b&gt;", false))
        #expect(!alert("risk").1 && !alert("operator").1 && !alert("order_rejected").1)
    }
}

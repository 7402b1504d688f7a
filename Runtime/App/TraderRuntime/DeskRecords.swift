import BitGet
import Foundation
import Logging
import MarketModel
import Storage
import TradingEngine

/// What the trader stores per symbol in `trader_state.state`.
struct PersistedTrader<Saved: Codable>: Codable {
    /// The venue's form (`PaperSymbolTrader.State` on paper, `OutboxSymbolTrader.Saved` live).
    var trader: Saved
    var entryAgent: String?
    /// Entries stopped by the operator (`/stop`): the position keeps its stops, no new one opens until `/start_trading`.
    var paused: Bool? = nil
}

/// One write of the desk's journal: a traded bar's (or an operator request's) entry, or only a request's
/// completion; `failedBefore` once a try failed (its retry first checks whether it was stored anyway).
struct JournalWrite {
    var entry: BarJournalEntry?
    var bar: Bar?
    var request: CompletedRequest?
    var failedBefore = false

    init(entry: BarJournalEntry, bar: Bar?) {
        self.entry = entry
        self.bar = bar
    }

    init(request: CompletedRequest) { self.request = request }
}

/// The desk's settings, from the configuration.
struct DeskSettings: Sendable {
    var mode: String
    var allocation: AllocationPlan
    var catchUpLagSeconds: Double
    var staleAfterSeconds: Double
    var allocationWaitSeconds: Double
    var equitySnapshotMinutes: Int
    /// The rules every strategy record names (`loserFilter` is set per agent).
    var strategyRules: StrategyRecord.Rules
}

/// Reads a stored symbol state (for `trader status`).
public enum TraderStateReader {
    /// The part every venue's form has alike.
    struct EngineOnly: Codable {
        var engine: TradingEngine<CommandOutbox>.Snapshot
    }

    /// The engine's books in a stored symbol state (of any mode), nil when unreadable.
    public static func engine(_ json: String) -> TradingEngine<CommandOutbox>.Snapshot? { stored(json)?.trader.engine }

    static func stored(_ json: String) -> PersistedTrader<EngineOnly>? {
        try? JSONDecoder().decode(PersistedTrader<EngineOnly>.self, from: Data(json.utf8))
    }
}

extension TradingDesk {
    /// The row of an order `command` sends (status `submitted`); nil for a command that is no order.
    func orderRow(_ command: VenueCommand, _ trader: SymbolTrader<Venue>) -> OrderRow? {
        guard let id = command.clientOrderID else { return nil }
        let engine = trader.engine, contract = engine.parameters.contract, symbol = trader.symbol
        switch command {
        case let .submitEntry(order):
            return OrderRow(clientOrderID: id.rawValue, symbol: symbol.name, side: OrderSide.opening(order.side).rawValue,
                            size: contract.sizeText(order.size), reduceOnly: false, stopLoss: contract.priceText(order.stopLoss),
                            takeProfit: contract.priceText(order.takeProfit), status: "submitted", agentVersion: trader.agentVersion,
                            createdAt: engine.lastTime, updatedAt: engine.lastTime)
        case let .closePosition(order):
            let position = Venue.positionToClose(trader)
            return OrderRow(clientOrderID: id.rawValue, symbol: symbol.name, side: position.map { OrderSide.closing($0.side).rawValue } ?? "sell",
                            size: contract.sizeText(position?.size ?? 0), reduceOnly: true, status: "submitted",
                            agentVersion: trader.agentVersion, createdAt: order.decisionTime, updatedAt: order.decisionTime)
        default:
            return nil
        }
    }

    /// The row of an order the venue sent on its own (a safety close: no agent decided it), `submitted`.
    static func ownOrderRow(_ request: OrderRequest, at time: Int64) -> OrderRow {
        OrderRow(clientOrderID: request.clientOrderID, symbol: request.symbol.name, side: request.side.rawValue, orderType: request.kind.rawValue,
                 size: request.size, price: request.price, reduceOnly: request.reduceOnly, stopLoss: request.stopLoss,
                 takeProfit: request.takeProfit, status: "submitted", agentVersion: nil, createdAt: time, updatedAt: time)
    }

    /// The operator's lines of one journal entry, in the order things happened: the exits before the
    /// entry's fill, the entry (with the position it opened), the exits after it (a stop inside the
    /// entry's bar), the risk changes, the rejected orders and those of unknown outcome.
    static func events(_ entry: BarJournalEntry, entryFillTime: Int64?, position: Position?, troubles: [EventRow]) -> [EventRow] {
        let exits = entry.trades.map(\.trade).sorted { $0.exitTime < $1.exitTime }
        let fillTime = entryFillTime ?? .max
        // A trade entered before the fill closed before it (a flip closes the old position first).
        var events = exits.filter { $0.entryTime < fillTime }.map(exitEvent)
        if entryFillTime != nil, let order = entry.orders.first(where: { $0.status == "filled" && !$0.reduceOnly }) {
            let price = order.averagePrice.flatMap(Double.init).map(OperatorView.decimal) ?? "?"
            let side = position?.side.rawValue ?? (order.side.contains("sell") ? "short" : "long")
            let protection = position.map {
                String(format: ", leverage %.0fx, ", $0.leverage) + "stop \($0.stopLoss.map(OperatorView.decimal) ?? "none"), "
                    + "take-profit \($0.takeProfit.map(OperatorView.decimal) ?? "none")"
            } ?? ""
            events.append(EventRow(kind: "entry", message: "entered \(side) \(order.filledSize) @ \(price)\(protection)"))
        }
        events += exits.filter { $0.entryTime >= fillTime }.map(exitEvent)
        events += entry.riskEvents.map { EventRow(kind: $0.to == "HALTED" ? "halted" : "risk", message: "risk \($0.from) → \($0.to): \($0.reason)") }
        return events + troubles
    }

    /// A closed trade's line: side, size, leverage, prices, net PnL with fees and funding, why it closed.
    static func exitEvent(_ trade: ClosedTrade) -> EventRow {
        EventRow(kind: trade.exitReason == .liquidation ? "liquidation" : "exit", message: "\(trade.netPnL >= 0 ? "✅" : "❌") closed \(trade.side.rawValue) \(OperatorView.price(trade.size)) "
                 + String(format: "%.0fx", trade.leverage) + ": \(OperatorView.price(trade.entryPrice)) → \(OperatorView.price(trade.exitPrice)), "
                 + "net \(OperatorView.signed(trade.netPnL)) USDT (fees \(OperatorView.money(trade.fees)), funding \(OperatorView.signed(trade.funding))), "
                 + trade.exitReason.rawValue)
    }

    /// Logs an operator-facing event and records it in `trader_events`.
    func note(_ symbol: Symbol?, _ kind: String, _ message: String, level: Logger.Level = .notice) async {
        logger.log(level: level, "\(message)", metadata: symbol.map { ["symbol": "\($0)"] } ?? [:])
        let journal = self.journal
        _ = try? await store.run { _ in try journal.event(symbol: symbol, kind: kind, message: message, at: Self.now()) }
    }
}

/// The trader's wall clock and its one JSON form of stored states.
enum TraderClock {
    /// Now, UTC ms.
    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

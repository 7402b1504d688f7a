import BitGet
import Foundation
import MarketModel
import Reconciliation
import Storage
import TradingEngine

extension TradingDesk {
    /// Why a symbol waits: its exchange could not be read.
    static var unreadable: String { "the exchange cannot be read" }
}

/// The live account's side of the desk: what the exchange is, and how often it is compared with the books.
struct DeskExchange: Sendable {
    let venue: BitGetVenue
    let rules: Reconciliation.Rules
    /// Seconds between two reconciliations of a symbol.
    let reconcileSeconds: Double
}

extension EngineJournal {
    /// Appends what `other` recorded after what this one did.
    mutating func append(_ other: EngineJournal) {
        commands += other.commands
        events += other.events
        trades += other.trades
        riskEvents += other.riskEvents
    }
}

extension TradingDesk {
    /// Sends the commands the engine decided to the exchange, one after another, and applies each one's
    /// reports before the next is sent (so the book knows a fill before it decides again); a command the
    /// venue halts the symbol on halts the engine, whose own commands (closing the position) go next.
    /// `outcome` gains everything the engine recorded. Paper: nothing waits, nothing is sent.
    func send(_ symbol: Symbol, _ trader: inout SymbolTrader<Venue>, _ outcome: inout EngineJournal) async {
        guard let exchange else { return }
        for _ in 0..<3 {
            let commands = Venue.takeCommands(&trader)
            guard !commands.isEmpty else { return }
            for command in commands {
                let result: BitGetVenue.Outcome
                if let id = command.clientOrderID, let row = orderRow(command, trader) {
                    // Written before it leaves, so a crash in flight leaves a row to resolve it by; not sent otherwise.
                    let journal = self.journal
                    do {
                        try await store.run { _ in try journal.recordSending([row]) }
                        openOrders[id] = row
                        sentAt[id] = Self.now()
                    } catch {
                        logger.error("an order is not sent: the store cannot record it first", metadata: ["symbol": "\(symbol)", "order": "\(id)", "error": "\(error)"])
                        outcome.append(Venue.apply([.orderRejected(id, reason: "not sent: the store cannot record it (\(error))", time: trader.engine.lastTime)],
                                                   to: &trader))
                        continue
                    }
                }
                do {
                    result = try await exchange.venue.execute(command, symbol: symbol)
                } catch {
                    // Only a cancellation (shutdown) ends a command early: what it did is found by reconciliation.
                    result = BitGetVenue.Outcome(events: [], halt: "stopped while sending \(command.clientOrderID?.rawValue ?? "a command"): reconciled at the next start")
                }
                outcome.append(Venue.apply(result.events, to: &trader))
                if result.closedAtExchange {
                    // The position closed at the exchange before this command (its stop fired between two
                    // reconciliations): the next tick's reconciliation books how; entries wait for it.
                    logger.notice("the position is already closed at the exchange; reconciling", metadata: ["symbol": "\(symbol)"])
                    unreconciled[symbol] = "the position closed at the exchange"
                    lastReconciled[symbol] = nil
                } else if let halt = result.halt {
                    logger.error("the exchange halts the symbol", metadata: ["symbol": "\(symbol)", "reason": "\(halt)"])
                    outcome.append(trader.halt(reason: halt).1)
                }
            }
        }
        let left = Venue.takeCommands(&trader)
        if !left.isEmpty {
            logger.error("commands left unsent after three rounds (the next reconciliation settles them)",
                         metadata: ["symbol": "\(symbol)", "commands": "\(left.count)"])
        }
    }

    /// Reconciles the symbols whose last agreement is older than the interval (all at start: `force`).
    func reconcileDue(force: Bool = false) async {
        guard let exchange else { return }
        let now = ContinuousClock.now
        for symbol in traders.keys.sorted() {
            if !force, let last = lastReconciled[symbol], now - last < .milliseconds(Int64(exchange.reconcileSeconds * 1000)) { continue }
            lastReconciled[symbol] = now
            await reconcile(symbol, exchange: exchange)
        }
    }

    /// One reconciliation of `symbol`: the book's position and in-flight orders against the exchange's,
    /// the venue's actions carried out, the book's own applied; then the symbol trades only while they
    /// agree. An exchange that cannot be read blocks the symbol's entries and alerts (its stop stays armed).
    func reconcile(_ symbol: Symbol, exchange: DeskExchange) async {
        guard var trader = traders[symbol] else { return }
        let now = Self.now()
        // When each was sent by this machine's clock (the venue's grace period counts from it); one sent
        // before a restart counts as sent now, which only delays a "never received" verdict.
        let inFlight = Dictionary(openOrders.values.filter { $0.symbol == symbol.name }.map {
            let id = ClientOrderID(rawValue: $0.clientOrderID)
            return (id, sentAt[id] ?? now)
        }) { first, _ in first }
        sentAt = sentAt.filter { openOrders[$0.key] != nil }
        let believed = BelievedState(position: trader.engine.account.position, inFlight: inFlight.keys.sorted())
        let actions: [ReconciliationAction], performed: BitGetVenue.Outcome, bookActions: [ReconciliationAction]
        do {
            (actions, performed, bookActions) = try await exchange.venue.reconcile(symbol: symbol, believed: believed, inFlight: inFlight, rules: exchange.rules)
        } catch {
            if unreconciled[symbol] != Self.unreadable {
                await note(symbol, "reconcile_failed", "reconciliation failed: \(error); no entries until the exchange and the book agree (the stop stays armed)",
                           level: .error)
            }
            unreconciled[symbol] = Self.unreadable
            publish(symbol, trader, blocked: "reconciling")
            return
        }
        if actions.isEmpty {
            if let was = unreconciled.removeValue(forKey: symbol) {
                if was == Self.unreadable { await note(symbol, "reconciled", "the exchange and the book agree again: entries allowed") }
                publish(symbol, trader)
            }
            return
        }
        // The book's side in the venue's order: what the store missed (fills, orders that never were, an
        // adopted position) before what the venue did about it (the stop it placed, the close it booked).
        var outcome = EngineJournal()
        var waiting: String?
        for action in bookActions {
            switch action {
            case let .bookFill(_, fill):
                outcome.append(Venue.apply([.orderFilled(fill, exitReason: nil)], to: &trader))
            case let .forgetOrder(id, _):
                outcome.append(Venue.apply([.orderCanceled(id, time: trader.engine.lastTime)], to: &trader))
            case let .adoptPosition(reported) where trader.engine.account.position == nil:
                let fill = Fill(clientOrderID: nil, side: reported.side == .long ? .buy : .sell, size: reported.size, price: reported.entryPrice, fee: 0,
                                liquidity: .taker, leverage: reported.leverage, time: trader.engine.lastTime)
                outcome.append(Venue.adopt(fill, to: &trader))
            case .adoptPosition:
                outcome.append(trader.halt(reason: "the exchange's position differs from the book's: resolve it on the exchange, then /resume").1)
            default:
                break
            }
        }
        outcome.append(Venue.apply(performed.events, to: &trader))
        for action in bookActions {
            switch action {
            case let .bookClosedAtVenue(position):
                // Closed at the exchange by hand or by its liquidation: booked at the last close, without the exchange's fee.
                let price = trader.engine.lastClose
                let fill = Fill(clientOrderID: nil, side: position.side == .long ? .sell : .buy, size: position.size, price: price, fee: 0,
                                liquidity: .taker, leverage: position.leverage, time: trader.engine.lastTime)
                outcome.append(Venue.apply([.protectionTriggered(.halt, fill)], to: &trader))
                await note(symbol, "reconcile", "the \(position.side.rawValue) position closed at the exchange outside the bot (by hand or liquidated): "
                           + "booked at the last close \(OperatorView.decimal(price)) without its fee; the exchange's records have the exact figures", level: .warning)
            case let .retryLater(reason):
                waiting = reason
            default:
                break
            }
        }
        if let halt = performed.halt {
            outcome.append(trader.halt(reason: halt).1)
        }
        await send(symbol, &trader, &outcome)
        var entry = journalEntry(symbol, &trader, outcome, bar: nil)
        entry.events.append(EventRow(kind: "reconcile", message: "reconciled with the exchange: "
                                     + actions.map(AccountReconciliation.describe).joined(separator: "; ")))
        // Entries wait until a pass finds nothing to do (the next tick's).
        unreconciled[symbol] = waiting ?? "settling what the last reconciliation changed"
        lastReconciled[symbol] = nil
        traders[symbol] = trader
        publish(symbol, trader, blocked: "reconciling", riskChanges: outcome.riskEvents)
        await write(entry, bar: nil)
    }
}

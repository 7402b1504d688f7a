import BitGet
import Foundation
import MarketModel
import Reconciliation
import Storage
import TradingEngine

extension TradingDesk {
    /// Why a symbol waits: its exchange could not be read, or its position there is not the book's.
    static var unreadable: String { "the exchange cannot be read" }
    static var differs: String { "the exchange's position differs from the book's" }
}

/// The live account's side of the desk: what the exchange is, and how often it is compared with the books.
struct DeskExchange: Sendable {
    let venue: BitGetVenue
    /// The account's private stream (its pushes trigger reconciliations).
    let stream: BitGetPrivateStream
    let rules: Reconciliation.Rules
    /// Seconds between two reconciliations of a symbol.
    let reconcileSeconds: Double
    /// The account's USDT equity when the start-up checks read it.
    let accountEquity: Double
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
                if case let .cancel(id) = command, trader.engine.unresolvedOrder == id || openOrders[id]?.status == "unknown" {
                    // A cancel "not found" of an order still in transit would read as cancelled: its outcome is
                    // left to reconciliation, which waits out the grace period.
                    logger.notice("no cancel for an order of unknown outcome; reconciliation resolves it", metadata: ["symbol": "\(symbol)", "order": "\(id)"])
                    continue
                }
                if let id = command.clientOrderID, let row = orderRow(command, trader), !(await recordBeforeSending(row, id, symbol, &trader, &outcome)) {
                    continue
                }
                let result: BitGetVenue.Outcome
                do {
                    result = try await exchange.venue.execute(command, symbol: symbol)
                } catch {
                    // Only a cancellation (shutdown) ends a command early: its outcome is unknown until reconciliation.
                    let reason = "stopped while sending \(command.clientOrderID?.rawValue ?? "a command"): reconciled at the next start"
                    result = BitGetVenue.Outcome(events: command.clientOrderID.map { [.orderOutcomeUnknown($0, reason: reason, time: trader.engine.lastTime)] } ?? [],
                                                 halt: reason)
                }
                keepOwnOrders(result.ownOrders, of: trader)
                outcome.append(Venue.apply(result.events, to: &trader))
                if result.closedAtExchange {
                    // The position closed at the exchange before this command (its stop fired between two
                    // reconciliations): the next tick's reconciliation books how; entries wait for it.
                    logger.notice("the position is already closed at the exchange; reconciling", metadata: ["symbol": "\(symbol)"])
                    unreconciled[symbol] = "the position closed at the exchange"
                    nextReconciliation[symbol] = .now
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

    /// Stores an order's row (`submitted`) before it leaves, so a crash in flight leaves a row to resolve it
    /// by. Not sent (refused to the engine) when the store cannot take it, or when the id has a row already
    /// (sent before a restart that re-traded its bar: its outcome is reconciliation's). Whether to send.
    private func recordBeforeSending(_ row: OrderRow, _ id: ClientOrderID, _ symbol: Symbol, _ trader: inout SymbolTrader<Venue>,
                                     _ outcome: inout EngineJournal) async -> Bool {
        let journal = self.journal
        let refusal: String
        do {
            guard let existing = try await store.run({ _ in try journal.recordSending(row) }) else {
                openOrders[id] = row
                sentAt[id] = Self.now()
                return true
            }
            // Its row is not this bar's to write (it keeps the outcome it has or will get).
            keepsItsRow.insert(id)
            logger.warning("an order decided again after a restart is not sent again", metadata: ["symbol": "\(symbol)", "order": "\(id)", "row": "\(existing)"])
            if ["submitted", "accepted", "unknown"].contains(existing) {
                // Its outcome is still open: the engine's working order waits for reconciliation to settle it.
                nextReconciliation[symbol] = .now
                return false
            }
            refusal = "not sent again: it was sent before a restart and is \(existing)"
        } catch {
            refusal = "not sent: the store cannot record it (\(error))"
        }
        logger.error("an order is not sent", metadata: ["symbol": "\(symbol)", "order": "\(id)", "reason": "\(refusal)"])
        outcome.append(Venue.apply([.orderRejected(id, reason: refusal, time: trader.engine.lastTime)], to: &trader))
        return false
    }

    /// A live book's funding at the settlement that closes with this bar: the rate published for `close`
    /// (the exchange's own, from `history-fund-rate`), or, at the contract's interval when it is not
    /// published yet, the latest one known, on the position's value at the bar's close (the exchange uses
    /// its mark price then: the book's figure may differ by that difference). Paper: nothing here.
    func settleLiveFunding(_ symbol: Symbol, _ trader: inout SymbolTrader<Venue>, close: Int64, onGrid: Bool, markPrice: Double) -> EngineJournal {
        guard exchange != nil, trader.engine.account.position != nil, let latest = funding.latest(symbol, at: close),
              latest.time == close || onGrid else { return EngineJournal() }
        if latest.time != close {
            logger.warning("funding booked at the latest published rate: the settlement's own is not published yet",
                           metadata: ["symbol": "\(symbol)", "settlement": "\(UTCTime.format(close))", "rate": "\(latest.rate)"])
        }
        return Venue.settleFunding(&trader, rate: latest.rate, markPrice: markPrice, time: close)
    }

    /// Keeps the rows of the orders the venue sent on its own (stored by the venue's journal before they
    /// left): their fills then update them, and one left without an outcome is in flight for reconciliation.
    /// Each is written with the next journal entry even when no event of it is applied (the venue's
    /// journal may have failed to store it), so a restart finds it.
    func keepOwnOrders(_ requests: [OrderRequest], of trader: SymbolTrader<Venue>) {
        for request in requests {
            let id = ClientOrderID(rawValue: request.clientOrderID)
            guard openOrders[id] == nil else { continue }
            openOrders[id] = Self.ownOrderRow(request, at: trader.engine.lastTime)
            sentAt[id] = sentAt[id] ?? Self.now()
            unsavedOwnOrders.insert(id)
        }
    }

    /// Reconciles the symbols whose next reconciliation is due (all at start: `force`).
    func reconcileDue(force: Bool = false) async {
        guard let exchange else { return }
        for symbol in traders.keys.sorted() where force || (nextReconciliation[symbol].map { $0 <= .now } ?? true) {
            nextReconciliation[symbol] = .now + .milliseconds(Int64(exchange.reconcileSeconds * 1000))
            lastPass[symbol] = .now
            await reconcile(symbol, exchange: exchange)
        }
    }

    /// One reconciliation of `symbol`: the book's position and in-flight orders against the exchange's,
    /// the venue's actions carried out, the book's own applied; then the symbol trades only while they
    /// agree. An exchange that cannot be read, or a position that differs from the book's, blocks the
    /// symbol's entries and alerts (its stop stays armed).
    func reconcile(_ symbol: Symbol, exchange: DeskExchange) async {
        guard var trader = traders[symbol] else { return }
        let now = Self.now()
        // When each was sent by this machine's clock (the venue's grace period counts from it; an order
        // loaded at start counts from the start, which only delays a "never received" verdict).
        let inFlight = Dictionary(openOrders.values.filter { $0.symbol == symbol.name }.map {
            let id = ClientOrderID(rawValue: $0.clientOrderID)
            return (id, sentAt[id] ?? now)
        }) { first, _ in first }
        for id in inFlight.keys where sentAt[id] == nil { sentAt[id] = now }
        sentAt = sentAt.filter { openOrders[$0.key] != nil }
        let believed = BelievedState(position: trader.engine.account.position, inFlight: inFlight.keys.sorted())
        let actions: [ReconciliationAction], performed: BitGetVenue.Outcome, bookActions: [ReconciliationAction]
        do {
            (actions, performed, bookActions) = try await exchange.venue.reconcile(symbol: symbol, believed: believed, inFlight: inFlight, rules: exchange.rules)
        } catch {
            await blockEntries(symbol, trader, Self.unreadable, alert: "reconciliation failed: \(error); no entries until the exchange and the book agree (the stop stays armed)")
            return
        }
        if actions.isEmpty {
            lastActions[symbol] = nil
            closedUnexplainedSince[symbol] = nil
            if let was = unreconciled.removeValue(forKey: symbol) {
                if was == Self.unreadable || was == Self.differs { await note(symbol, "reconciled", "the exchange and the book agree again: entries allowed") }
                publish(symbol, trader)
            }
            return
        }
        // The book's side in the venue's order: what the store missed (fills with the stop their order was
        // sent with, orders that never were, an adopted position) before what the venue did about it (the
        // stop it placed, the close it booked).
        var outcome = EngineJournal()
        var waiting: String?, differs = false
        for action in bookActions {
            switch action {
            case let .bookFill(id, fill):
                // A halt's close (the engine's or the venue's own) keeps its reason; others are the engine's decisions.
                outcome.append(Venue.apply([.orderFilled(fill, exitReason: id.purpose == .halt ? .halt : nil)], to: &trader))
                if id.purpose == .entry, let row = openOrders[id], let stop = row.stopLoss.flatMap(Double.init) {
                    outcome.append(Venue.apply([.protectionArmed(stopLoss: stop, takeProfit: row.takeProfit.flatMap(Double.init), time: fill.time)], to: &trader))
                }
            case let .forgetOrder(id, _):
                outcome.append(Venue.apply([.orderCanceled(id, time: trader.engine.lastTime)], to: &trader))
            case let .adoptPosition(reported) where trader.engine.account.position == nil:
                let fill = Fill(clientOrderID: nil, side: reported.side == .long ? .buy : .sell, size: reported.size, price: reported.entryPrice, fee: 0,
                                liquidity: .taker, leverage: reported.leverage, time: trader.engine.lastTime)
                outcome.append(Venue.adopt(fill, to: &trader))
            case .adoptPosition:
                differs = true
            default:
                break
            }
        }
        keepOwnOrders(performed.ownOrders, of: trader)
        outcome.append(Venue.apply(performed.events, to: &trader))
        for action in bookActions {
            switch action {
            case .bookClosedAtVenue where (closedUnexplainedSince[symbol].map { now - $0 < 30_000 } ?? true):
                // Gone at the exchange with no fired stop to show for it yet (its history may lag the position):
                // asked again for 30 s before it counts as closed by hand.
                if closedUnexplainedSince[symbol] == nil { closedUnexplainedSince[symbol] = now }
                waiting = "the position closed at the exchange; waiting for its fill to show"
            case let .bookClosedAtVenue(position):
                // Closed at the exchange by hand or by its liquidation: booked at the last close, without the exchange's fee.
                closedUnexplainedSince[symbol] = nil
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
        // One line per new set of actions (a pass that keeps finding the same ones says so once).
        let described = actions.map(AccountReconciliation.describe).joined(separator: "; ")
        let key = actions.map { if case .retryLater = $0 { "wait" } else { AccountReconciliation.describe($0) } }.joined(separator: "; ")
        if lastActions[symbol] != key {
            entry.events.append(EventRow(kind: "reconcile", message: "reconciled with the exchange: " + described))
            lastActions[symbol] = key
        }
        traders[symbol] = trader
        await write(entry, bar: nil)
        if differs {
            // The book's position is not the exchange's (a size or entry changed by hand): nothing is closed
            // or adopted over it; the operator decides.
            await blockEntries(symbol, trader, Self.differs, alert: "the exchange's position differs from the book's (changed by hand?); no entries "
                               + "until they agree: close or restore it on the exchange (its stop stays armed)")
        } else {
            // Entries wait until a pass finds nothing to do, which comes again soon.
            unreconciled[symbol] = waiting ?? "settling what the last reconciliation changed"
            publish(symbol, trader, blocked: "reconciling", riskChanges: outcome.riskEvents)
        }
        nextReconciliation[symbol] = .now + .milliseconds(Int64(min(exchange.reconcileSeconds, 5) * 1000))
    }

    /// A push from the exchange about `symbols`: reconciled at the next tick, but not within 2 s of their
    /// last pass (a pass's own cancels and re-arms push too).
    func exchangeChanged(_ symbols: [Symbol]) {
        for symbol in symbols {
            let soonest = (lastPass[symbol] ?? .now - .seconds(2)) + .seconds(2)
            nextReconciliation[symbol] = min(nextReconciliation[symbol] ?? soonest, max(.now, soonest))
        }
    }

    /// Blocks the symbol's entries for `reason`, alerting once (critically) when the reason is new.
    private func blockEntries(_ symbol: Symbol, _ trader: SymbolTrader<Venue>, _ reason: String, alert: String) async {
        if unreconciled[symbol] != reason { await note(symbol, "reconcile_failed", alert, level: .error) }
        unreconciled[symbol] = reason
        publish(symbol, trader, blocked: "reconciling")
    }
}

import Foundation
import MarketModel
import Reconciliation

extension BitGetVenue {
    /// What the exchange reports about `symbol` for the pure reconciliation: the position, its TP/SL
    /// orders, working orders the store did not send, and the outcome of every in-flight order by its
    /// client id. `inFlight` maps each to when it was sent (this machine's clock, UTC ms): an order the
    /// exchange does not hold counts as never placed only after the grace period from that time, so the
    /// time is required (none known: pass the time of the restart, which only delays the verdict). A read
    /// that fails throws: reconciliation then fails closed.
    public func report(symbol: Symbol, inFlight: [ClientOrderID: Int64]) async throws -> VenueReport {
        try await exclusively(symbol) { try await readReport(symbol: symbol, inFlight: inFlight) }
    }

    /// The symbols of every open position on the account (a read), e.g. to find positions on symbols
    /// the trader does not trade.
    public func symbolsWithPositions() async throws -> [String] {
        try await client.positions().filter { $0.size > 0 }.map { $0.symbol.uppercased() }
    }

    private func readReport(symbol: Symbol, inFlight: [ClientOrderID: Int64]) async throws -> VenueReport {
        let position = try await openPosition(symbol)
        let plans = try await client.positionProtection(symbol: symbol).filter { $0.kind != nil }
        let working = try await client.openOrders(symbol: symbol)
        let inFlightIDs = Set(inFlight.keys.map(\.rawValue))
        var resolutions: [ClientOrderID: OrderResolution] = [:]
        for (id, sent) in inFlight.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let side: OrderSide = id.purpose == .entry ? (position?.side == "short" ? .sell : .buy) : (position?.side == "short" ? .buy : .sell)
            switch await client.lookUp(symbol: symbol, clientOrderID: id.rawValue) {
            case let .found(order):
                let orderSide: OrderSide = order.side.lowercased() == "sell" ? .sell : (order.side.lowercased() == "buy" ? .buy : side)
                guard let fill = fill(of: order, id: id, side: orderSide, leverage: position?.leverage ?? 1) else {
                    // Nothing filled, or a fill whose price the exchange does not show yet (never booked at 0).
                    // Only an order the exchange says it cancelled is final with nothing filled; a `filled`
                    // whose volume lags, or a state not known here, stays unknown.
                    if order.filledSize > 0 {
                        resolutions[id] = .unknown("\(order.filledSize) filled without an average price yet")
                    } else if ["live", "new", "init"].contains(order.state) {
                        resolutions[id] = .working
                    } else if ["canceled", "cancelled"].contains(order.state) {
                        resolutions[id] = .notExecuted("\(order.state) at the exchange with nothing filled")
                    } else {
                        resolutions[id] = .unknown("\(order.state.isEmpty ? "no state" : order.state) with nothing filled shown")
                    }
                    continue
                }
                switch order.state {
                case "filled": resolutions[id] = .filled(fill)
                case "partially_filled": resolutions[id] = .partiallyFilled(fill, stillWorking: true)
                case "live", "new", "init": resolutions[id] = .working
                case "canceled", "cancelled":
                    resolutions[id] = order.filledSize > 0 ? .partiallyFilled(fill, stillWorking: false) : .notExecuted("cancelled at the exchange")
                default: resolutions[id] = .unknown("state \(order.state)")
                }
            case .notFound:
                resolutions[id] = .notFound(secondsSinceSubmission: max(0, Double(clock() - sent) / 1000))
            case .unknown:
                resolutions[id] = .unknown("order/detail cannot be read")
            }
        }
        return VenueReport(
            position: position.map { ReportedPosition(side: $0.side == "short" ? .short : .long, size: $0.size, entryPrice: $0.entryPrice,
                                                      leverage: $0.leverage) },
            protections: plans.map {
                ReportedProtection(kind: $0.kind == .stopLoss ? .stopLoss : .takeProfit, venueOrderID: $0.orderID, trigger: $0.triggerPrice)
            },
            strayOrders: working.filter { !inFlightIDs.contains($0.clientOrderID) }.map(\.orderID),
            resolutions: resolutions)
    }

    /// One reconciliation of `symbol` while nothing else runs for it: the report, the pure rules on what
    /// the store believes, and the venue side of the actions. Returns the actions decided, and what
    /// `perform` returns (empty when they agree).
    public func reconcile(symbol: Symbol, believed: BelievedState, inFlight: [ClientOrderID: Int64], rules: Reconciliation.Rules) async throws
        -> (actions: [ReconciliationAction], outcome: Outcome, storeActions: [ReconciliationAction])
    {
        try await exclusively(symbol) {
            let report = try await readReport(symbol: symbol, inFlight: inFlight)
            let actions = Reconciliation.reconcile(believed: believed, report: report, rules: rules)
            if actions.isEmpty { return ([], Outcome(), []) }
            let performed = try await carryOut(actions, symbol: symbol)
            return (actions, performed.outcome, performed.storeActions)
        }
    }

    /// Carries out the venue side of reconciliation actions (flatten, arm protection, cancels) and returns
    /// the events they caused and the store-side actions left for the runtime (book a fill, forget an
    /// order, adopt a position, book a close), in order. A halt or retry stops the list there.
    public func perform(_ actions: [ReconciliationAction], symbol: Symbol) async throws
        -> (outcome: Outcome, storeActions: [ReconciliationAction])
    {
        try await exclusively(symbol) { try await carryOut(actions, symbol: symbol) }
    }

    private func carryOut(_ actions: [ReconciliationAction], symbol: Symbol) async throws
        -> (outcome: Outcome, storeActions: [ReconciliationAction])
    {
        var outcome = Outcome()
        var storeActions: [ReconciliationAction] = []
        guard let contract = contracts[symbol] else { return (Outcome(halt: "\(symbol) has no contract specification"), []) }
        for action in actions {
            switch action {
            case let .bookClosedAtVenue(position):
                // Closed at the exchange while the engine held the position: booked with the exchange's own
                // fill (price, fee, time). A close not made by a TP/SL (by hand, a liquidation; the venue's own
                // closes are in flight under their ids and booked by them) is left to the runtime; one that cannot be read or does not fit halts.
                switch await exchangeClose(symbol: symbol, of: position) {
                case let .found(reason, fill): outcome.events.append(.protectionTriggered(reason, fill))
                case .none: storeActions.append(action)
                case let .unsettled(reason):
                    outcome.halt = "\(symbol) closed at the exchange, but its close cannot be booked: \(reason)"
                    return (outcome, storeActions)
                }
            case .bookFill, .forgetOrder, .adoptPosition:
                storeActions.append(action)
            case let .flatten(reason):
                logger.warning("reconciliation flattens a position", metadata: ["symbol": "\(symbol)", "reason": "\(reason)"])
                let close = try await closeForSafety(symbol: symbol, contract: contract)
                outcome.events += close.events
                outcome.ownOrders += close.ownOrders
                if let halt = close.halt { outcome.halt = halt; return (outcome, storeActions) }
            case let .armProtection(stopLoss, takeProfit):
                try await protect(symbol: symbol, contract: contract, stopLoss: stopLoss, takeProfit: takeProfit, outcome: &outcome)
                if outcome.halt != nil { return (outcome, storeActions) }
            case let .cancelOrders(ids, _):
                // Plan ids go to cancel-plan-order (with symbol, plan type and ids), the rest to cancel-order;
                // which is which is read first, and an unreadable list or a failed cancel halts here.
                do {
                    let plans = try await client.positionProtection(symbol: symbol)
                    try await cancelPlans(plans.filter { ids.contains($0.orderID) }, symbol: symbol)
                    for id in ids where !plans.contains(where: { $0.orderID == id }) {
                        try await client.cancelStrayOrder(symbol: symbol, orderID: id)
                    }
                } catch let error as CancellationError {
                    throw error
                } catch {
                    outcome.halt = "orders of \(symbol) the store does not know could not be cancelled: \(error)"
                    return (outcome, storeActions)
                }
            case let .cancelOrder(id, _):
                let cancelled = try await cancel(id, symbol: symbol)
                if let halt = cancelled.halt { outcome.halt = halt; return (outcome, storeActions) }
            case let .retryLater(reason):
                outcome.halt = nil
                storeActions.append(.retryLater(reason: reason))
                return (outcome, storeActions)
            case let .halt(reason):
                outcome.halt = reason
                return (outcome, storeActions)
            }
        }
        return (outcome, storeActions)
    }
}

extension BitGetVenue {
    enum ExchangeClose {
        /// The fill that closed the position, and why.
        case found(ExitReason, Fill)
        /// No TP/SL of this position fired: closed by hand or liquidated.
        case none
        /// What the exchange shows cannot be read, or does not fit the position: book nothing.
        case unsettled(String)
    }

    /// How the exchange closed `position`: the newest executed `pos_loss`/`pos_profit` of the position's side after it opened and not booked
    /// before, with its market order's fill, which must be the position's whole size.
    func exchangeClose(symbol: Symbol, of position: Position) async -> ExchangeClose {
        guard position.openedAt > 0 else { return .unsettled("the position's opening time is not known, so no fired stop can be matched to it") }
        let executed: [PositionPlanOrder]
        do {
            executed = try await client.executedPositionProtection(symbol: symbol)
        } catch {
            return .unsettled("orders-plan-history cannot be read: \(error)")
        }
        let side = position.side.rawValue
        guard let fired = executed.first(where: {
            $0.updatedTime >= position.openedAt && !$0.executeOrderID.isEmpty && ($0.holdSide.isEmpty || $0.holdSide == side)
                && !bookedExchangeCloses.contains($0.executeOrderID)
        }) else { return .none }
        let order: ExchangeOrder
        do {
            order = try await client.order(symbol: symbol, orderID: fired.executeOrderID)
        } catch {
            return .unsettled("the order \(fired.executeOrderID) that closed it cannot be read: \(error)")
        }
        guard order.filledSize > 0, let price = order.averagePrice, price > 0 else {
            return .unsettled("the order \(fired.executeOrderID) that closed it shows no fill yet")
        }
        // The whole position, or less when it was shrunk by hand before (the book keeps the rest, which the
        // next pass finds closed and books as such); never more than the book holds.
        let tolerance = (contracts[symbol]?.sizeStep ?? 0) / 2
        guard order.filledSize <= position.size + tolerance else {
            return .unsettled("the \(fired.planType) fired for \(order.filledSize), the position booked is \(position.size)")
        }
        bookedExchangeCloses.insert(fired.executeOrderID)
        let fill = Fill(clientOrderID: nil, side: position.side == .long ? .sell : .buy, size: order.filledSize, price: price,
                        fee: abs(order.fee), liquidity: .taker, leverage: position.leverage,
                        time: order.updatedTime > 0 ? order.updatedTime : fired.updatedTime)
        return .found(fired.kind == .stopLoss ? .stop : .takeProfit, fill)
    }
}

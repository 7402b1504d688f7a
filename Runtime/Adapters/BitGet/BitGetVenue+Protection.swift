import Foundation
import MarketModel

extension BitGetVenue {
    /// Makes the exchange hold exactly one `pos_loss` at `stopLoss` (and one `pos_profit` at `takeProfit`)
    /// for the open position of `symbol` (nil: keep the trigger it has), placing a missing one, moving a
    /// misplaced one in place and cancelling extras by id, then reading the list back until it agrees. A
    /// stop not confirmed in `stopConfirmationSeconds` closes the position and halts the symbol; a
    /// take-profit that cannot be confirmed is logged (the stop is what protects the money). When
    /// `amending`, a stop that could not be moved but still stands (one `pos_loss`, as read last) is kept
    /// and booked where it is instead.
    func protect(symbol: Symbol, contract: ContractSpec, stopLoss: Double?, takeProfit: Double?, amending: Bool = false,
                 outcome: inout Outcome) async throws {
        let deadline = clock() + Int64(settings.stopConfirmationSeconds * 1000)
        var problem = "not confirmed yet"
        var refusals = 0
        var confirmed: (stop: Double, profit: Double?)?
        while confirmed == nil {
            let read = await readPosition(symbol)
            if case let .open(position) = read,
               let listed = try? await client.positionProtection(symbol: symbol) {
                let (plans, strays) = Self.protecting(position, listed)
                // A TP/SL left over from an earlier position of the other side protects nothing: cancel it.
                try? await cancelPlans(strays, symbol: symbol)
                let stops = plans.filter { $0.kind == .stopLoss }
                let profits = plans.filter { $0.kind == .takeProfit }
                guard let stopTarget = (stopLoss ?? stops.first?.triggerPrice).flatMap({ Double(contract.priceText($0)) }) else {
                    problem = "no stop-loss price to arm"
                    break
                }
                let profitTarget = (takeProfit ?? profits.first?.triggerPrice).flatMap { Double(contract.priceText($0)) }
                let stopReady = try await keepOne(.stopLoss, of: stops, at: stopTarget, symbol: symbol, side: position.side,
                                                  contract: contract, problem: &problem, refusals: &refusals)
                var profitReady = true
                if let profitTarget {
                    profitReady = try await keepOne(.takeProfit, of: profits, at: profitTarget, symbol: symbol, side: position.side,
                                                    contract: contract, problem: &problem, refusals: &refusals)
                }
                if stopReady, profitReady || clock() >= deadline {
                    if !profitReady {
                        logger.warning("the take-profit could not be confirmed at the exchange; the stop is", metadata: ["symbol": "\(symbol)"])
                    }
                    confirmed = (stopTarget, profitReady ? profitTarget : nil)
                    break
                }
            } else if case .flat = read {
                outcome.halt = "\(symbol) is flat at the exchange while a stop was being armed (a stop or a liquidation fired?); reconcile"
                outcome.closedAtExchange = true
                return
            } else {
                problem = "positions or plan orders cannot be read"
            }
            // Cancelled (shutdown): stop waiting; the position is then closed below, never left unconfirmed.
            if clock() >= deadline || refusals >= 3 || Task.isCancelled { break }
            try? await Task.sleep(nanoseconds: UInt64(settings.pollSeconds * 1e9))
        }
        if let confirmed {
            outcome.events.append(.protectionArmed(stopLoss: confirmed.stop, takeProfit: confirmed.profit, time: clock()))
            return
        }
        if amending, let standing = await standingProtection(symbol) {
            // The stop could not be moved, but one stop still protects the position (read after the last
            // attempt): keep it (flattening a protected position because an amend failed would be the worse
            // trade) and book where it is.
            logger.warning("the stop could not be moved at the exchange; it stays where it was", metadata: [
                "symbol": "\(symbol)", "stop": "\(standing.stop)", "wanted": "\(stopLoss.map { "\($0)" } ?? "-")", "problem": "\(problem)",
            ])
            outcome.events.append(.protectionArmed(stopLoss: standing.stop, takeProfit: standing.profit, time: clock()))
            return
        }
        // Principle 6: a live position without a confirmed exchange-side stop is closed.
        logger.error("no confirmed stop at the exchange: closing the position", metadata: ["symbol": "\(symbol)", "problem": "\(problem)"])
        let close = try await closeForSafety(symbol: symbol, contract: contract)
        outcome.events += close.events
        outcome.ownOrders += close.ownOrders
        outcome.halt = "the stop of \(symbol) could not be confirmed at the exchange within \(settings.stopConfirmationSeconds) s (\(problem)); "
            + (close.halt.map { "closing it failed too: \($0)" } ?? "the position was closed")
    }

    /// The TP/SL orders that protect `position`, and those left over from a position of the other side.
    /// BitGet may not name the side in one-way mode (`holdSide` empty): such a plan counts as the position's.
    static func protecting(_ position: ExchangePosition, _ plans: [PositionPlanOrder]) -> (mine: [PositionPlanOrder], strays: [PositionPlanOrder]) {
        let positional = plans.filter { $0.kind != nil }
        let mine = positional.filter { $0.holdSide.isEmpty || $0.holdSide == position.side }
        return (mine, positional.filter { !$0.holdSide.isEmpty && $0.holdSide != position.side })
    }

    /// The one stop (and take-profit) protecting the open position now, read afresh; nil unless exactly one stop.
    private func standingProtection(_ symbol: Symbol) async -> (stop: Double, profit: Double?)? {
        guard case let .open(position) = await readPosition(symbol), let listed = try? await client.positionProtection(symbol: symbol) else {
            return nil
        }
        let plans = Self.protecting(position, listed).mine
        let stops = plans.filter { $0.kind == .stopLoss }, profits = plans.filter { $0.kind == .takeProfit }
        guard stops.count == 1 else { return nil }
        return (stops[0].triggerPrice, profits.count == 1 ? profits[0].triggerPrice : nil)
    }

    /// Cancels `plans` by symbol, plan type and their ids (never without ids: BitGet would cancel every
    /// plan order of the symbol), one request per plan type; returns the ids the exchange reported failed.
    @discardableResult
    func cancelPlans(_ plans: [PositionPlanOrder], symbol: Symbol) async throws -> [String] {
        var failed: [String] = []
        for kind in [PositionPlanOrder.Kind.stopLoss, .takeProfit] {
            let ids = plans.filter { $0.kind == kind }.map(\.orderID)
            if !ids.isEmpty { failed += try await client.cancelPositionProtection(symbol: symbol, kind: kind, orderIDs: ids) }
        }
        return failed
    }

    /// One step towards exactly one plan of `kind` at `target`: true when that is what the exchange holds.
    private func keepOne(_ kind: PositionPlanOrder.Kind, of plans: [PositionPlanOrder], at target: Double, symbol: Symbol, side: String,
                         contract: ContractSpec, problem: inout String, refusals: inout Int) async throws -> Bool {
        let tolerance = contract.tickSize / 2
        if plans.count > 1 {
            let keep = plans.min { abs($0.triggerPrice - target) < abs($1.triggerPrice - target) }!
            let extras = plans.filter { $0.orderID != keep.orderID }
            try? await cancelPlans(extras, symbol: symbol)
            problem = "\(extras.count) duplicate \(kind.rawValue) cancelled"
            return false
        }
        if let plan = plans.first {
            if abs(plan.triggerPrice - target) <= tolerance { return true }
            do {
                try await client.modifyPositionProtection(symbol: symbol, orderID: plan.orderID, triggerPrice: contract.priceText(target))
            } catch {
                problem = "modify-tpsl-order \(kind.rawValue): \(error)"
                if case .rejected? = error as? BitGetError, kind == .stopLoss { refusals += 1 }  // a refusal will not change on its own
            }
            return false
        }
        let clientID = "\(symbol.name)-\(kind == .stopLoss ? "SL" : "TP")-\(clock())"
        switch try await client.placePositionProtection(symbol: symbol, kind: kind, triggerPrice: contract.priceText(target),
                                                        holdSide: side == "short" ? .short : .long, clientOrderID: clientID) {
        case .placed: problem = "\(kind.rawValue) placed; reading it back"
        case let .rejected(code, message):
            problem = "place-tpsl-order \(kind.rawValue) refused: \(code) \(message)"
            if kind == .stopLoss { refusals += 1 }
        case let .unknown(reason): problem = "place-tpsl-order \(kind.rawValue): \(reason)"
        }
        return false
    }
}

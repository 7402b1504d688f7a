import Foundation
import MarketModel
import TradingEngine

/// Position take-profit and stop-loss orders, as BitGet keeps them: a position holds at most one
/// `pos_loss` and one `pos_profit` (placing another replaces it [inferred]); they trigger on the mark
/// price (here the market's price, bar by bar, through the book's venue) and close the whole position at
/// market. Closing a position by an order leaves them listed but inert (leftovers a client must cancel);
/// a trigger executes one and cancels its sibling.
extension SimulatedAccounts {
    struct PlanOrder: Sendable {
        var id: String
        var clientID: String
        var symbol: Symbol
        /// `pos_loss` or `pos_profit`.
        var planType: String
        /// USDT.
        var triggerPrice: Double
        /// `mark_price` or `fill_price`.
        var triggerType: String
        /// `long` or `short`: the side of the position it protects.
        var holdSide: String
        /// `live`, `executed` or `cancelled` (BitGet's plan-order statuses).
        var status: String
        var created: Int64
        var updated: Int64
        /// The market order an executed plan closed the position with (`executeOrderId`).
        var executeOrderID: String?
    }

    static let positionPlanTypes: Set<String> = ["pos_loss", "pos_profit"]

    func livePlans(symbol: Symbol?) -> [PlanOrder] {
        plans.values.filter { $0.status == "live" && (symbol == nil || $0.symbol == symbol) }.sorted { $0.created < $1.created }
    }

    func finishedPlans(symbol: Symbol?) -> [PlanOrder] {
        plans.values.filter { $0.status != "live" && (symbol == nil || $0.symbol == symbol) }.sorted { $0.updated > $1.updated }
    }

    /// `place-tpsl-order`: a position stop-loss or take-profit on the open position of `symbol`.
    func placePlan(symbol: Symbol, planType: String, triggerPrice: Double, triggerType: String, holdSide: String?, clientID: String,
                   now: Int64) throws(Rejection) -> PlanOrder {
        if refusesPlanOrders { throw Rejection(code: "40893", message: "Unable to update the plan order: refused (simulator fault)") }
        guard Self.positionPlanTypes.contains(planType) else {
            throw Rejection(code: "40017", message: "Parameter verification failed: planType must be pos_loss or pos_profit")
        }
        if !clientID.isEmpty, planByClientID[clientID] != nil || orderByClientID[clientID] != nil {
            throw Rejection(code: "40786", message: "Duplicate clientOid")
        }
        guard let position = position(symbol) else { throw Rejection(code: "22002", message: "No position to set take-profit or stop-loss") }
        if let holdSide {
            let words = positionMode == "hedge_mode" ? ["long", "short"] : ["buy", "sell"]
            guard words.contains(holdSide.lowercased()) else {
                throw Rejection(code: "40017", message: "Parameter verification failed: holdSide must be \(words.joined(separator: " or ")) in \(positionMode)")
            }
        }
        if let holdSide, Self.positionSide(holdSide) != position.side.rawValue {
            throw Rejection(code: "40017", message: "Parameter verification failed: holdSide \(holdSide) does not match the \(position.side.rawValue) position")
        }
        try checkTrigger(triggerPrice, symbol: symbol)
        let plan = replacePlan(symbol: symbol, planType: planType, triggerPrice: triggerPrice, triggerType: triggerType,
                               holdSide: position.side.rawValue, clientID: clientID, now: now)
        syncProtection(symbol)
        return plan
    }

    /// The position's one plan of `planType` becomes a new one (the live one, if any, is cancelled).
    private func replacePlan(symbol: Symbol, planType: String, triggerPrice: Double, triggerType: String, holdSide: String, clientID: String,
                             now: Int64) -> PlanOrder {
        for var old in livePlans(symbol: symbol) where old.planType == planType {
            old.status = "cancelled"
            old.updated = now
            plans[old.id] = old
            planUpdates.append(old)
        }
        nextID += 1
        let plan = PlanOrder(id: String(nextID), clientID: clientID.isEmpty ? String(nextID) : clientID, symbol: symbol, planType: planType,
                             triggerPrice: triggerPrice, triggerType: triggerType, holdSide: holdSide, status: "live", created: now, updated: now)
        plans[plan.id] = plan
        planByClientID[plan.clientID] = plan.id
        planUpdates.append(plan)
        return plan
    }

    /// `modify-tpsl-order`: moves a live plan's trigger in place (never a moment without it).
    func modifyPlan(symbol: Symbol, orderID: String?, clientID: String?, triggerPrice: Double, now: Int64) throws(Rejection) -> PlanOrder {
        if refusesPlanOrders { throw Rejection(code: "40893", message: "Unable to update the plan order: refused (simulator fault)") }
        guard let id = orderID ?? clientID.flatMap({ planByClientID[$0] }), var plan = plans[id], plan.symbol == symbol else {
            throw Rejection(code: "43025", message: "Plan order does not exist")
        }
        guard plan.status == "live" else { throw Rejection(code: "43025", message: "Plan order does not exist") }
        try checkTrigger(triggerPrice, symbol: symbol)
        plan.triggerPrice = triggerPrice
        plan.updated = now
        plans[id] = plan
        planUpdates.append(plan)
        syncProtection(symbol)
        return plan
    }

    /// `cancel-plan-order`: the listed ids, or, without a list, every live plan of `planType` on the symbol
    /// (BitGet's behaviour: without ids it cancels them all). Returns the cancelled and the failed ids.
    func cancelPlans(symbol: Symbol, planType: String?, ids: [(orderID: String?, clientID: String?)], now: Int64)
        -> (cancelled: [PlanOrder], failed: [(String, String)])
    {
        var targets: [String] = []
        var failed: [(String, String)] = []
        if ids.isEmpty {
            targets = livePlans(symbol: symbol).filter { planType == nil || planType == "profit_loss" || $0.planType == planType }.map(\.id)
        } else {
            for pair in ids {
                if let id = pair.orderID ?? pair.clientID.flatMap({ planByClientID[$0] }), plans[id]?.status == "live", plans[id]?.symbol == symbol {
                    targets.append(id)
                } else {
                    failed.append((pair.orderID ?? "", pair.clientID ?? ""))
                }
            }
        }
        var cancelled: [PlanOrder] = []
        for id in targets {
            guard var plan = plans[id] else { continue }
            plan.status = "cancelled"
            plan.updated = now
            plans[id] = plan
            planUpdates.append(plan)
            cancelled.append(plan)
        }
        syncProtection(symbol)
        return (cancelled, failed)
    }

    /// `set-position-mode`: refused while any position or order is open, as BitGet does.
    func setPositionMode(_ mode: String) throws(Rejection) {
        guard ["one_way_mode", "hedge_mode"].contains(mode) else {
            throw Rejection(code: "40017", message: "Parameter verification failed: posMode must be one_way_mode or hedge_mode")
        }
        guard allPositions.isEmpty, openOrders(symbol: nil).isEmpty else {
            throw Rejection(code: "40920", message: "Position or order exists, the position mode cannot be adjusted")
        }
        positionMode = mode
    }

    func setRefusesPlanOrders(_ value: Bool) { refusesPlanOrders = value }

    /// Plan updates since the last call.
    func drainPlanUpdates() -> [PlanOrder] {
        defer { planUpdates.removeAll() }
        return planUpdates
    }

    /// A preset stop-loss or take-profit on a filled opening order becomes the position's plan orders
    /// (none while plan orders are refused: the preset is then silently lost, the failure a client must catch).
    func presetProtection(of order: Order, time: Int64) {
        guard let position = position(order.symbol), !order.reduceOnly else { return }
        guard !refusesPlanOrders else {
            syncProtection(order.symbol)
            return
        }
        for (planType, trigger) in [("pos_loss", order.stopLoss), ("pos_profit", order.takeProfit)] {
            guard let trigger else { continue }
            _ = replacePlan(symbol: order.symbol, planType: planType, triggerPrice: trigger, triggerType: "mark_price",
                            holdSide: position.side.rawValue, clientID: "", now: time)
        }
        syncProtection(order.symbol)
    }

    /// A trigger closed the position with `executeOrderID`: the plan that fired is executed, its sibling cancelled.
    func settlePlans(_ symbol: Symbol, closedBy reason: ExitReason, executeOrderID: String, time: Int64) {
        for var plan in livePlans(symbol: symbol) {
            let fired = (reason == .stop && plan.planType == "pos_loss") || (reason == .takeProfit && plan.planType == "pos_profit")
            plan.status = fired ? "executed" : "cancelled"
            if fired { plan.executeOrderID = executeOrderID }
            plan.updated = time
            plans[plan.id] = plan
            planUpdates.append(plan)
        }
    }

    /// The book's triggers follow the live plan orders of the open position.
    func syncProtection(_ symbol: Symbol) {
        guard var book = books[symbol], let position = book.account.position else { return }
        let live = livePlans(symbol: symbol).filter { $0.holdSide == position.side.rawValue }
        book.setProtection(stopLoss: live.last { $0.planType == "pos_loss" }?.triggerPrice,
                           takeProfit: live.last { $0.planType == "pos_profit" }?.triggerPrice)
        books[symbol] = book
    }

    /// The live plan of `planType` protecting the open position of `symbol`.
    func protectionPlan(_ symbol: Symbol, _ planType: String) -> PlanOrder? {
        guard let position = position(symbol) else { return nil }
        return livePlans(symbol: symbol).last { $0.planType == planType && $0.holdSide == position.side.rawValue }
    }

    private func checkTrigger(_ triggerPrice: Double, symbol: Symbol) throws(Rejection) {
        guard let contract = parameters[symbol]?.contract, triggerPrice > 0 else {
            throw Rejection(code: "40017", message: "Parameter verification failed: triggerPrice")
        }
        let ticks = triggerPrice / contract.tickSize
        guard abs(ticks - ticks.rounded()) < 1e-6 else { throw Rejection(code: "41103", message: "param price scale error") }
    }

    /// `long`/`short` (hedge mode) or `buy`/`sell` (one-way mode) as the position side.
    static func positionSide(_ holdSide: String) -> String {
        switch holdSide.lowercased() {
        case "buy", "long": "long"
        case "sell", "short": "short"
        default: holdSide.lowercased()
        }
    }
}

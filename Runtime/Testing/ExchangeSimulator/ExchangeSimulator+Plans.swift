import Foundation
import Hummingbird
import MarketModel

/// Position TP/SL orders (`place-tpsl-order`, `modify-tpsl-order`, `cancel-plan-order`, the plan lists),
/// the account's position mode, and the test-control endpoints under `/sim/` (a stop cancelled or a
/// position opened "by hand", plan orders refused, the order log).
extension ExchangeSimulator {
    func registerPlanRoutes(_ router: Router<BasicRequestContext>) {
        router.post("/api/v2/mix/order/place-tpsl-order") { request, _ in
            try await self.signed(request) { body in
                self.countOrderRequest(body)
                return await self.afterAcceptance(await self.placePlan(body))
            }
        }
        router.post("/api/v2/mix/order/modify-tpsl-order") { request, _ in
            try await self.signed(request) { body in await self.afterAcceptance(await self.modifyPlan(body)) }
        }
        router.post("/api/v2/mix/order/cancel-plan-order") { request, _ in
            try await self.signed(request) { body in await self.afterAcceptance(await self.cancelPlans(body)) }
        }
        router.get("/api/v2/mix/order/orders-plan-pending") { request, _ in
            try await self.signed(request) { _ in await self.planList(request, pending: true) }
        }
        router.get("/api/v2/mix/order/orders-plan-history") { request, _ in
            try await self.signed(request) { _ in await self.planList(request, pending: false) }
        }
        router.post("/api/v2/mix/account/set-position-mode") { request, _ in
            try await self.signed(request) { body in
                await self.setPositionMode(body["posMode"]?.lowercased() ?? "")
            }
        }
        router.get("/api/v2/mix/account/account") { request, _ in
            try await self.signed(request) { _ in await self.singleAccount(request.uri.queryParameters.get("symbol")) }
        }
        router.post("/sim/cancel-stop") { request, _ in
            let symbol = request.uri.queryParameters.get("symbol").flatMap { Symbol($0.uppercased()) }
            guard let symbol else { return self.error("40019", "symbol is required") }
            return self.envelope(["cancelled": await self.cancelStopByHand(symbol)])
        }
        router.post("/sim/open-position") { request, _ in
            let query = request.uri.queryParameters
            guard let symbol = query.get("symbol").flatMap({ Symbol($0.uppercased()) }), let side = query.get("side"),
                  let size = query.get("size").flatMap(Double.init) else { return self.error("40019", "symbol, side and size are required") }
            do {
                return self.envelope(["orderId": try await self.openPositionByHand(symbol, side: side, size: size)])
            } catch {
                let rejection = error as? SimulatedAccounts.Rejection
                return self.error(rejection?.code ?? "40017", rejection?.message ?? "\(error)")
            }
        }
        router.post("/sim/refuse-plan-orders") { request, _ in
            let on = request.uri.queryParameters.get("on") != "0"
            await self.refusePlanOrders(on)
            return self.envelope(["refusing": on])
        }
        router.post("/sim/hold-answers") { request, _ in
            let on = request.uri.queryParameters.get("on") != "0"
            self.holdingAnswers.withLock { $0 = on }
            return self.envelope(["holding": on])
        }
        router.get("/sim/counts") { _, _ in
            // What a test out of process checks: place-order requests that arrived, and those resent under a client id already seen.
            let counts = self.faultCounts.withLock { $0 }
            return self.envelope(["placeOrderRequests": counts.placeOrderRequests, "resentOrderRequests": counts.resentOrderRequests,
                                  "heldAnswers": counts.heldAnswers])
        }
        router.get("/sim/protection") { request, _ in
            // A test's view of the exchange side of a stop, unsigned and free of faults: the position and its protecting stop.
            guard let symbol = request.uri.queryParameters.get("symbol").flatMap({ Symbol($0.uppercased()) }) else {
                return self.error("40019", "symbol is required")
            }
            let position = await self.heldPosition(symbol)
            return self.envelope(["side": position?.side.rawValue ?? "flat", "size": position?.size ?? 0,
                                  "stop": await self.protectingStop(symbol).map { "\($0)" } ?? ""])
        }
        router.get("/sim/orders") { _, _ in
            self.envelope(await self.accounts.orders.values.sorted { ($0.created, $0.id) < ($1.created, $1.id) }.map(Self.orderFields))
        }
    }

    // MARK: Test control (also called in process)

    /// Cancels the live `pos_loss` of `symbol` as a user would in the app; true when there was one.
    public func cancelStopByHand(_ symbol: Symbol) async -> Bool {
        guard let plan = await accounts.protectionPlan(symbol, "pos_loss") else { return false }
        return await !accounts.cancelPlans(symbol: symbol, planType: "pos_loss", ids: [(plan.id, nil)], now: clock.now()).cancelled.isEmpty
    }

    /// Opens (or adds to) a position by a market order as a user would in the app; returns its order id.
    public func openPositionByHand(_ symbol: Symbol, side: String, size: Double) async throws -> String {
        let now = clock.now()
        guard let price = market.price(symbol, now: now) else { throw SimulatedAccounts.Rejection(code: "40034", message: "no price") }
        let order = try await accounts.place(symbol: symbol, side: side, kind: "market", size: size, limitPrice: nil, clientID: "",
                                             reduceOnly: false, stopLoss: nil, takeProfit: nil, price: price, range: 0, now: now)
        return order.id
    }

    /// Switches the plan-order refusal fault on or off.
    public func refusePlanOrders(_ on: Bool) async { await accounts.setRefusesPlanOrders(on) }

    /// Every order the exchange accepted, oldest first (duplicate counts are read from it).
    public func orderLog() async -> [(clientOrderID: String, symbol: Symbol, side: String, size: Double, reduceOnly: Bool, state: String)] {
        await accounts.orders.values.sorted { ($0.created, $0.id) < ($1.created, $1.id) }.map {
            ($0.clientID, $0.symbol, $0.side, $0.size, $0.reduceOnly, $0.state)
        }
    }

    /// The live position TP/SL orders of `symbol` (tests read the exchange's side of a stop).
    /// The trigger of the stop that protects the open position of `symbol` (its side's live `pos_loss`; a
    /// leftover of the other side protects nothing), USDT.
    public func protectingStop(_ symbol: Symbol) async -> Double? { await accounts.protectionPlan(symbol, "pos_loss")?.triggerPrice }

    /// The open position of `symbol` as the exchange holds it (no fault applies: for a test's invariants).
    public func heldPosition(_ symbol: Symbol) async -> (side: PositionSide, size: Double)? {
        await accounts.position(symbol).map { ($0.side, $0.size) }
    }

    public func livePositionPlans(_ symbol: Symbol) async -> [(planType: String, triggerPrice: Double)] {
        await accounts.livePlans(symbol: symbol).map { ($0.planType, $0.triggerPrice) }
    }

    // MARK: Handlers

    func placePlan(_ body: [String: String]) async -> Response {
        guard let symbol = body["symbol"].flatMap({ Symbol($0.uppercased()) }), market.minuteBars[symbol] != nil else {
            return error("40034", "Parameter symbol does not exist")
        }
        guard body["productType"]?.uppercased() == "USDT-FUTURES" else { return error("40017", "Parameter verification failed: productType") }
        guard let planType = body["planType"]?.lowercased(), let trigger = body["triggerPrice"].flatMap(Double.init) else {
            return error("40019", "Parameter planType and triggerPrice cannot be empty")
        }
        if let execute = body["executePrice"].flatMap(Double.init), execute != 0 {
            return error("40017", "Parameter verification failed: this simulator executes position TP/SL at market (executePrice 0)")
        }
        do {
            let plan = try await accounts.placePlan(symbol: symbol, planType: planType, triggerPrice: trigger,
                                                    triggerType: body["triggerType"]?.lowercased() ?? "mark_price", holdSide: body["holdSide"],
                                                    clientID: body["clientOid"] ?? "", now: clock.now())
            return envelope(["orderId": plan.id, "clientOid": plan.clientID])
        } catch {
            return self.error(error.code, error.message)
        }
    }

    func modifyPlan(_ body: [String: String]) async -> Response {
        guard let symbol = body["symbol"].flatMap({ Symbol($0.uppercased()) }) else { return error("40019", "Parameter symbol cannot be empty") }
        guard let trigger = body["triggerPrice"].flatMap(Double.init) else { return error("40019", "Parameter triggerPrice cannot be empty") }
        // BitGet's modify-tpsl-order takes `"size": ""` for a position TP/SL (the whole position) [D-MODTPSL].
        guard body["size"] == "" else { return error("40017", "Parameter verification failed: size must be \"\" for pos_profit/pos_loss") }
        do {
            let plan = try await accounts.modifyPlan(symbol: symbol, orderID: body["orderId"], clientID: body["clientOid"], triggerPrice: trigger,
                                                     now: clock.now())
            return envelope(["orderId": plan.id, "clientOid": plan.clientID])
        } catch {
            return self.error(error.code, error.message)
        }
    }

    func cancelPlans(_ body: [String: String]) async -> Response {
        guard let symbol = body["symbol"].flatMap({ Symbol($0.uppercased()) }) else { return error("40019", "Parameter symbol cannot be empty") }
        var ids: [(orderID: String?, clientID: String?)] = []
        if let list = body["orderIdList"], let rows = (try? JSONSerialization.jsonObject(with: Data(list.utf8))) as? [[String: Any]] {
            ids = rows.map { ($0["orderId"] as? String, $0["clientOid"] as? String) }
        }
        let result = await accounts.cancelPlans(symbol: symbol, planType: body["planType"]?.lowercased(), ids: ids, now: clock.now())
        return envelope([
            "successList": result.cancelled.map { ["orderId": $0.id, "clientOid": $0.clientID] },
            "failureList": result.failed.map { ["orderId": $0.0, "clientOid": $0.1, "errorMsg": "Plan order does not exist", "errorCode": "43025"] },
        ])
    }

    func planList(_ request: Request, pending: Bool) async -> Response {
        let query = request.uri.queryParameters
        if let problem = productTypeProblem(request) { return problem }
        guard let planType = query.get("planType")?.lowercased() else { return error("40019", "Parameter planType cannot be empty") }
        guard ["profit_loss", "normal_plan", "track_plan", "pos_loss", "pos_profit"].contains(planType) else {
            return error("40017", "Parameter verification failed: planType \(planType)")
        }
        let symbol = query.get("symbol").flatMap { Symbol($0.uppercased()) }
        var plans = pending ? await accounts.livePlans(symbol: symbol) : await accounts.finishedPlans(symbol: symbol)
        if planType == "normal_plan" || planType == "track_plan" { plans = [] }
        if !pending, let status = query.get("planStatus")?.lowercased() { plans = plans.filter { $0.status == status } }
        if planType == "pos_loss" || planType == "pos_profit" { plans = plans.filter { $0.planType == planType } }
        if let id = query.get("orderId") { plans = plans.filter { $0.id == id } }
        if let id = query.get("clientOid") { plans = plans.filter { $0.clientID == id } }
        let limit = min(query.get("limit").flatMap { Int($0) } ?? 100, 100)
        let page = Array(plans.prefix(limit))
        return envelope(["entrustedList": page.map(Self.planFields), "endId": page.last?.id ?? ""])
    }

    func setPositionMode(_ mode: String) async -> Response {
        do {
            try await accounts.setPositionMode(mode)
            return envelope(["posMode": await accounts.positionMode])
        } catch {
            return self.error(error.code, error.message)
        }
    }

    func singleAccount(_ symbolText: String?) async -> Response {
        guard let symbol = symbolText.flatMap({ Symbol($0.uppercased()) }) else { return error("40019", "Parameter symbol cannot be empty") }
        let available = await accounts.walletBalance - accounts.lockedMargin
        let leverage = Self.text(await accounts.leverage(symbol))
        return envelope([
            "marginCoin": "USDT", "locked": "0", "available": Self.text(available), "crossedMaxAvailable": Self.text(available),
            "isolatedMaxAvailable": Self.text(available), "accountEquity": Self.text(available), "usdtEquity": Self.text(available),
            "crossedMarginLeverage": leverage, "isolatedLongLever": leverage, "isolatedShortLever": leverage,
            "marginMode": await accounts.marginModes[symbol] ?? "crossed", "posMode": await accounts.positionMode,
        ])
    }

    static func planFields(_ plan: SimulatedAccounts.PlanOrder) -> [String: Any] {
        [
            "orderId": plan.id, "clientOid": plan.clientID, "symbol": plan.symbol.name, "planType": plan.planType,
            "triggerPrice": text(plan.triggerPrice), "triggerType": plan.triggerType, "executePrice": "0", "price": "0", "size": "",
            "planStatus": plan.status, "side": plan.holdSide == "long" ? "sell" : "buy", "posSide": plan.holdSide, "holdSide": plan.holdSide,
            "tradeSide": "close", "orderType": "market", "marginCoin": "USDT", "marginMode": "isolated", "posMode": "one_way_mode",
            "reduceOnly": "YES", "enterPointSource": "API", "callbackRatio": "", "cTime": String(plan.created), "uTime": String(plan.updated),
            "executeOrderId": plan.executeOrderID ?? "",
        ]
    }
}

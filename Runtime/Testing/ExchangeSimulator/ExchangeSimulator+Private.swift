import BitGet
import Foundation
import HTTPTypes
import Hummingbird
import MarketModel

extension ExchangeSimulator {
    func registerPrivateRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/api/v2/mix/account/accounts") { request, _ in try await self.signed(request) { _ in await self.accountsResponse() } }
        router.get("/api/v2/mix/position/all-position") { request, _ in try await self.signed(request) { _ in await self.positionsResponse(nil) } }
        router.get("/api/v2/mix/position/single-position") { request, _ in
            try await self.signed(request) { _ in await self.positionsResponse(request.uri.queryParameters.get("symbol").flatMap { Symbol($0.uppercased()) }) }
        }
        router.post("/api/v2/mix/order/place-order") { request, _ in
            self.faultCounts.withLock { $0.placeOrderRequests += 1 }
            return try await self.signed(request) { body in
                self.countOrderRequest(body)
                let response = await self.placeOrder(body)
                if response.status == .ok, let clientID = body["clientOid"] {
                    if self.options.orderDetailLagSeconds > 0 {
                        self.laggingOrders.withLock { $0[clientID] = Date().addingTimeInterval(self.options.orderDetailLagSeconds) }
                    }
                    if self.options.fillDetailLagSeconds > 0 {
                        self.unpricedOrders.withLock { $0[clientID] = Date().addingTimeInterval(self.options.fillDetailLagSeconds) }
                    }
                }
                return await self.afterAcceptance(response)
            }
        }
        router.post("/api/v2/mix/order/cancel-order") { request, _ in
            try await self.signed(request) { body in await self.afterAcceptance(await self.cancelOrder(body)) }
        }
        router.get("/api/v2/mix/order/detail") { request, _ in
            try await self.signed(request) { _ in
                let query = request.uri.queryParameters
                return await self.orderDetail(symbol: query.get("symbol"), orderID: query.get("orderId"), clientID: query.get("clientOid"))
            }
        }
        router.get("/api/v2/mix/order/orders-pending") { request, _ in
            try await self.signed(request) { _ in await self.pendingOrders(request.uri.queryParameters.get("symbol")) }
        }
        router.post("/api/v2/mix/account/set-leverage") { request, _ in try await self.signed(request) { body in await self.setLeverage(body) } }
        router.post("/api/v2/mix/account/set-margin-mode") { request, _ in try await self.signed(request) { body in await self.setMarginMode(body) } }
    }

    /// Checks the four authentication headers and the timestamp window, then answers with `body`.
    func signed(_ request: Request, _ body: @escaping ([String: String]) async -> Response) async throws -> Response {
        try await respond {
            let headers = request.headers
            func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
            guard let key = header("ACCESS-KEY"), !key.isEmpty else { return error("40001", "ACCESS_KEY cannot be empty") }
            guard let signature = header("ACCESS-SIGN"), !signature.isEmpty else { return error("40003", "Signature cannot be empty") }
            guard let timestamp = header("ACCESS-TIMESTAMP"), let time = Int64(timestamp) else { return error("40005", "Invalid ACCESS_TIMESTAMP") }
            guard let passphrase = header("ACCESS-PASSPHRASE"), !passphrase.isEmpty else {
                return error("40011", "ACCESS_PASSPHRASE cannot be empty")
            }
            guard key == options.apiKey else { return error("40006", "Invalid ACCESS_KEY") }
            if let demo = options.demoTrading, (header("paptrading") == "1") != demo {
                return error("40099", "The exchange environment is incorrect")
            }
            let wall = Int64(Date().timeIntervalSince1970 * 1000)
            guard abs(wall - time) <= options.timestampWindow else { return error("40004", "Request timestamp expired") }
            let collected = try await request.body.collect(upTo: 1 << 20)
            let bodyText = String(buffer: collected)
            let query = (request.uri.query ?? "").removingPercentEncoding ?? ""
            let expected = BitGetSigner.signature(secret: options.secret, prehash: BitGetSigner.prehash(
                timestamp: timestamp, method: request.method.rawValue, path: request.uri.path, query: query, body: bodyText))
            guard signature == expected else { return error("40009", "sign signature error") }
            guard passphrase == options.passphrase else { return error("40012", "apikey/password is incorrect") }
            var fields: [String: String] = [:]
            if !bodyText.isEmpty {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(bodyText.utf8))) as? [String: Any] else {
                    return error("40017", "Parameter verification failed: the body is not a JSON object")
                }
                for (name, value) in object where !(value is NSNull) {  // a JSON null is an absent field
                    if value is [Any] || value is [String: Any] {  // nested values (cancel-plan-order's orderIdList) stay JSON text
                        fields[name] = (try? JSONSerialization.data(withJSONObject: value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
                    } else {
                        fields[name] = (value as? String) ?? "\(value)"
                    }
                }
            }
            return await body(fields)
        }
    }

    func accountsResponse() async -> Response { envelope(await accountRows()) }

    /// The futures account as `account/accounts` and the private `account` channel report it.
    func accountRows() async -> [[String: Any]] {
        let now = clock.now()
        let prices = Dictionary(uniqueKeysWithValues: market.symbols.map { ($0, market.price($0, now: now) ?? 0) })
        let equity = await accounts.equity(prices: prices)
        let available = await accounts.walletBalance - accounts.lockedMargin
        return [[
            "marginCoin": "USDT", "locked": "0", "available": Self.text(available), "accountEquity": Self.text(equity),
            "usdtEquity": Self.text(equity), "unrealizedPL": Self.text(equity - (await accounts.walletBalance)),
            "crossedMaxAvailable": Self.text(available), "isolatedMaxAvailable": Self.text(available),
            "maxTransferOut": Self.text(available),
        ]]
    }

    func positionsResponse(_ only: Symbol?) async -> Response { envelope(await positionRows(only)) }

    /// The open positions as `all-position` and the private `positions` channel report them.
    func positionRows(_ only: Symbol?) async -> [[String: Any]] {
        let now = clock.now()
        var plans: [Symbol: (stop: String?, profit: String?)] = [:]
        for (symbol, _) in await accounts.allPositions {
            plans[symbol] = (await accounts.protectionPlan(symbol, "pos_loss")?.id, await accounts.protectionPlan(symbol, "pos_profit")?.id)
        }
        let positionMode = await accounts.positionMode
        let marginModes = await accounts.marginModes
        let rows: [[String: Any]] = await accounts.allPositions.filter { only == nil || $0.0 == only }.map { symbol, position in
            let price = market.price(symbol, now: now) ?? position.entryPrice
            return [
                "symbol": symbol.name, "marginCoin": "USDT", "holdSide": position.side.rawValue, "total": Self.text(position.size),
                "available": Self.text(position.size), "openPriceAvg": Self.text(position.entryPrice),
                "leverage": Self.text(position.leverage), "marginSize": Self.text(position.margin), "marginMode": marginModes[symbol] ?? "crossed",
                "posMode": positionMode, "unrealizedPL": Self.text(position.unrealizedPnL(at: price)),
                "liquidationPrice": Self.text(accounts.parameters[symbol].map { $0.liquidationPrice(of: position) } ?? 0), "markPrice": Self.text(price),
                "stopLoss": position.stopLoss.map(Self.text) ?? "", "takeProfit": position.takeProfit.map(Self.text) ?? "",
                "stopLossId": plans[symbol]?.stop ?? "", "takeProfitId": plans[symbol]?.profit ?? "",
                "cTime": String(position.openedAt), "uTime": String(now),
            ]
        }
        return rows
    }

    func placeOrder(_ body: [String: String]) async -> Response {
        guard let symbolText = body["symbol"], let symbol = Symbol(symbolText.uppercased()), market.minuteBars[symbol] != nil else {
            return error("40034", "Parameter symbol does not exist")
        }
        guard body["productType"]?.uppercased() == "USDT-FUTURES" else { return error("40017", "Parameter verification failed: productType") }
        guard let side = body["side"]?.lowercased(), ["buy", "sell"].contains(side) else { return error("40017", "Parameter verification failed: side") }
        guard let kind = body["orderType"]?.lowercased(), ["market", "limit"].contains(kind) else {
            return error("40017", "Parameter verification failed: Order Type must not be blank")
        }
        guard let size = body["size"].flatMap(Double.init) else { return error("40017", "Parameter verification failed: size") }
        let limitPrice = body["price"].flatMap(Double.init)
        if kind == "limit", limitPrice == nil { return error("40017", "Parameter verification failed: price is required for limit orders") }
        let now = clock.now()
        guard let price = market.price(symbol, now: now) else { return error("40762", "The order amount exceeds the balance") }
        let bar = market.lastClosedMinute(symbol, now: now)
        do {
            let order = try await accounts.place(
                symbol: symbol, side: side, kind: kind, size: size, limitPrice: limitPrice, clientID: body["clientOid"] ?? "",
                reduceOnly: body["reduceOnly"]?.uppercased() == "YES", stopLoss: body["presetStopLossPrice"].flatMap(Double.init),
                takeProfit: body["presetStopSurplusPrice"].flatMap(Double.init), price: price,
                range: bar.map { $0.high - $0.low } ?? 0, now: now)
            return envelope(["orderId": order.id, "clientOid": order.clientID])
        } catch {
            return self.error(error.code, error.message)
        }
    }

    func cancelOrder(_ body: [String: String]) async -> Response {
        guard let symbol = body["symbol"].flatMap({ Symbol($0.uppercased()) }) else { return error("40019", "Parameter symbol cannot be empty") }
        do {
            let order = try await accounts.cancel(symbol: symbol, orderID: body["orderId"], clientID: body["clientOid"], now: clock.now())
            return envelope(["orderId": order.id, "clientOid": order.clientID])
        } catch {
            return self.error(error.code, error.message)
        }
    }

    func orderDetail(symbol: String?, orderID: String?, clientID: String?) async -> Response {
        guard let symbol = symbol.flatMap({ Symbol($0.uppercased()) }) else { return error("40019", "Parameter symbol cannot be empty") }
        if let clientID, let visible = laggingOrders.withLock({ $0[clientID] }), visible > Date() {
            return error("40109", "The data of the order cannot be found, please confirm the order number")
        }
        do {
            let order = try await accounts.order(symbol: symbol, orderID: orderID, clientID: clientID)
            var fields = Self.orderFields(order)
            if let visible = unpricedOrders.withLock({ $0[order.clientID] }), visible > Date() {
                fields["baseVolume"] = "0"
                fields["priceAvg"] = ""
                fields["fee"] = "0"
            }
            return envelope(fields)
        } catch {
            return self.error(error.code, error.message)
        }
    }

    func pendingOrders(_ symbol: String?) async -> Response {
        let orders = await accounts.openOrders(symbol: symbol.flatMap { Symbol($0.uppercased()) })
        return envelope(["entrustedList": orders.map(Self.orderFields), "endId": orders.last?.id ?? ""])
    }

    func setLeverage(_ body: [String: String]) async -> Response {
        guard let symbol = body["symbol"].flatMap({ Symbol($0.uppercased()) }), let leverage = body["leverage"].flatMap(Double.init) else {
            return error("40019", "Parameter symbol or leverage cannot be empty")
        }
        do {
            try await accounts.setLeverage(symbol, leverage)
            let text = Self.text(leverage)
            return envelope(["symbol": symbol.name, "marginCoin": "USDT", "longLeverage": text, "shortLeverage": text, "marginMode": "isolated"])
        } catch {
            return self.error(error.code, error.message)
        }
    }

    func setMarginMode(_ body: [String: String]) async -> Response {
        guard let symbol = body["symbol"].flatMap({ Symbol($0.uppercased()) }) else { return error("40019", "Parameter symbol cannot be empty") }
        let holding = await accounts.position(symbol) != nil
        let resting = await !accounts.openOrders(symbol: symbol).isEmpty
        if holding || resting {
            return error("45117", "Currently holding positions or orders, the margin mode cannot be adjusted")
        }
        guard let mode = body["marginMode"]?.lowercased(), ["isolated", "crossed"].contains(mode) else {
            return error("40017", "Parameter verification failed: marginMode must be isolated or crossed")
        }
        await accounts.setMarginMode(symbol, mode)
        return envelope(["symbol": symbol.name, "marginCoin": "USDT", "marginMode": mode])
    }

    static func orderFields(_ order: SimulatedAccounts.Order) -> [String: Any] {
        [
            "orderId": order.id, "clientOid": order.clientID, "symbol": order.symbol.name, "side": order.side,
            "orderType": order.kind, "size": text(order.size), "price": order.price.map(text) ?? "", "state": order.state,
            "status": order.state, "baseVolume": text(order.filled), "priceAvg": order.averagePrice.map(text) ?? "",
            "fee": text(-order.fee), "reduceOnly": order.reduceOnly ? "YES" : "NO", "marginMode": "isolated", "marginCoin": "USDT",
            "presetStopLossPrice": order.stopLoss.map(text) ?? "", "presetStopSurplusPrice": order.takeProfit.map(text) ?? "",
            "cTime": String(order.created), "uTime": String(order.updated),
        ]
    }
}

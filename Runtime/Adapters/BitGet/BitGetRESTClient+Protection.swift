import Foundation
import MarketModel
import NIOHTTP1

/// A position take-profit or stop-loss order at the exchange (`pos_profit` / `pos_loss`).
public struct PositionPlanOrder: Sendable, Equatable {
    public enum Kind: String, Sendable { case stopLoss = "pos_loss", takeProfit = "pos_profit" }

    public var orderID: String
    public var clientOrderID: String
    public var symbol: String
    /// `pos_loss`, `pos_profit`, or another plan type the account holds (listed, never touched).
    public var planType: String
    /// USDT.
    public var triggerPrice: Double
    /// `mark_price` or `fill_price`.
    public var triggerType: String
    /// The side of the position it protects: `long` or `short`.
    public var holdSide: String
    /// `live`, `executed` or `cancelled`.
    public var status: String
    /// The market order an executed plan closed the position with (empty otherwise), and when the plan
    /// last changed, UTC ms (0 when not reported).
    public var executeOrderID: String = ""
    public var updatedTime: Int64 = 0

    public var kind: Kind? { Kind(rawValue: planType) }
}

/// The account's settings for a symbol as `account/account` reports them.
public struct AccountSettings: Sendable, Equatable {
    /// `isolated` or `crossed`.
    public var marginMode: String
    /// `one_way_mode` or `hedge_mode`.
    public var positionMode: String
}

extension BitGetRESTClient {
    /// `POST /api/v2/mix/order/place-tpsl-order`: a position stop-loss or take-profit that triggers on the
    /// mark price and closes the whole position at market. `holdSide` names the position protected, in the
    /// words of the account's mode: one-way `buy` (a long) / `sell` (a short), hedge `long` / `short`. An
    /// ambiguous answer is resolved by listing the pending plan orders for the client id, as `placeOrder`
    /// does with `order/detail`.
    public func placePositionProtection(symbol: Symbol, kind: PositionPlanOrder.Kind, triggerPrice: String, holdSide: PositionSide,
                                        hedgeMode: Bool = false, clientOrderID: String) async throws -> OrderPlacement {
        let side = hedgeMode ? holdSide.rawValue : (holdSide == .long ? "buy" : "sell")
        let body: [String: Any] = [
            "symbol": symbol.name, "productType": Self.productType, "marginCoin": "USDT", "planType": kind.rawValue,
            "triggerPrice": triggerPrice, "triggerType": "mark_price", "executePrice": "0", "holdSide": side,
            "clientOid": clientOrderID,
        ]
        return try await submitResolvingByClientID("/api/v2/mix/order/place-tpsl-order", body: body, clientOrderID: clientOrderID,
                                                   label: "position \(kind.rawValue) \(clientOrderID)") {
            guard let found = try? await self.positionProtection(symbol: symbol).first(where: { $0.clientOrderID == clientOrderID }) else {
                return nil
            }
            return (found.orderID, found.clientOrderID)
        }
    }

    /// `POST /api/v2/mix/order/modify-tpsl-order`: moves a live position TP/SL's trigger in place (never
    /// cancel-then-replace). Setting a trigger is idempotent, so transient failures are retried. BitGet
    /// wants `"size": ""` for `pos_profit`/`pos_loss` (the whole position).
    public func modifyPositionProtection(symbol: Symbol, orderID: String, triggerPrice: String) async throws {
        _ = try await request(.POST, "/api/v2/mix/order/modify-tpsl-order", body: [
            "symbol": symbol.name, "productType": Self.productType, "marginCoin": "USDT", "orderId": orderID,
            "triggerPrice": triggerPrice, "triggerType": "mark_price", "executePrice": "0", "size": "",
        ], signed: true, group: "order")
    }

    /// `POST /api/v2/mix/order/cancel-plan-order` for the listed ids of one plan type. Without ids BitGet
    /// cancels every plan order of the symbol, so an empty list is refused here, never sent. Returns the
    /// ids the exchange reported as failed (a caller verifies by listing again).
    public func cancelPositionProtection(symbol: Symbol, kind: PositionPlanOrder.Kind, orderIDs: [String]) async throws -> [String] {
        guard !orderIDs.isEmpty else { return [] }
        let data = try await request(.POST, "/api/v2/mix/order/cancel-plan-order", body: [
            "symbol": symbol.name, "productType": Self.productType, "marginCoin": "USDT", "planType": kind.rawValue,
            "orderIdList": orderIDs.map { ["orderId": $0] },
        ], signed: true, group: "order")
        let failures = ((data as? [String: Any])?["failureList"] as? [[String: Any]]) ?? []
        return failures.compactMap { JSONObject($0).text("orderId") }
    }

    /// `GET /api/v2/mix/order/orders-plan-pending?planType=profit_loss`: the live TP/SL orders of `symbol`
    /// (all symbols when nil).
    public func positionProtection(symbol: Symbol?) async throws -> [PositionPlanOrder] {
        var query = [("planType", "profit_loss"), ("productType", Self.productType)]
        if let symbol { query.append(("symbol", symbol.name)) }
        let data = try await request(.GET, "/api/v2/mix/order/orders-plan-pending", query: query, signed: true, group: "order")
        if data == nil || data is NSNull { return [] }
        guard let object = data as? [String: Any] else { throw BitGetError.malformed(reason: "orders-plan-pending", raw: "\(data ?? "nil")") }
        let rows = try objects(object["entrustedList"], "orders-plan-pending")
        return try rows.map(Self.positionPlanOrder)
    }

    /// The plan types of the private `orders-algo` channel in REST's words (the two vocabularies differ).
    static let webSocketPlanTypes = ["psl": "pos_loss", "ptp": "pos_profit", "pl": "normal_plan", "tp": "profit_plan", "sl": "loss_plan",
                                     "track": "moving_plan"]

    /// A plan row of `orders-plan-pending` or of the `orders-algo` channel (`instId`, `status`, `psl`/`ptp`).
    static func positionPlanOrder(_ row: JSONObject) throws -> PositionPlanOrder {
        let planType = row.text("planType") ?? ""
        let status = row.text("planStatus") ?? row.text("status") ?? "live"
        return PositionPlanOrder(orderID: try row.required("orderId"), clientOrderID: row.text("clientOid") ?? "",
                                 symbol: (row.text("symbol") ?? row.text("instId") ?? "").uppercased(),
                                 planType: webSocketPlanTypes[planType] ?? planType, triggerPrice: try row.requiredNumber("triggerPrice"),
                                 triggerType: row.text("triggerType") ?? "",
                                 holdSide: holdSide([row.text("posSide"), row.text("holdSide")].compactMap { $0 }.first { !$0.isEmpty } ?? ""),
                                 status: status == "not_trigger" ? "live" : status,
                                 executeOrderID: row.text("executeOrderId") ?? "", updatedTime: row.integer("uTime") ?? 0)
    }

    /// `GET /api/v2/mix/order/orders-plan-history?planType=profit_loss&planStatus=executed`: the TP/SL
    /// orders of `symbol` that fired, newest first, each with the market order that closed the position.
    public func executedPositionProtection(symbol: Symbol) async throws -> [PositionPlanOrder] {
        let data = try await request(.GET, "/api/v2/mix/order/orders-plan-history", query: [
            ("planType", "profit_loss"), ("planStatus", "executed"), ("productType", Self.productType), ("symbol", symbol.name),
        ], signed: true, group: "order")
        if data == nil || data is NSNull { return [] }
        guard let object = data as? [String: Any] else { throw BitGetError.malformed(reason: "orders-plan-history", raw: "\(data ?? "nil")") }
        return try objects(object["entrustedList"], "orders-plan-history").map(Self.positionPlanOrder)
            .filter { $0.status == "executed" && $0.kind != nil }.sorted { $0.updatedTime > $1.updatedTime }
    }

    /// `POST /api/v2/mix/account/set-position-mode` (`one_way_mode` / `hedge_mode`; only when flat).
    public func setPositionMode(oneWay: Bool) async throws {
        _ = try await request(.POST, "/api/v2/mix/account/set-position-mode", body: [
            "productType": Self.productType, "posMode": oneWay ? "one_way_mode" : "hedge_mode",
        ], signed: true, group: "leverage")
    }

    /// `GET /api/v2/mix/account/account`: margin mode and position mode for `symbol`.
    public func accountSettings(symbol: Symbol) async throws -> AccountSettings {
        let data = try await request(.GET, "/api/v2/mix/account/account", query: [
            ("symbol", symbol.name), ("productType", Self.productType), ("marginCoin", "USDT"),
        ], signed: true, group: "account")
        guard let object = data as? [String: Any] else { throw BitGetError.malformed(reason: "account", raw: "\(data ?? "nil")") }
        let row = JSONObject(object)
        return AccountSettings(marginMode: row.text("marginMode") ?? "", positionMode: row.text("posMode") ?? "")
    }

    /// `long`/`short`, from BitGet's `long`/`short` or one-way `buy`/`sell`; empty when the exchange does not
    /// say (one-way mode may answer `net` or nothing: a symbol then has one position, which it protects).
    static func holdSide(_ text: String) -> String {
        switch text.lowercased() {
        case "buy", "long": "long"
        case "sell", "short": "short"
        default: ""
        }
    }
}

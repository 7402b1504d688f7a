import Foundation
import MarketModel

/// An order as BitGet takes it (one-way mode, isolated margin). Sizes and prices are exact decimal text
/// on the contract's grid (see `ContractSpec.sizeText` / `priceText`).
public struct OrderRequest: Sendable, Equatable {
    public enum Side: String, Sendable { case buy, sell }
    public enum Kind: String, Sendable { case market, limit }

    public var symbol: Symbol
    public var side: Side
    public var kind: Kind
    public var size: String
    public var price: String?
    /// Idempotency key: resending the same clientOid never creates a second order.
    public var clientOrderID: String
    public var reduceOnly: Bool
    public var stopLoss: String?
    public var takeProfit: String?

    public init(symbol: Symbol, side: Side, kind: Kind, size: String, price: String? = nil, clientOrderID: String,
                reduceOnly: Bool = false, stopLoss: String? = nil, takeProfit: String? = nil) {
        self.symbol = symbol
        self.side = side
        self.kind = kind
        self.size = size
        self.price = price
        self.clientOrderID = clientOrderID
        self.reduceOnly = reduceOnly
        self.stopLoss = stopLoss
        self.takeProfit = takeProfit
    }

    var body: [String: String] {
        var body = [
            "symbol": symbol.name, "productType": BitGetRESTClient.productType, "marginMode": "isolated", "marginCoin": "USDT",
            "size": size, "side": side.rawValue, "orderType": kind.rawValue, "clientOid": clientOrderID,
            "reduceOnly": reduceOnly ? "YES" : "NO",
        ]
        if kind == .limit { body["force"] = "gtc" }
        if let price { body["price"] = price }
        if let stopLoss { body["presetStopLossPrice"] = stopLoss }
        if let takeProfit { body["presetStopSurplusPrice"] = takeProfit }
        return body
    }
}

/// An order's state at the exchange.
public struct ExchangeOrder: Sendable, Equatable {
    public var orderID: String
    public var clientOrderID: String
    public var symbol: String
    public var side: String
    /// `live`, `partially_filled`, `filled` or `canceled`.
    public var state: String
    public var size: Double
    public var filledSize: Double
    public var averagePrice: Double?
    public var fee: Double
    /// Whether it only reduces the position, and when it last changed (UTC ms; 0 when not reported).
    public var reduceOnly = false
    public var updatedTime: Int64 = 0
}

/// A position at the exchange.
public struct ExchangePosition: Sendable, Equatable {
    public var symbol: String
    public var side: String
    public var size: Double
    public var entryPrice: Double
    public var leverage: Double
    public var margin: Double
    public var liquidationPrice: Double?
    public var unrealizedPnL: Double
    public var stopLoss: Double?
    public var takeProfit: Double?
}

/// The USDT-futures account.
public struct AccountBalance: Sendable, Equatable {
    public var marginCoin: String
    public var available: Double
    public var equity: Double
    public var unrealizedPnL: Double
}

extension BitGetRESTClient {
    /// `GET /api/v2/mix/order/detail` by order id or client id.
    public func order(symbol: Symbol, orderID: String? = nil, clientOrderID: String? = nil) async throws -> ExchangeOrder {
        var query = [("symbol", symbol.name), ("productType", Self.productType)]
        if let orderID { query.append(("orderId", orderID)) }
        if let clientOrderID { query.append(("clientOid", clientOrderID)) }
        let data = try await request(.GET, "/api/v2/mix/order/detail", query: query, signed: true, group: "order")
        guard let object = data as? [String: Any] else { throw BitGetError.malformed(reason: "order detail", raw: "\(data ?? "nil")") }
        return try Self.exchangeOrder(JSONObject(object))
    }

    /// `GET /api/v2/mix/order/orders-pending`: the working orders of `symbol`.
    public func openOrders(symbol: Symbol) async throws -> [ExchangeOrder] {
        let data = try await request(.GET, "/api/v2/mix/order/orders-pending", query: [("productType", Self.productType), ("symbol", symbol.name)],
                                     signed: true, group: "order")
        if data == nil || data is NSNull { return [] }
        guard let object = data as? [String: Any] else { throw BitGetError.malformed(reason: "orders-pending", raw: "\(data ?? "nil")") }
        return try objects(object["entrustedList"], "orders-pending").map(Self.exchangeOrder)
    }

    /// An order row of `order/detail`, `orders-pending` or the private `orders` channel (which names the
    /// symbol `instId`, the total filled `accBaseVolume` — its `baseVolume` is the last fill only — and the
    /// state `status`).
    static func exchangeOrder(_ row: JSONObject) throws -> ExchangeOrder {
        ExchangeOrder(orderID: try row.required("orderId"), clientOrderID: row.text("clientOid") ?? "",
                      symbol: (row.text("symbol") ?? row.text("instId") ?? "").uppercased(), side: row.text("side") ?? "",
                      state: row.text("state") ?? row.text("status") ?? "", size: row.number("size") ?? 0,
                      filledSize: row.number("accBaseVolume") ?? row.number("baseVolume") ?? 0, averagePrice: row.number("priceAvg"),
                      fee: row.number("fee") ?? Self.totalFee(row) ?? row.number("fillFee") ?? 0,
                      reduceOnly: (row.text("reduceOnly") ?? "").uppercased() == "YES", updatedTime: row.integer("uTime") ?? 0)
    }

    /// The order's total fee from `feeDetail[].totalFee` (the private `orders` push has no `fee`), USDT.
    static func totalFee(_ row: JSONObject) -> Double? {
        guard let details = row.values["feeDetail"] as? [[String: Any]], !details.isEmpty else { return nil }
        let fees = details.compactMap { JSONObject($0).number("totalFee") }
        return fees.isEmpty ? nil : fees.reduce(0, +)
    }

    /// `GET /api/v2/mix/position/all-position`.
    public func positions() async throws -> [ExchangePosition] {
        let data = try await request(.GET, "/api/v2/mix/position/all-position",
                                     query: [("productType", Self.productType), ("marginCoin", "USDT")], signed: true, group: "positions")
        return try objects(data, "all-position").map(Self.exchangePosition)
    }

    /// A position row of `all-position` or of the private `positions` channel (`instId` for `symbol`).
    static func exchangePosition(_ row: JSONObject) throws -> ExchangePosition {
        guard let symbol = row.text("symbol") ?? row.text("instId") else { throw BitGetError.malformed(reason: "missing symbol", raw: row.describe()) }
        return ExchangePosition(symbol: symbol, side: row.text("holdSide") ?? "", size: row.number("total") ?? 0,
                                entryPrice: row.number("openPriceAvg") ?? 0, leverage: row.number("leverage") ?? 0,
                                margin: row.number("marginSize") ?? 0, liquidationPrice: row.number("liquidationPrice"),
                                unrealizedPnL: row.number("unrealizedPL") ?? 0, stopLoss: row.number("stopLoss"),
                                takeProfit: row.number("takeProfit"))
    }

    /// `GET /api/v2/mix/account/accounts`.
    public func accounts() async throws -> [AccountBalance] {
        let data = try await request(.GET, "/api/v2/mix/account/accounts", query: [("productType", Self.productType)],
                                     signed: true, group: "account")
        return try objects(data, "accounts").map { row in
            AccountBalance(marginCoin: row.text("marginCoin") ?? "USDT", available: try row.requiredNumber("available"),
                           equity: row.number("accountEquity") ?? row.number("usdtEquity") ?? 0,
                           unrealizedPnL: row.number("unrealizedPL") ?? 0)
        }
    }

    /// `POST /api/v2/mix/account/set-leverage` (whole numbers).
    public func setLeverage(symbol: Symbol, leverage: Int) async throws {
        _ = try await request(.POST, "/api/v2/mix/account/set-leverage", body: [
            "symbol": symbol.name, "productType": Self.productType, "marginCoin": "USDT", "leverage": String(leverage),
        ], signed: true, group: "leverage")
    }

    /// `POST /api/v2/mix/account/set-margin-mode` (`isolated` or `crossed`).
    public func setMarginMode(symbol: Symbol, isolated: Bool) async throws {
        _ = try await request(.POST, "/api/v2/mix/account/set-margin-mode", body: [
            "symbol": symbol.name, "productType": Self.productType, "marginCoin": "USDT", "marginMode": isolated ? "isolated" : "crossed",
        ], signed: true, group: "leverage")
    }
}

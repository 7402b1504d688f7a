import Foundation
import MarketModel
import NIOHTTP1

/// What became of an order request. An order whose outcome is unknown (a timeout, a 5xx, a lost
/// response) is never taken for rejected: it is looked up by its client id, and stays `unknown` only
/// when the exchange could not tell.
public enum OrderPlacement: Sendable, Equatable {
    /// The exchange holds the order: placed now, or found by its client id after an ambiguous attempt.
    case placed(orderID: String, clientOrderID: String)
    /// The exchange refused it before accepting it: nothing is held under the client id.
    case rejected(code: String, message: String)
    /// Neither could be established within the retry budget: the caller halts the symbol and alerts.
    case unknown(reason: String)
}

/// What became of a cancel request.
public enum CancelOutcome: Sendable, Equatable {
    /// The order is cancelled (now, or it already was).
    case canceled
    /// The order reached a final state before the cancel: `filled` (or `canceled` by someone else).
    case alreadyFinal(state: String)
    /// The exchange holds no order under that id.
    case notFound
    /// The cancel's outcome could not be established: the caller halts the symbol and alerts.
    case unknown(reason: String)
}

extension BitGetError {
    /// Codes BitGet answers when no order has the id asked for.
    static let orderNotFoundCodes: Set<String> = ["40109", "40768", "43001", "43025"]
    /// Codes BitGet answers when the client id is already taken (the first attempt reached the exchange).
    static let duplicateClientIDCodes: Set<String> = ["40786", "43118"]

    var isOrderNotFound: Bool {
        if case let .rejected(code, _) = self { return Self.orderNotFoundCodes.contains(code) }
        return false
    }

    var isDuplicateClientID: Bool {
        if case let .rejected(code, _) = self { return Self.duplicateClientIDCodes.contains(code) }
        return false
    }

    /// The request provably never reached the matching engine (refused by the rate limiter, or by the
    /// gateway before authentication), so sending it again cannot create a second order.
    var provablyNotReceived: Bool {
        switch self {
        case .rateLimited, .credentials, .notConnected: true
        default: false
        }
    }
}

extension BitGetRESTClient {
    /// `POST /api/v2/mix/order/place-order` with an outcome that is never guessed. A success or a business
    /// refusal is final. A rate limit is retried blindly
    /// (it never reached the engine). Anything ambiguous — a duplicate client id, a timeout, a transport
    /// error, a 5xx, an unreadable answer — is never sent again: the order is looked up by
    /// `order/detail?clientOid=…` until it is found (placed) or the retry budget is spent (`unknown`: the
    /// caller halts the symbol, and reconciliation settles it later).
    public func placeOrder(_ order: OrderRequest) async throws -> OrderPlacement {
        try await submitResolvingByClientID("/api/v2/mix/order/place-order", body: order.body, clientOrderID: order.clientOrderID,
                                            label: order.clientOrderID) {
            if case let .found(found) = await self.lookUp(symbol: order.symbol, clientOrderID: order.clientOrderID) {
                return (found.orderID, found.clientOrderID)
            }
            return nil
        }
    }

    /// Sends an order-creating request whose outcome is never guessed (the mechanism of `placeOrder` and
    /// `placePositionProtection`). Until an attempt may have reached the exchange, a success or a refusal
    /// is final and what provably never reached it is resent. From the first ambiguous attempt on, the
    /// request is never resent (BitGet's treatment of a reused client id after the order is final is not
    /// documented, so a resend could be a second order): `find` is polled with backoff, and an order not
    /// found within the retry budget is `unknown`.
    func submitResolvingByClientID(_ path: String, body: [String: Any], clientOrderID: String, label: String,
                                   find: @Sendable () async -> (orderID: String, clientOrderID: String)?) async throws -> OrderPlacement {
        let name = String(path.split(separator: "/").last ?? "")
        var problem: String?
        sending: for attempt in 1...retry.maximumAttempts {
            do {
                let data = try await sendOnce(.POST, path, body: body, group: "order")
                let row = (data as? [String: Any]).map(JSONObject.init)
                if let orderID = row?.text("orderId"), !orderID.isEmpty {
                    return .placed(orderID: orderID, clientOrderID: row?.text("clientOid") ?? clientOrderID)
                }
                // BitGet omits the order id when a reduce-only order displaced older ones: look it up.
                problem = "\(name) answered without an order id"
            } catch let error as BitGetError where error.provablyNotReceived && error.action == .retry {
                if attempt == retry.maximumAttempts {
                    if case .notConnected = error {
                        return .rejected(code: "connect", message: "\(name) never reached the exchange in \(attempt) attempts: \(error)")
                    }
                    return .rejected(code: "429", message: "\(name) was refused by the rate limit \(attempt) times; it never reached the exchange")
                }
                try await backOff(after: attempt, error: error, path: name)
                continue sending
            } catch let error as BitGetError {
                if case let .credentials(code, message, _) = error { return .rejected(code: code, message: message) }
                if case let .rejected(code, message) = error, !error.isDuplicateClientID { return .rejected(code: code, message: message) }
                problem = "\(error)"
            } catch is CancellationError {
                // Cancelled with the request perhaps on the wire: its outcome is unknown, never nothing.
                return .unknown(reason: "\(label): cancelled while \(name) was in flight")
            } catch {
                problem = "\(error)"
            }
            break sending
        }
        let ambiguity = problem ?? "no answer"
        for attempt in 1...retry.maximumAttempts {
            if let found = await find() { return .placed(orderID: found.orderID, clientOrderID: found.clientOrderID) }
            logger.warning("order outcome unknown; looking it up by its client id (never resent)", metadata: [
                "client_oid": "\(clientOrderID)", "path": "\(name)", "attempt": "\(attempt)", "problem": "\(ambiguity)",
            ])
            do {
                try await backOff(after: attempt, error: nil, path: name)
            } catch {
                return .unknown(reason: "\(label): cancelled while its ambiguous outcome was looked up (\(ambiguity))")
            }
        }
        if let found = await find() { return .placed(orderID: found.orderID, clientOrderID: found.clientOrderID) }
        return .unknown(reason: "\(label): not found by its client id after an ambiguous answer (\(ambiguity))")
    }

    /// `POST /api/v2/mix/order/cancel-order` by client id, resolved like `placeOrder`: an ambiguous answer
    /// is settled by reading the order back.
    public func cancelOrder(symbol: Symbol, clientOrderID: String) async throws -> CancelOutcome {
        let body = ["symbol": symbol.name, "productType": Self.productType, "marginCoin": "USDT", "clientOid": clientOrderID]
        var lastProblem = ""
        for attempt in 1...retry.maximumAttempts {
            do {
                _ = try await sendOnce(.POST, "/api/v2/mix/order/cancel-order", body: body, group: "order")
                return .canceled
            } catch let error as BitGetError {
                lastProblem = "\(error)"
                if error.provablyNotReceived, error.action == .retry {
                    try await backOff(after: attempt, error: error, path: "cancel-order")
                    continue
                }
                if case .credentials = error { return .unknown(reason: lastProblem) }
            }
            switch await lookUp(symbol: symbol, clientOrderID: clientOrderID) {
            case let .found(order) where order.state == "canceled": return .canceled
            case let .found(order) where order.state == "filled": return .alreadyFinal(state: order.state)
            case .notFound: return .notFound
            case .found, .unknown: break
            }
            try await backOff(after: attempt, error: nil, path: "cancel-order")
        }
        return .unknown(reason: "cancel \(clientOrderID): no answer after \(retry.maximumAttempts) attempts (last: \(lastProblem))")
    }

    /// Cancels a working order the bot did not send (by the exchange's id); one already gone is fine.
    public func cancelStrayOrder(symbol: Symbol, orderID: String) async throws {
        do {
            _ = try await request(.POST, "/api/v2/mix/order/cancel-order", body: [
                "symbol": symbol.name, "productType": Self.productType, "marginCoin": "USDT", "orderId": orderID,
            ], signed: true, group: "order")
        } catch let error as BitGetError {
            if case let .rejected(code, _) = error, code == "22001" || BitGetError.orderNotFoundCodes.contains(code) { return }
            throw error
        }
    }

    enum Lookup: Sendable {
        case found(ExchangeOrder)
        case notFound
        case unknown
    }

    /// One read of the order by client id (itself retried on transient failures).
    func lookUp(symbol: Symbol, clientOrderID: String) async -> Lookup {
        do {
            return .found(try await order(symbol: symbol, clientOrderID: clientOrderID))
        } catch let error as BitGetError where error.isOrderNotFound {
            return .notFound
        } catch {
            return .unknown
        }
    }

    func backOff(after attempt: Int, error: BitGetError?, path: String) async throws {
        var after: Double?
        if case let .rateLimited(seconds)? = error { after = seconds }
        let delay = retry.delay(afterFailure: attempt, retryAfter: after)
        try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
        if Task.isCancelled { throw CancellationError() }
    }
}

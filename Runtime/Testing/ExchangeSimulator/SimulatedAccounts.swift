import Foundation
import MarketModel
import TradingEngine

/// Orders and positions of the simulator's one account (USDT-M, one-way mode, isolated margin). Each
/// symbol's book is a `SimulatedVenue`: the project's one fill model and accounting fill the orders, and
/// its triggers fire stops, take-profits and liquidations and settle funding as simulated time passes.
actor SimulatedAccounts {
    struct Order: Sendable {
        var id: String
        var clientID: String
        var symbol: Symbol
        var side: String
        var kind: String
        var size: Double
        var price: Double?
        var reduceOnly: Bool
        var stopLoss: Double?
        var takeProfit: Double?
        var state: String
        var filled = 0.0
        var averagePrice: Double?
        var fee = 0.0
        var created: Int64
        var updated: Int64
    }

    struct Rejection: Error, Sendable {
        var code: String
        var message: String
    }

    let deposit: Double
    let parameters: [Symbol: EngineParameters]
    let funding: [Symbol: [FundingRate]]
    var books: [Symbol: SimulatedVenue] = [:]
    private var leverage: [Symbol: Double] = [:]
    var orders: [String: Order] = [:]
    var orderByClientID: [String: String] = [:]
    var nextID = 1_000_000
    /// Order updates for the private WebSocket, drained by the pusher.
    var updates: [Order] = []
    private var processedMinute: [Symbol: Int64] = [:]
    /// Position take-profit and stop-loss orders (`pos_profit`, `pos_loss`) by order id, and ids by client id.
    var plans: [String: PlanOrder] = [:]
    var planByClientID: [String: String] = [:]
    /// Plan order updates for the private `orders-algo` channel, drained by the pusher.
    var planUpdates: [PlanOrder] = []
    /// `one_way_mode` or `hedge_mode` (the account's setting; this simulator trades one-way only).
    var positionMode = "one_way_mode"
    /// `isolated` or `crossed` by symbol (BitGet's default is crossed; this simulator books both as isolated).
    private(set) var marginModes: [Symbol: String] = [:]
    /// A fault a test switches on: `place-tpsl-order` is refused.
    var refusesPlanOrders = false

    init(deposit: Double, parameters: [Symbol: EngineParameters], funding: [Symbol: [FundingRate]] = [:]) {
        self.deposit = deposit
        self.parameters = parameters
        self.funding = funding
    }

    /// The book of `symbol` (a venue holding no capital of its own: the deposit is shared).
    private func book(_ symbol: Symbol) -> SimulatedVenue? {
        if let book = books[symbol] { return book }
        guard let parameters = parameters[symbol] else { return nil }
        return SimulatedVenue(parameters: parameters, initialCapital: 0,
                              funding: FundingSchedule(rates: funding[symbol] ?? [], fallbackRate: 0))
    }

    func position(_ symbol: Symbol) -> Position? { books[symbol]?.account.position }
    var allPositions: [(Symbol, Position)] {
        books.compactMap { symbol, book in book.account.position.map { (symbol, $0) } }.sorted { $0.0 < $1.0 }
    }

    /// Deposit plus every book's realised result, USDT.
    var walletBalance: Double { deposit + books.values.reduce(0) { $0 + $1.account.walletBalance } }
    var lockedMargin: Double { books.values.reduce(0) { $0 + ($1.account.position?.margin ?? 0) } }

    func equity(prices: [Symbol: Double]) -> Double {
        walletBalance + books.reduce(0) { total, entry in
            total + (entry.value.account.position?.unrealizedPnL(at: prices[entry.key] ?? 0) ?? 0)
        }
    }

    func setLeverage(_ symbol: Symbol, _ value: Double) throws(Rejection) {
        guard let band = parameters[symbol]?.contract.maximumLeverage, value >= 1, value <= band else {
            throw Rejection(code: "40017", message: "leverage must be between 1 and \(parameters[symbol]?.contract.maximumLeverage ?? 0)")
        }
        leverage[symbol] = value
    }

    func setMarginMode(_ symbol: Symbol, _ mode: String) { marginModes[symbol] = mode }

    func leverage(_ symbol: Symbol) -> Double { leverage[symbol] ?? 20 }

    /// Places an order; market orders fill at `price` (the market's last price) at once.
    func place(symbol: Symbol, side: String, kind: String, size: Double, limitPrice: Double?, clientID: String, reduceOnly: Bool,
               stopLoss: Double?, takeProfit: Double?, price: Double, range: Double, now: Int64) throws(Rejection) -> Order {
        guard let parameters = parameters[symbol] else { throw Rejection(code: "40034", message: "Parameter symbol does not exist") }
        if !clientID.isEmpty, orderByClientID[clientID] != nil { throw Rejection(code: "40786", message: "Duplicate clientOid") }
        guard positionMode == "one_way_mode" else {
            throw Rejection(code: "40774", message: "The order type for unilateral position must also be the unilateral position type.")
        }
        let contract = parameters.contract
        let steps = size / contract.sizeStep
        guard size > 0, abs(steps - steps.rounded()) < 1e-6 else {
            throw Rejection(code: "40808", message: "Parameter verification exception size checkBDScale error value=\(size) checkScale=\(DecimalText.integerStepDecimals(contract.sizeStep))")
        }
        if let limitPrice {
            let ticks = limitPrice / contract.tickSize
            guard abs(ticks - ticks.rounded()) < 1e-6 else { throw Rejection(code: "41103", message: "param price scale error") }
        }
        guard size >= contract.minimumSize, size * price >= contract.minimumNotional || reduceOnly else {
            throw Rejection(code: "45110", message: "less than the minimum amount \(contract.minimumNotional) USDT")
        }
        let direction: Double = side == "buy" ? 1 : -1
        if reduceOnly {
            guard let open = books[symbol]?.account.position, open.side.sign != direction else {
                throw Rejection(code: "22002", message: "No position to close")
            }
        }
        nextID += 1
        var order = Order(id: String(nextID), clientID: clientID.isEmpty ? String(nextID) : clientID, symbol: symbol, side: side,
                          kind: kind, size: size, price: limitPrice, reduceOnly: reduceOnly, stopLoss: stopLoss, takeProfit: takeProfit,
                          state: "live", created: now, updated: now)
        if kind == "market" || limitPrice.map({ direction * (price - $0) <= 0 }) == true {
            let model = FillModel(parameters: parameters)
            let fillPrice = kind == "market" ? model.marketPrice(direction: direction, price: price, referenceRange: range) : limitPrice!
            try fill(&order, price: fillPrice, maker: kind != "market", now: now)
        }
        orders[order.id] = order
        orderByClientID[order.clientID] = order.id
        updates.append(order)
        return order
    }

    private func fill(_ order: inout Order, price: Double, maker: Bool, now: Int64) throws(Rejection) {
        guard var book = book(order.symbol) else { throw Rejection(code: "40034", message: "Parameter symbol does not exist") }
        let side: OrderSide = order.side == "buy" ? .buy : .sell
        var size = order.size
        if order.reduceOnly { size = min(size, book.account.position?.size ?? 0) }
        let liquidity: Liquidity = maker ? .maker : .taker
        let opening = book.account.position.map { $0.side.sign == side.sign } ?? true
        let lever = leverage(order.symbol)
        if opening {
            let needed = size * price / lever + book.fillModel.fee(size: size, price: price, liquidity: liquidity)
            let available = walletBalance - lockedMargin
            guard needed <= available else {
                order.state = "canceled"
                throw Rejection(code: "40762", message: "The order amount exceeds the balance")
            }
        }
        let (fee, _) = book.fillOrder(side: side, size: size, price: price, liquidity: liquidity, leverage: lever, time: now,
                                      stopLoss: order.stopLoss, takeProfit: order.takeProfit)
        books[order.symbol] = book
        presetProtection(of: order, time: now)
        order.filled = size
        order.averagePrice = price
        order.fee = fee
        order.state = "filled"
        order.updated = now
    }

    func cancel(symbol: Symbol, orderID: String?, clientID: String?, now: Int64) throws(Rejection) -> Order {
        guard let id = orderID ?? clientID.flatMap({ orderByClientID[$0] }), var order = orders[id], order.symbol == symbol else {
            throw Rejection(code: "40768", message: "Order does not exist")
        }
        guard order.state == "live" else { throw Rejection(code: "22001", message: "No order to cancel") }
        order.state = "canceled"
        order.updated = now
        orders[id] = order
        updates.append(order)
        return order
    }

    func order(symbol: Symbol, orderID: String?, clientID: String?) throws(Rejection) -> Order {
        guard let id = orderID ?? clientID.flatMap({ orderByClientID[$0] }), let order = orders[id], order.symbol == symbol else {
            throw Rejection(code: "40109", message: "The data of the order cannot be found")
        }
        return order
    }

    func openOrders(symbol: Symbol?) -> [Order] {
        orders.values.filter { $0.state == "live" && (symbol == nil || $0.symbol == symbol) }.sorted { $0.created < $1.created }
    }

    /// Runs the closed 1m bars since the last call through resting limit orders and each book's venue
    /// (stops, take-profits, liquidation, funding), in time order.
    func advance(market: SimulatedMarket, now: Int64) {
        for symbol in Set(books.keys).union(openOrders(symbol: nil).map(\.symbol)) {
            guard let bars = market.minuteBars[symbol], parameters[symbol] != nil else { continue }
            let from = processedMinute[symbol] ?? (now - 60_000) / 60_000 * 60_000 - 60_000
            for bar in bars where bar.openTime > from && bar.openTime + 60_000 <= now {
                processedMinute[symbol] = bar.openTime
                for var order in openOrders(symbol: symbol) {
                    guard let limit = order.price else { continue }
                    let touched = order.side == "buy" ? bar.low <= limit : bar.high >= limit
                    if touched {
                        try? fill(&order, price: limit, maker: true, now: bar.openTime + 60_000)
                        orders[order.id] = order
                        updates.append(order)
                    }
                }
                guard var book = books[symbol] else { continue }
                var events: [VenueEvent] = []
                let open = book.account.position
                book.advance(through: bar, events: &events)
                books[symbol] = book
                for event in events {
                    let exit: (reason: ExitReason, price: Double, fee: Double)
                    switch event {
                    case let .protectionTriggered(reason, fill): exit = (reason, fill.price, fill.fee)
                    case let .positionLiquidated(price, fee, _): exit = (.liquidation, price, fee)
                    default: continue
                    }
                    guard let open else { continue }
                    nextID += 1
                    // Within the bar, never before the position opened (an entry's own bar can trigger it).
                    let triggered = max(bar.openTime, open.openedAt)
                    settlePlans(symbol, closedBy: exit.reason, executeOrderID: String(nextID), time: triggered)
                    var order = Order(id: String(nextID), clientID: "\(exit.reason.rawValue)-\(nextID)", symbol: symbol,
                                      side: open.side == .long ? "sell" : "buy", kind: "market", size: open.size, price: nil,
                                      reduceOnly: true, stopLoss: nil, takeProfit: nil, state: "filled", created: triggered,
                                      updated: triggered)
                    order.filled = open.size
                    order.averagePrice = exit.price
                    order.fee = exit.fee
                    orders[order.id] = order
                    orderByClientID[order.clientID] = order.id
                    updates.append(order)
                }
            }
        }
    }

    /// Order updates since the last call.
    func drainUpdates() -> [Order] {
        defer { updates.removeAll() }
        return updates
    }
}

extension DecimalText {
    /// Decimals of a step, for error messages.
    static func integerStepDecimals(_ step: Double) -> Int {
        var decimals = 0
        var scaled = step
        while (scaled - scaled.rounded()).magnitude > 1e-9 && decimals < 12 {
            scaled *= 10
            decimals += 1
        }
        return decimals
    }
}

import Foundation
import Logging
import MarketModel

/// Settings of the live venue.
public struct LiveVenueSettings: Sendable, Equatable {
    /// How long a position may wait for its stop to be confirmed at the exchange, seconds; past it the
    /// position is closed and the symbol halted.
    public var stopConfirmationSeconds: Double
    /// How long a market order may take to report its fill, seconds.
    public var fillTimeoutSeconds: Double
    /// Largest accepted difference between this machine's clock and the exchange's, ms (BitGet refuses
    /// requests whose timestamp is far off; a skewed clock also misdates bars).
    public var maximumClockSkewMilliseconds: Int64
    /// Pause between two reads while waiting for the exchange, seconds.
    public var pollSeconds: Double
    /// Compare the clock with the exchange's `public/time` at start (off against a replaying simulator,
    /// whose time is simulated; the timestamp window of signed requests still catches a skewed clock).
    public var checksServerTime: Bool

    public init(stopConfirmationSeconds: Double = 10, fillTimeoutSeconds: Double = 10, maximumClockSkewMilliseconds: Int64 = 5_000,
                pollSeconds: Double = 0.25, checksServerTime: Bool = true) {
        self.checksServerTime = checksServerTime
        self.stopConfirmationSeconds = stopConfirmationSeconds
        self.fillTimeoutSeconds = fillTimeoutSeconds
        self.maximumClockSkewMilliseconds = maximumClockSkewMilliseconds
        self.pollSeconds = pollSeconds
    }
}

/// The engine's commands carried out on BitGet (USDT-M, one-way mode, isolated margin), with the stops
/// on the exchange: an entry is a `set-leverage`, a market order under the engine's deterministic
/// `clientOid` (its stop-loss and take-profit preset on it), its fill read back, then the position's
/// `pos_loss` (and `pos_profit`) confirmed by listing them: exactly one stop at the intended trigger, placed
/// with `place-tpsl-order` or moved with `modify-tpsl-order` when it is missing or off. A position whose
/// stop is not confirmed within `stopConfirmationSeconds` is closed (reduce-only market) and its symbol
/// halted. An order whose outcome stays unknown halts its symbol; it is never taken for rejected.
public actor BitGetVenue {
    /// What a command came to: the events for the engine, and the reason to halt the symbol, if any.
    public struct Outcome: Sendable, Equatable {
        public var events: [VenueEvent] = []
        public var halt: String?
        /// The halt is only that the position is already gone at the exchange (a stop, a take-profit or a
        /// liquidation fired, or a close by hand): a reconciliation books how it closed, so a caller that
        /// reconciles at once need not halt.
        public var closedAtExchange = false
        /// The orders the venue sent on its own (safety closes), as sent: the caller keeps their rows.
        public var ownOrders: [OrderRequest] = []

        public init(events: [VenueEvent] = [], halt: String? = nil) {
            self.events = events
            self.halt = halt
        }
    }

    let client: BitGetRESTClient
    let contracts: [Symbol: ContractSpec]
    let settings: LiveVenueSettings
    let logger: Logger
    /// Wall-clock milliseconds (event times, deadlines).
    let clock: @Sendable () -> Int64

    public init(client: BitGetRESTClient, contracts: [Symbol: ContractSpec], settings: LiveVenueSettings = LiveVenueSettings(),
                logger: Logger = Logger(label: "bitget.venue"),
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.client = client
        self.contracts = contracts
        self.settings = settings
        self.logger = logger
        self.clock = clock
    }

    /// Symbols with a command, report or reconciliation in progress, and the callers waiting for each, in
    /// arrival order (see `exclusively`).
    var busySymbols: Set<Symbol> = []
    var waitingForSymbol: [Symbol: [CheckedContinuation<Void, Never>]] = [:]
    /// Exchange orders whose close was booked (a fired stop's `executeOrderId`), so none is booked twice.
    var bookedExchangeCloses: Set<String> = []
    /// Records an order the venue sends on its own before it leaves (see `journalOwnOrders`).
    var ownOrderJournal: OwnOrderJournal?

    /// Stores an order the venue decided itself (a safety close) before it is sent, as the runtime stores
    /// the engine's. A crash in flight then leaves a row that the next start resolves by the order's
    /// client id.
    public typealias OwnOrderJournal = @Sendable (OrderRequest) async -> OwnOrderRecord

    /// What became of an own order's row.
    public enum OwnOrderRecord: Sendable, Equatable {
        case stored
        /// The client id has a row already (another order's): the order goes under another id.
        case idTaken
        case storeFailed(String)
    }

    /// Sets what stores the venue's own orders before they leave (none: they are sent unrecorded).
    public func journalOwnOrders(with journal: @escaping OwnOrderJournal) { ownOrderJournal = journal }

    /// Carries out `command` for `symbol`, after any other call for it; never throws (failures are events
    /// or a halt), except when cancelled.
    public func execute(_ command: VenueCommand, symbol: Symbol) async throws -> Outcome {
        guard let contract = contracts[symbol] else { return Outcome(halt: "\(symbol) has no contract specification") }
        return try await exclusively(symbol) {
            switch command {
            case let .submitEntry(order): return try await enter(order, symbol: symbol, contract: contract)
            case let .closePosition(order): return try await close(order, symbol: symbol, contract: contract)
            case let .amendProtection(stopLoss, takeProfit):
                var outcome = Outcome()
                try await protect(symbol: symbol, contract: contract, stopLoss: stopLoss, takeProfit: takeProfit, amending: true, outcome: &outcome)
                return outcome
            case let .cancel(id): return try await cancel(id, symbol: symbol)
            }
        }
    }

    // MARK: Entry

    func enter(_ order: EntryOrder, symbol: Symbol, contract: ContractSpec) async throws -> Outcome {
        var outcome = Outcome()
        let id = order.clientOrderID
        do {
            try await client.setLeverage(symbol: symbol, leverage: Int(order.leverage.rounded()))
        } catch {
            outcome.events.append(.orderRejected(id, reason: "set-leverage \(Int(order.leverage.rounded())): \(error)", time: clock()))
            return outcome
        }
        let request = OrderRequest(symbol: symbol, side: order.side == .long ? .buy : .sell, kind: .market, size: contract.sizeText(order.size),
                                   clientOrderID: id.rawValue, stopLoss: contract.priceText(order.stopLoss),
                                   takeProfit: contract.priceText(order.takeProfit))
        guard try await send(request, id: id, what: "entry", haltWhenRejected: nil, outcome: &outcome) else { return outcome }
        guard let fill = try await awaitFill(id, symbol: symbol, side: OrderSide.opening(order.side), leverage: order.leverage,
                                             outcome: &outcome) else {
            try await guardUnbookedPosition(symbol: symbol, contract: contract, stopLoss: order.stopLoss, outcome: &outcome)
            return outcome
        }
        outcome.events.append(.orderFilled(fill, exitReason: nil))
        try await protect(symbol: symbol, contract: contract, stopLoss: order.stopLoss, takeProfit: order.takeProfit, outcome: &outcome)
        return outcome
    }

    /// An entry that halted without a booked fill (its price unreadable, its cancel unresolved) may still
    /// have opened a position: whatever the engine knows, the exchange position gets its stop (or is
    /// closed when none can be confirmed). Nothing is booked here: reconciliation settles the order.
    func guardUnbookedPosition(symbol: Symbol, contract: ContractSpec, stopLoss: Double, outcome: inout Outcome) async throws {
        guard outcome.halt != nil else { return }
        if case .flat = await readPosition(symbol) { return }  // unreadable counts as open: `protect` reads again
        var guarded = Outcome()
        try await protect(symbol: symbol, contract: contract, stopLoss: stopLoss, takeProfit: nil, outcome: &guarded)
        let protected = guarded.events.contains { if case .protectionArmed = $0 { true } else { false } }
        // The engine has no position to apply the close to: its row stays in flight, and reconciliation
        // books it by its client id after the entry (whose id sorts first), in the same pass.
        outcome.ownOrders += guarded.ownOrders
        outcome.halt = (outcome.halt ?? "") + "; the exchange's position " + (protected ? "has its stop" : "was closed: \(guarded.halt ?? "")")
    }

    /// Places `request` and records what became of it: true when the exchange holds it. A rejection halts
    /// the symbol when `haltWhenRejected` says why; an unknown outcome always does.
    func send(_ request: OrderRequest, id: ClientOrderID, what: String, haltWhenRejected: String?, outcome: inout Outcome) async throws -> Bool {
        switch try await client.placeOrder(request) {
        case let .rejected(code, message):
            outcome.events.append(.orderRejected(id, reason: "\(code) \(message)", time: clock()))
            outcome.halt = haltWhenRejected.map { "\($0) (\(code) \(message))" }
            return false
        case let .unknown(reason):
            outcome.events.append(.orderOutcomeUnknown(id, reason: reason, time: clock()))
            outcome.halt = "the outcome of \(what) \(id) is unknown (\(reason)); reconcile before trading \(request.symbol) again"
            return false
        case .placed:
            outcome.events.append(.orderAccepted(id, time: clock()))
            return true
        }
    }

    /// The open position of `symbol` at the exchange (nil when flat).
    func openPosition(_ symbol: Symbol) async throws -> ExchangePosition? {
        try await client.positions().first { $0.symbol.uppercased() == symbol.name && $0.size > 0 }
    }

    enum PositionRead {
        case open(ExchangePosition), flat, unreadable
    }

    /// `openPosition` for callers that go on when the read fails.
    func readPosition(_ symbol: Symbol) async -> PositionRead {
        do {
            return try await openPosition(symbol).map(PositionRead.open) ?? .flat
        } catch {
            return .unreadable
        }
    }

    /// Closes the position at market under a fresh halt id (no confirmed stop, or a position the bot does
    /// not know): the one close the venue sends on its own.
    func closeForSafety(symbol: Symbol, contract: ContractSpec) async throws -> Outcome {
        let now = clock()
        let id = ClientOrderID(symbol: symbol, purpose: .halt, decisionTime: now, versionHash: Self.ownVersionHash)
        return try await close(ExitOrder(clientOrderID: id, reason: .halt, decisionTime: now), symbol: symbol, contract: contract, ownOrder: true)
    }

    /// Stores the venue's own `request` before it is sent: under the next free id (a millisecond later)
    /// when its id has a row already, so it is never taken for another order; sent even when it cannot be
    /// stored (a position without a confirmed stop is not kept open for the sake of a record).
    func recordOwn(_ request: OrderRequest, id: ClientOrderID) async -> (ClientOrderID, OrderRequest) {
        guard let journal = ownOrderJournal else { return (id, request) }
        var id = id, request = request
        for _ in 0..<5 {
            switch await journal(request) {
            case .stored: return (id, request)
            case let .storeFailed(reason):
                logger.error("the safety close could not be stored before it is sent; it is sent anyway",
                             metadata: ["symbol": "\(request.symbol)", "order": "\(id)", "reason": "\(reason)"])
                return (id, request)
            case .idTaken:
                id = ClientOrderID(symbol: request.symbol, purpose: .halt, decisionTime: (id.decisionTime ?? clock()) + 1, versionHash: Self.ownVersionHash)
                request.clientOrderID = id.rawValue
            }
        }
        logger.error("no free client id for the safety close; it is sent unrecorded", metadata: ["symbol": "\(request.symbol)", "order": "\(id)"])
        return (id, request)
    }

    /// The version part of the venue's own client ids (no agent decided them).
    public static let ownVersionHash = "00000000"

    /// Reads the order back until it is filled (a market order fills at once); one not filled in time has
    /// its rest cancelled and what did fill is booked.
    func awaitFill(_ id: ClientOrderID, symbol: Symbol, side: OrderSide, leverage: Double, outcome: inout Outcome) async throws -> Fill? {
        let deadline = clock() + Int64(settings.fillTimeoutSeconds * 1000)
        var last: ExchangeOrder?
        while true {
            if let order = try? await client.order(symbol: symbol, clientOrderID: id.rawValue) {
                last = order
                // A fill is booked only with its price (BitGet may show `filled` before `priceAvg`).
                if order.state == "filled", let fill = fill(of: order, id: id, side: side, leverage: leverage) { return fill }
                if order.state == "canceled" { break }
            }
            // Cancelled (shutdown): stop waiting and settle below; the events so far are returned, not thrown away.
            if clock() >= deadline || Task.isCancelled { break }
            try? await Task.sleep(nanoseconds: UInt64(settings.pollSeconds * 1e9))
        }
        if last?.state != "canceled" {
            switch try await client.cancelOrder(symbol: symbol, clientOrderID: id.rawValue) {
            case .unknown(let reason):
                outcome.events.append(.orderOutcomeUnknown(id, reason: reason, time: clock()))
                outcome.halt = "order \(id) did not fill in \(settings.fillTimeoutSeconds) s and its cancel is unresolved"
                return nil
            default: break
            }
            last = try? await client.order(symbol: symbol, clientOrderID: id.rawValue)
        }
        guard let order = last else {
            outcome.events.append(.orderOutcomeUnknown(id, reason: "its state cannot be read", time: clock()))
            outcome.halt = "order \(id) cannot be read back"
            return nil
        }
        if let fill = fill(of: order, id: id, side: side, leverage: leverage) { return fill }
        guard ["canceled", "cancelled"].contains(order.state), order.filledSize == 0 else {
            // Filled (in part or whole) with its volume or price not shown yet, or a state not known here:
            // never booked as cancelled, never booked at a guessed price.
            outcome.events.append(.orderOutcomeUnknown(id, reason: "\(order.state) with \(order.filledSize) filled and no average price shown",
                                                       time: clock()))
            outcome.halt = "order \(id) is \(order.state) but its fill cannot be read; reconcile"
            return nil
        }
        outcome.events.append(.orderCanceled(id, time: clock()))
        return nil
    }

    /// The fill an order shows, or nil when nothing is filled or the exchange does not show its average
    /// price yet (a fill is never booked at price 0).
    func fill(of order: ExchangeOrder, id: ClientOrderID, side: OrderSide, leverage: Double) -> Fill? {
        guard order.filledSize > 0, let price = order.averagePrice, price > 0 else { return nil }
        return Fill(clientOrderID: id, side: side, size: order.filledSize, price: price, fee: abs(order.fee), liquidity: .taker,
                    leverage: leverage, time: order.updatedTime > 0 ? order.updatedTime : clock())
    }

    // MARK: Close

    /// `ownOrder`: the venue's own close (stored through `ownOrderJournal` before it is sent; sent even when
    /// it cannot be stored: a position without a confirmed stop is not kept open for the sake of a record).
    func close(_ order: ExitOrder, symbol: Symbol, contract: ContractSpec, ownOrder: Bool = false) async throws -> Outcome {
        var outcome = Outcome()
        var id = order.clientOrderID
        let position: ExchangePosition?
        do {
            position = try await openPosition(symbol)
        } catch {
            outcome.events.append(.orderOutcomeUnknown(id, reason: "positions cannot be read: \(error)", time: clock()))
            outcome.halt = "the position of \(symbol) cannot be read to close it"
            return outcome
        }
        guard let position else {
            // Closed at the exchange already (a stop fired, or by hand): reconciliation books it from the exchange's fills.
            outcome.events.append(.orderRejected(id, reason: "no position to close at the exchange", time: clock()))
            outcome.halt = "\(symbol) is flat at the exchange while the engine holds a position; reconcile"
            outcome.closedAtExchange = true
            return outcome
        }
        let side: OrderSide = position.side == "long" ? .sell : .buy
        var request = OrderRequest(symbol: symbol, side: side == .buy ? .buy : .sell, kind: .market, size: contract.sizeText(position.size),
                                   clientOrderID: id.rawValue, reduceOnly: true)
        if ownOrder {
            (id, request) = await recordOwn(request, id: id)
            outcome.ownOrders.append(request)
        }
        guard try await send(request, id: id, what: "close", haltWhenRejected: "the close of \(symbol) was refused; the position keeps its exchange stop",
                             outcome: &outcome) else { return outcome }
        guard let fill = try await awaitFill(id, symbol: symbol, side: side, leverage: position.leverage, outcome: &outcome) else { return outcome }
        outcome.events.append(.orderFilled(fill, exitReason: order.reason))
        if fill.size < position.size - contract.sizeStep / 2 {
            // A reduce-only market order that filled in part leaves a position the engine would believe closed.
            outcome.halt = "the close of \(symbol) filled \(fill.size) of \(position.size); the rest keeps its exchange stop; reconcile"
            return outcome
        }
        try await cancelLeftoverProtection(symbol: symbol, outcome: &outcome)
        return outcome
    }

    /// Once flat, the position TP/SL orders left over are cancelled by symbol, plan type and their ids
    /// (never without ids), then the list is read again to verify.
    func cancelLeftoverProtection(symbol: Symbol, outcome: inout Outcome) async throws {
        for _ in 0..<3 {
            guard let plans = try? await client.positionProtection(symbol: symbol) else { continue }
            let leftovers = plans.filter { $0.kind != nil }
            if leftovers.isEmpty { return }
            switch await readPosition(symbol) {
            case .open: return  // a position again (opened by hand?): the plans may protect it; reconciliation decides
            case .unreadable: continue
            case .flat: break
            }
            try? await cancelPlans(leftovers, symbol: symbol)
        }
        // A leftover could later be taken for the next position's stop: the symbol waits for reconciliation.
        logger.warning("position TP/SL orders left over after the close could not be verified as cancelled",
                       metadata: ["symbol": "\(symbol)"])
        outcome.halt = "TP/SL orders of \(symbol) left over after its close could not be verified as cancelled; reconcile"
    }

    // MARK: Cancel

    func cancel(_ id: ClientOrderID, symbol: Symbol) async throws -> Outcome {
        var outcome = Outcome()
        switch try await client.cancelOrder(symbol: symbol, clientOrderID: id.rawValue) {
        case .canceled, .notFound:
            outcome.events.append(.orderCanceled(id, time: clock()))
        case .alreadyFinal:
            outcome.halt = "order \(id) filled before its cancel; reconcile to book the fill"
        case let .unknown(reason):
            outcome.events.append(.orderOutcomeUnknown(id, reason: reason, time: clock()))
            outcome.halt = "the cancel of \(id) is unresolved (\(reason))"
        }
        return outcome
    }
}

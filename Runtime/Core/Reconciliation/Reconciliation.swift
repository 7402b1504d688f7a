import MarketModel

/// What the store believes about one symbol: the position it booked (with the protection it intended)
/// and the orders it sent whose outcome it has not seen.
public struct BelievedState: Sendable, Equatable {
    public var position: Position?
    /// Orders sent and not known to be filled, rejected or cancelled.
    public var inFlight: [ClientOrderID]

    public init(position: Position?, inFlight: [ClientOrderID] = []) {
        self.position = position
        self.inFlight = inFlight
    }
}

/// A position as the venue reports it.
public struct ReportedPosition: Sendable, Equatable {
    public var side: PositionSide
    /// Base-asset size, and the average entry price, USDT.
    public var size: Double
    public var entryPrice: Double
    public var leverage: Double

    public init(side: PositionSide, size: Double, entryPrice: Double, leverage: Double) {
        self.side = side
        self.size = size
        self.entryPrice = entryPrice
        self.leverage = leverage
    }
}

/// A protective order live at the venue (a position stop-loss or take-profit).
public struct ReportedProtection: Sendable, Equatable {
    public enum Kind: String, Sendable { case stopLoss, takeProfit }
    public var kind: Kind
    public var venueOrderID: String
    /// Trigger price, USDT.
    public var trigger: Double

    public init(kind: Kind, venueOrderID: String, trigger: Double) {
        self.kind = kind
        self.venueOrderID = venueOrderID
        self.trigger = trigger
    }
}

/// What the venue says about an order the store sent, looked up by its client id.
public enum OrderResolution: Sendable, Equatable {
    /// It filled (fully): its fill is `fill`.
    case filled(Fill)
    /// Part of it filled (`fill`: the part); `stillWorking` when the rest may still fill, else the rest was
    /// cancelled.
    case partiallyFilled(Fill, stillWorking: Bool)
    /// It is still working.
    case working
    /// The venue refused or cancelled it: nothing was executed.
    case notExecuted(String)
    /// The venue has no order with that id, `secondsSinceSubmission` after it was sent: within the grace
    /// period it may still be in transit (or not yet indexed); after it, the request never reached the venue.
    case notFound(secondsSinceSubmission: Double)
    /// The lookup itself failed: the outcome is unknown.
    case unknown(String)
}

/// What the venue reports about one symbol.
public struct VenueReport: Sendable, Equatable {
    public var position: ReportedPosition?
    public var protections: [ReportedProtection]
    /// Working orders the venue has for the symbol that are not in flight in the store (by venue id).
    public var strayOrders: [String]
    /// The outcome of every in-flight order of the store, by client id.
    public var resolutions: [ClientOrderID: OrderResolution]

    public init(position: ReportedPosition?, protections: [ReportedProtection] = [], strayOrders: [String] = [],
                resolutions: [ClientOrderID: OrderResolution] = [:]) {
        self.position = position
        self.protections = protections
        self.strayOrders = strayOrders
        self.resolutions = resolutions
    }
}

/// What to do about a position the store does not know (opened by hand, or by another bot).
public enum UnknownPositionPolicy: String, Sendable, Codable {
    /// Close it with a reduce-only market order (the default: the bot trades only what it decided).
    case flatten
    /// Take it over and protect it with a stop `stopDistance` away from its entry.
    case adopt
}

/// One step that brings the store and the venue into agreement.
public enum ReconciliationAction: Sendable, Equatable {
    /// Book the fill of an in-flight order the venue executed (the store missed it).
    case bookFill(ClientOrderID, Fill)
    /// Forget an in-flight order the venue did not execute (refused, cancelled, or never received).
    case forgetOrder(ClientOrderID, reason: String)
    /// The position closed at the venue while the store held it (a stop fired while no one looked):
    /// book the close from the venue's fills.
    case bookClosedAtVenue(Position)
    /// Take the venue's position as the truth (its size or entry differs from the store's, or it is adopted).
    case adoptPosition(ReportedPosition)
    /// Close the position at the venue (reduce-only market).
    case flatten(reason: String)
    /// Place (or move to) the intended stop-loss and take-profit of the position.
    case armProtection(stopLoss: Double, takeProfit: Double?)
    /// Cancel these venue orders (duplicate or orphaned protection, stray orders), by venue id.
    case cancelOrders([String], reason: String)
    /// Cancel what is left of an order still working at the venue, by its client id (its filled part is
    /// booked once the order is done).
    case cancelOrder(ClientOrderID, reason: String)
    /// Nothing can be decided yet (an order still working, or not found so soon after it was sent):
    /// reconcile again shortly, trading nothing for the symbol meanwhile. The runtime halts the symbol
    /// when retries do not settle it within its limit.
    case retryLater(reason: String)
    /// Stop trading the symbol and alert: the states cannot be made to agree safely.
    case halt(reason: String)
}

/// The reconciliation rules as one pure function: what the store believes and what the venue reports →
/// the actions that make them agree, failing closed (halt) whenever an outcome is unknown. The runtime
/// performs the actions and trades nothing for the symbol until a reconciliation returns no action.
public enum Reconciliation {
    public struct Rules: Sendable, Equatable {
        public var unknownPosition: UnknownPositionPolicy
        /// Sizes closer than this fraction count as equal (the venue's rounding).
        public var sizeTolerance: Double
        /// Triggers closer than this many price units count as equal (a tick).
        public var priceTolerance: Double
        /// Entry prices closer than this fraction count as equal (the venue's average and the fill's are
        /// rounded differently).
        public var entryPriceTolerance: Double = 1e-4
        /// For an adopted position without a stop: the stop's distance from the entry, fraction of price.
        public var adoptedStopDistance: Double
        /// An order not found sooner than this after it was sent may still be in transit: seconds.
        public var notFoundGraceSeconds: Double

        public init(unknownPosition: UnknownPositionPolicy = .flatten, sizeTolerance: Double = 1e-9, priceTolerance: Double = 1e-9,
                    adoptedStopDistance: Double = 0.01, notFoundGraceSeconds: Double = 60) {
            self.unknownPosition = unknownPosition
            self.sizeTolerance = sizeTolerance
            self.priceTolerance = priceTolerance
            self.adoptedStopDistance = adoptedStopDistance
            self.notFoundGraceSeconds = notFoundGraceSeconds
        }
    }

    public static func reconcile(believed: BelievedState, report: VenueReport, rules: Rules = Rules()) -> [ReconciliationAction] {
        var actions: [ReconciliationAction] = []
        var openedByInFlight = false, closedByInFlight = false
        // 1. Every in-flight order gets a known outcome, or the symbol halts.
        for id in believed.inFlight.sorted() {
            switch report.resolutions[id] ?? .unknown("not looked up") {
            case let .filled(fill):
                actions.append(.bookFill(id, fill))
                if id.purpose == .entry { openedByInFlight = true } else { closedByInFlight = true }
            case let .partiallyFilled(fill, stillWorking):
                if stillWorking {
                    return actions + [.cancelOrder(id, reason: "partly filled; the rest is cancelled so that the part filled can be booked"),
                                      .retryLater(reason: "order \(id) is partly filled; its rest is being cancelled")]
                }
                actions.append(.bookFill(id, fill))
                if id.purpose == .entry { openedByInFlight = true } else { closedByInFlight = true }
            case .working:
                return actions + [.retryLater(reason: "order \(id) is still working at the venue; wait for it before trading")]
            case let .notExecuted(reason):
                actions.append(.forgetOrder(id, reason: reason))
            case let .notFound(seconds):
                guard seconds >= rules.notFoundGraceSeconds else {
                    return actions + [.retryLater(reason: "order \(id) is not at the venue \(Int(seconds)) s after it was sent; it may still be in transit")]
                }
                actions.append(.forgetOrder(id, reason: "the venue never received it"))
            case let .unknown(reason):
                return actions + [.halt(reason: "the outcome of order \(id) is unknown (\(reason)); not trading until it is resolved")]
            }
        }
        // 2. The position: the venue's is the truth.
        let intended = believed.position
        switch (intended, report.position) {
        case (nil, nil):
            break
        case let (held?, nil):
            if !closedByInFlight { actions.append(.bookClosedAtVenue(held)) }
        case let (nil, reported?):
            if openedByInFlight { break }
            switch rules.unknownPosition {
            case .flatten:
                actions.append(.flatten(reason: "a \(reported.side.rawValue) position of \(reported.size) the bot did not open"))
                return actions
            case .adopt:
                actions.append(.adoptPosition(reported))
                let distance = reported.entryPrice * rules.adoptedStopDistance * reported.side.sign
                return actions + protection(stopLoss: reported.entryPrice - distance, takeProfit: nil, report: report, rules: rules)
            }
        case let (held?, reported?):
            if held.side != reported.side {
                return actions + [.halt(reason: "the store holds a \(held.side.rawValue) position, the venue a \(reported.side.rawValue) one")]
            }
            if abs(held.size - reported.size) > rules.sizeTolerance * max(held.size, reported.size)
                || abs(held.entryPrice - reported.entryPrice) > rules.entryPriceTolerance * max(1, held.entryPrice) {
                actions.append(.adoptPosition(reported))
            }
        }
        // 3. Protection: exactly one stop at the intended trigger while a position is open; none when flat.
        guard report.position != nil else {
            let leftovers = report.protections.map(\.venueOrderID) + report.strayOrders
            if !leftovers.isEmpty { actions.append(.cancelOrders(leftovers, reason: "left over while flat")) }
            return actions
        }
        if !report.strayOrders.isEmpty { actions.append(.cancelOrders(report.strayOrders, reason: "not sent by the bot")) }
        guard let stopLoss = intended?.stopLoss else {
            if intended == nil, openedByInFlight {
                // The entry filled unobserved: its preset stop must be at the venue, else the position is closed.
                if report.protections.contains(where: { $0.kind == .stopLoss }) { return actions }
                return actions + [.flatten(reason: "an entry filled while unobserved and the venue shows no stop for it")]
            }
            return actions + [.halt(reason: "the position has no intended stop-loss to arm")]
        }
        return actions + protection(stopLoss: stopLoss, takeProfit: intended?.takeProfit, report: report, rules: rules)
    }

    /// Keeps one stop at `stopLoss` (and one take-profit at `takeProfit`, when given): extras cancelled,
    /// a missing or misplaced one (re)armed.
    static func protection(stopLoss: Double, takeProfit: Double?, report: VenueReport, rules: Rules) -> [ReconciliationAction] {
        var actions: [ReconciliationAction] = []
        let stops = report.protections.filter { $0.kind == .stopLoss }
        let targets = report.protections.filter { $0.kind == .takeProfit }
        let extras = Array(stops.dropFirst()) + Array(targets.dropFirst())
        if !extras.isEmpty { actions.append(.cancelOrders(extras.map(\.venueOrderID), reason: "duplicate protection")) }
        let stopMatches = stops.first.map { abs($0.trigger - stopLoss) <= rules.priceTolerance * max(1, stopLoss) } ?? false
        let targetMatches = takeProfit.map { wanted in targets.first.map { abs($0.trigger - wanted) <= rules.priceTolerance * max(1, wanted) } ?? false } ?? true
        if !stopMatches || !targetMatches { actions.append(.armProtection(stopLoss: stopLoss, takeProfit: takeProfit)) }
        return actions
    }
}

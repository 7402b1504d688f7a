import MarketModel
import Reconciliation
import Testing

/// The reconciliation rules, scenario by scenario: each names what the store believes, what the venue
/// reports, and the exact actions expected.
@Suite struct ReconciliationTests {
    static let entry = ClientOrderID(symbol: "BTCUSDT", purpose: .entry, decisionTime: 1_750_000_060_000, agentVersion: "v1")
    static let exit = ClientOrderID(symbol: "BTCUSDT", purpose: .exit, decisionTime: 1_750_000_120_000, agentVersion: "v1")
    static let held = Position(side: .long, size: 0.05, entryPrice: 30_000, margin: 300, leverage: 5, stopLoss: 29_700,
                               takeProfit: 30_600, openedAt: 1_750_000_060_000, fees: 0.9, funding: 0)
    static let reported = ReportedPosition(side: .long, size: 0.05, entryPrice: 30_000, leverage: 5)
    static let stop = ReportedProtection(kind: .stopLoss, venueOrderID: "s1", trigger: 29_700)
    static let target = ReportedProtection(kind: .takeProfit, venueOrderID: "t1", trigger: 30_600)
    static let fill = Fill(clientOrderID: entry, side: .buy, size: 0.05, price: 30_000, fee: 0.9, liquidity: .taker, leverage: 5,
                           time: 1_750_000_060_500)

    @Test func agreeingStatesNeedNothing() {
        #expect(Reconciliation.reconcile(believed: BelievedState(position: nil), report: VenueReport(position: nil)).isEmpty)
        let protected = VenueReport(position: Self.reported, protections: [Self.stop, Self.target])
        #expect(Reconciliation.reconcile(believed: BelievedState(position: Self.held), report: protected).isEmpty)
    }

    /// The response to an entry was lost: the venue filled it. The fill is booked, nothing is re-sent.
    @Test func aLostResponseIsResolvedByTheClientID() {
        let actions = Reconciliation.reconcile(
            believed: BelievedState(position: nil, inFlight: [Self.entry]),
            report: VenueReport(position: Self.reported, protections: [Self.stop, Self.target], resolutions: [Self.entry: .filled(Self.fill)]))
        #expect(actions == [.bookFill(Self.entry, Self.fill)])
    }

    @Test func anOrderThatNeverReachedTheVenueIsForgottenAndAnUnknownOneHalts() {
        let never = Reconciliation.reconcile(believed: BelievedState(position: nil, inFlight: [Self.entry]),
                                             report: VenueReport(position: nil, resolutions: [Self.entry: .notFound(secondsSinceSubmission: 90)]))
        #expect(never == [.forgetOrder(Self.entry, reason: "the venue never received it")])
        let soon = Reconciliation.reconcile(believed: BelievedState(position: nil, inFlight: [Self.entry]),
                                            report: VenueReport(position: nil, resolutions: [Self.entry: .notFound(secondsSinceSubmission: 5)]))
        #expect(soon == [.retryLater(reason: "order \(Self.entry) is not at the venue 5 s after it was sent; it may still be in transit")],
                "not found yet is not proof it never arrived")
        let unknown = Reconciliation.reconcile(believed: BelievedState(position: nil, inFlight: [Self.entry]),
                                               report: VenueReport(position: nil, resolutions: [Self.entry: .unknown("timeout")]))
        #expect(unknown == [.halt(reason: "the outcome of order \(Self.entry) is unknown (timeout); not trading until it is resolved")])
        let notLookedUp = Reconciliation.reconcile(believed: BelievedState(position: nil, inFlight: [Self.entry]), report: VenueReport(position: nil))
        #expect(notLookedUp.count == 1 && { if case .halt = notLookedUp[0] { true } else { false } }(), "no resolution is no proof")
    }

    /// A partly filled entry whose rest was cancelled is booked for the part that filled; one still working
    /// has its rest cancelled and is looked at again. An entry booked this way must have its stop at the
    /// venue, else the position is closed.
    @Test func aPartialFillIsBookedOnlyOnceTheOrderIsDone() {
        let done = Reconciliation.reconcile(
            believed: BelievedState(position: nil, inFlight: [Self.entry]),
            report: VenueReport(position: Self.reported, protections: [Self.stop, Self.target],
                                resolutions: [Self.entry: .partiallyFilled(Self.fill, stillWorking: false)]))
        #expect(done == [.bookFill(Self.entry, Self.fill)])
        let working = Reconciliation.reconcile(
            believed: BelievedState(position: nil, inFlight: [Self.entry]),
            report: VenueReport(position: Self.reported, resolutions: [Self.entry: .partiallyFilled(Self.fill, stillWorking: true)]))
        #expect(working == [.cancelOrder(Self.entry, reason: "partly filled; the rest is cancelled so that the part filled can be booked"),
                            .retryLater(reason: "order \(Self.entry) is partly filled; its rest is being cancelled")])
        let unprotected = Reconciliation.reconcile(
            believed: BelievedState(position: nil, inFlight: [Self.entry]),
            report: VenueReport(position: Self.reported, resolutions: [Self.entry: .partiallyFilled(Self.fill, stillWorking: false)]))
        #expect(unprotected == [.bookFill(Self.entry, Self.fill),
                                .flatten(reason: "an entry filled while unobserved and the venue shows no stop for it")])
        let lostAndUnprotected = Reconciliation.reconcile(
            believed: BelievedState(position: nil, inFlight: [Self.entry]),
            report: VenueReport(position: Self.reported, resolutions: [Self.entry: .filled(Self.fill)]))
        #expect(lostAndUnprotected.last == .flatten(reason: "an entry filled while unobserved and the venue shows no stop for it"))
    }

    @Test func aMissingStopIsReArmedAndAMisplacedOneMoved() {
        let missing = Reconciliation.reconcile(believed: BelievedState(position: Self.held),
                                               report: VenueReport(position: Self.reported, protections: [Self.target]))
        #expect(missing == [.armProtection(stopLoss: 29_700, takeProfit: 30_600)])
        let moved = ReportedProtection(kind: .stopLoss, venueOrderID: "s1", trigger: 29_500)
        let misplaced = Reconciliation.reconcile(believed: BelievedState(position: Self.held),
                                                 report: VenueReport(position: Self.reported, protections: [moved, Self.target]))
        #expect(misplaced == [.armProtection(stopLoss: 29_700, takeProfit: 30_600)])
    }

    @Test func duplicateProtectionIsCancelledByIDAndLeftoversWhenFlat() {
        let twice = ReportedProtection(kind: .stopLoss, venueOrderID: "s2", trigger: 29_700)
        let duplicate = Reconciliation.reconcile(believed: BelievedState(position: Self.held),
                                                 report: VenueReport(position: Self.reported, protections: [Self.stop, twice, Self.target]))
        #expect(duplicate == [.cancelOrders(["s2"], reason: "duplicate protection")])
        let flat = Reconciliation.reconcile(believed: BelievedState(position: nil),
                                            report: VenueReport(position: nil, protections: [Self.stop, Self.target], strayOrders: ["o9"]))
        #expect(flat == [.cancelOrders(["s1", "t1", "o9"], reason: "left over while flat")])
    }

    @Test func aPositionOpenedByHandIsFlattenedOrAdoptedWithAStop() {
        let flattened = Reconciliation.reconcile(believed: BelievedState(position: nil), report: VenueReport(position: Self.reported))
        #expect(flattened == [.flatten(reason: "a long position of 0.05 the bot did not open")])
        let adopted = Reconciliation.reconcile(believed: BelievedState(position: nil), report: VenueReport(position: Self.reported),
                                               rules: .init(unknownPosition: .adopt, adoptedStopDistance: 0.01))
        #expect(adopted == [.adoptPosition(Self.reported), .armProtection(stopLoss: 29_700, takeProfit: nil)])
    }

    @Test func aStopThatFiredWhileDownIsBookedAndDisagreementsHalt() {
        let closed = Reconciliation.reconcile(believed: BelievedState(position: Self.held), report: VenueReport(position: nil))
        #expect(closed == [.bookClosedAtVenue(Self.held)])
        let short = ReportedPosition(side: .short, size: 0.05, entryPrice: 30_000, leverage: 5)
        let flipped = Reconciliation.reconcile(believed: BelievedState(position: Self.held), report: VenueReport(position: short))
        #expect(flipped == [.halt(reason: "the store holds a long position, the venue a short one")])
        let larger = ReportedPosition(side: .long, size: 0.08, entryPrice: 30_100, leverage: 5)
        let grown = Reconciliation.reconcile(believed: BelievedState(position: Self.held),
                                             report: VenueReport(position: larger, protections: [Self.stop, Self.target]))
        #expect(grown == [.adoptPosition(larger)], "the venue's size is the truth")
    }

    @Test func aWorkingOrderWaitsAndAnExitThatFilledClosesTheBook() {
        let working = Reconciliation.reconcile(believed: BelievedState(position: Self.held, inFlight: [Self.exit]),
                                               report: VenueReport(position: Self.reported, resolutions: [Self.exit: .working]))
        #expect(working == [.retryLater(reason: "order \(Self.exit) is still working at the venue; wait for it before trading")])
        let exitFill = Fill(clientOrderID: Self.exit, side: .sell, size: 0.05, price: 30_100, fee: 0.9, liquidity: .taker, leverage: 5,
                            time: 1_750_000_120_300)
        let done = Reconciliation.reconcile(believed: BelievedState(position: Self.held, inFlight: [Self.exit]),
                                            report: VenueReport(position: nil, resolutions: [Self.exit: .filled(exitFill)]))
        #expect(done == [.bookFill(Self.exit, exitFill)], "the exit's fill explains the flat venue: the close is booked once")
    }
}

import MarketModel

/// Where the engine's orders are executed: the seam between deciding and executing. The engine sends
/// commands (`VenueCommand`) and applies the events that come back (`VenueEvent`); it never fills its own
/// orders. `SimulatedVenue` executes against bars with the fill model and the perpetual account (the
/// backtester, the training environment, paper trading and the exchange simulator all use it); a live
/// venue's commands go to the exchange through the runtime, whose reports come back as events.
///
/// The engine is generic over its venue, so the simulated path is specialised and inlined: no dynamic
/// dispatch and no allocation per bar.
public protocol ExecutionVenue: Sendable {
    /// Takes a command. A venue that answers at once (the simulated one) appends the events it causes to
    /// `events`; one that answers later reports through the runtime.
    mutating func submit(_ command: VenueCommand, events: inout [VenueEvent])

    /// A closed bar of the market (open time + `barMilliseconds` = close). A simulated venue executes the
    /// order waiting for this bar's open, fires protection and liquidation inside it and settles funding at
    /// its close; a live venue does nothing (the exchange does all that itself).
    mutating func advance(through bar: Bar, events: inout [VenueEvent])
}

/// A venue that executes nothing itself: commands wait in `outbox` for the runtime to send them to the
/// exchange (the live path), and the exchange's reports come back through `TradingEngine.apply`.
public struct CommandOutbox: ExecutionVenue {
    public private(set) var outbox: [VenueCommand] = []

    /// An outbox holding `untaken` (restored after a restart).
    public init(untaken: [VenueCommand] = []) { outbox = untaken }

    public mutating func submit(_ command: VenueCommand, events: inout [VenueEvent]) { outbox.append(command) }
    public mutating func advance(through bar: Bar, events: inout [VenueEvent]) {}

    /// The commands not yet taken, oldest first; taking them empties the outbox.
    public mutating func take() -> [VenueCommand] {
        defer { outbox.removeAll() }
        return outbox
    }
}

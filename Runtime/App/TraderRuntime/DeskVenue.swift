import Features
import MarketModel
import Policy
import TradingEngine

/// What the desk needs of a venue besides the engine's protocol: how a symbol's trader is made, saved
/// and restored on it, and how the commands its engine decided reach the market. The paper venue
/// executes inside the bar (nothing to send); the command outbox sends them to the exchange.
public protocol DeskVenue: ExecutionVenue {
    /// What a restart restores of a symbol's trader on this venue (in `trader_state.state`).
    associatedtype SavedTrader: Codable & Sendable

    /// A fresh trader of `symbol` holding `capital` USDT.
    static func trader(symbol: Symbol, parameters: EngineParameters, capital: Double, funding: FundingSchedule, confirmation: ConfirmationRules,
                       columns: FeatureColumns, spec: FeatureSpec) -> SymbolTrader<Self>
    /// A trader continuing from `saved` (its features start empty and are replayed by the runtime).
    static func trader(symbol: Symbol, parameters: EngineParameters, saved: SavedTrader, funding: FundingSchedule, confirmation: ConfirmationRules,
                       columns: FeatureColumns, spec: FeatureSpec) -> SymbolTrader<Self>
    static func saved(_ trader: SymbolTrader<Self>) -> SavedTrader
    /// A new account's capital, set before its first bar (the allocator's share at `time`).
    static func startCapital(_ trader: inout SymbolTrader<Self>, _ capital: Double, allocationTime time: Int64)
    /// Funding settlements that became known (a venue that settles funding itself uses them).
    static func addFunding(_ trader: inout SymbolTrader<Self>, _ rates: [FundingRate])
    /// Books the funding settled at `time` (UTC ms) on the position held then: `rate` × the position's
    /// value at `markPrice`, paid by longs when positive. Nothing on a venue that settles funding itself
    /// inside the bar (paper); what the engine recorded.
    static func settleFunding(_ trader: inout SymbolTrader<Self>, rate: Double, markPrice: Double, time: Int64) -> EngineJournal
    /// The position an exit order closes (the engine's, or the venue's when the engine has not booked it).
    static func positionToClose(_ trader: SymbolTrader<Self>) -> Position?
    /// The commands waiting for the exchange, taken (none on a venue that executes them itself).
    static func takeCommands(_ trader: inout SymbolTrader<Self>) -> [VenueCommand]
    /// Applies the exchange's reports to the book; what the engine recorded.
    static func apply(_ events: [VenueEvent], to trader: inout SymbolTrader<Self>) -> EngineJournal
    /// Takes a position the bot did not open into a flat book (reconciliation's `adopt`), by its opening fill.
    static func adopt(_ fill: Fill, to trader: inout SymbolTrader<Self>) -> EngineJournal
}

extension SimulatedVenue: DeskVenue {
    public static func trader(symbol: Symbol, parameters: EngineParameters, capital: Double, funding: FundingSchedule, confirmation: ConfirmationRules,
                              columns: FeatureColumns, spec: FeatureSpec) -> PaperSymbolTrader {
        PaperSymbolTrader(symbol: symbol, parameters: parameters, capital: capital, funding: funding, confirmation: confirmation, columns: columns, spec: spec)
    }

    public static func trader(symbol: Symbol, parameters: EngineParameters, saved: PaperSymbolTrader.State, funding: FundingSchedule,
                              confirmation: ConfirmationRules, columns: FeatureColumns, spec: FeatureSpec) -> PaperSymbolTrader {
        PaperSymbolTrader(symbol: symbol, parameters: parameters, state: saved, funding: funding, confirmation: confirmation, columns: columns, spec: spec)
    }

    public static func saved(_ trader: PaperSymbolTrader) -> PaperSymbolTrader.State { trader.state }
    public static func startCapital(_ trader: inout PaperSymbolTrader, _ capital: Double, allocationTime time: Int64) {
        trader.startCapital(capital, allocationTime: time)
    }
    public static func addFunding(_ trader: inout PaperSymbolTrader, _ rates: [FundingRate]) { trader.addFunding(rates) }
    public static func settleFunding(_ trader: inout PaperSymbolTrader, rate: Double, markPrice: Double, time: Int64) -> EngineJournal { EngineJournal() }
    public static func positionToClose(_ trader: PaperSymbolTrader) -> Position? {
        trader.engine.account.position ?? trader.engine.venue.account.position
    }
    /// The paper venue executes inside the bar: nothing waits for an exchange, nothing comes back from one.
    public static func takeCommands(_ trader: inout PaperSymbolTrader) -> [VenueCommand] { [] }
    public static func apply(_ events: [VenueEvent], to trader: inout PaperSymbolTrader) -> EngineJournal { EngineJournal() }
    public static func adopt(_ fill: Fill, to trader: inout PaperSymbolTrader) -> EngineJournal { EngineJournal() }
}

extension CommandOutbox: DeskVenue {
    public static func trader(symbol: Symbol, parameters: EngineParameters, capital: Double, funding: FundingSchedule, confirmation: ConfirmationRules,
                              columns: FeatureColumns, spec: FeatureSpec) -> OutboxSymbolTrader {
        OutboxSymbolTrader(symbol: symbol, parameters: parameters, capital: capital, confirmation: confirmation, columns: columns, spec: spec)
    }

    public static func trader(symbol: Symbol, parameters: EngineParameters, saved: OutboxSymbolTrader.Saved, funding: FundingSchedule,
                              confirmation: ConfirmationRules, columns: FeatureColumns, spec: FeatureSpec) -> OutboxSymbolTrader {
        OutboxSymbolTrader(symbol: symbol, parameters: parameters, saved: saved, confirmation: confirmation, columns: columns, spec: spec)
    }

    public static func saved(_ trader: OutboxSymbolTrader) -> OutboxSymbolTrader.Saved { trader.saved }

    /// The book's capital is the allocator's share, as on paper (the exchange account holds the money).
    public static func startCapital(_ trader: inout OutboxSymbolTrader, _ capital: Double, allocationTime time: Int64) {
        trader.startCapital(capital, allocationTime: time)
    }

    /// The exchange charges funding itself; the book books each settlement by `settleFunding`.
    public static func addFunding(_ trader: inout OutboxSymbolTrader, _ rates: [FundingRate]) {}
    /// The exchange settles funding on the position it holds at `time`; the book follows with the same
    /// amount as the paper venue's model (a position opened at or after `time` pays nothing).
    public static func settleFunding(_ trader: inout OutboxSymbolTrader, rate: Double, markPrice: Double, time: Int64) -> EngineJournal {
        guard let position = trader.engine.account.position, position.openedAt < time, rate != 0 else { return EngineJournal() }
        return trader.apply([.fundingSettled(rate: rate, amount: position.funding(rate: rate, markPrice: markPrice), time: time)])
    }
    public static func positionToClose(_ trader: OutboxSymbolTrader) -> Position? { trader.engine.account.position }
    public static func takeCommands(_ trader: inout OutboxSymbolTrader) -> [VenueCommand] { trader.takeCommands() }
    public static func apply(_ events: [VenueEvent], to trader: inout OutboxSymbolTrader) -> EngineJournal { trader.apply(events) }
    public static func adopt(_ fill: Fill, to trader: inout OutboxSymbolTrader) -> EngineJournal { trader.adopt(fill) }
}

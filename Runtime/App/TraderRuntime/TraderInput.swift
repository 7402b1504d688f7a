import BitGet
import MarketModel
import Policy
import TradingEngine

/// Everything the decision loop reacts to, merged into one stream so one task owns the engines: the
/// order of the stream is the order of the decisions, and nothing else touches a symbol's state.
public enum TraderInput: Sendable {
    /// A closed 1m bar of the market (confirmed against the exchange's REST candle when configured).
    case bar(Symbol, ClosedBar)
    /// `agents/{SYMBOL}/current` changed: the agent to trade from the next bar on, or why it was refused.
    case agent(Symbol, AgentUpdate)
    /// An operator's request.
    case control(ControlRequest)
    /// A wall-clock tick (about once a second): staleness, health, retried writes, due reconciliations.
    case tick
    /// The live account's private stream told of a change on the exchange for the symbol (nil: all of
    /// them, after a reconnect): reconcile it at the next tick.
    case exchange(Symbol?)
}

/// A new agent for a symbol.
public enum AgentUpdate: Sendable {
    /// Loaded and checked (feature-spec hash included), with its loser filter when enabled.
    case loaded(AgentArtifact, LoserSimilarityFilter?, directory: String)
    /// The new `current` cannot be used; the agent in place keeps trading.
    case refused(version: String, reason: String)
    /// No `current` at all (never promoted, or removed): the symbol holds.
    case none
}

/// An operator's request, from `control_requests` (`trader resume`, `trader halt`; the Telegram issue
/// adds the chat as a second source).
public struct ControlRequest: Sendable, Equatable {
    public enum Command: String, Sendable {
        /// Lift a halt: the current equity becomes the new drawdown reference.
        case resume
        /// Halt: no entries, an open position is closed at the next open.
        case halt
        /// Stop entering (`/stop`, keeping positions): an open position keeps its stop and take-profit and
        /// the agent may still close it; no new position opens until `start`.
        case pause
        /// Lift a pause (`/start_trading`); a halt needs its own `resume`.
        case start
    }

    public var id: Int64
    public var command: Command
    /// nil: every symbol.
    public var symbol: Symbol?
    public var reason: String?

    public init(id: Int64, command: Command, symbol: Symbol?, reason: String? = nil) {
        self.id = id
        self.command = command
        self.symbol = symbol
        self.reason = reason
    }
}

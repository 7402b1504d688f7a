import Foundation
import Logging
import MarketModel
import Storage
import TradingEngine

/// What the trader stores per symbol in `trader_state.state`.
struct PersistedTrader: Codable {
    var trader: SymbolTrader.State
    var entryAgent: String?
    /// Entries stopped by the operator (`/stop`): the position keeps its stops, no new one opens until `/start_trading`.
    var paused: Bool? = nil
}

/// One write of the desk's journal: a traded bar's (or an operator request's) entry, or only a request's
/// completion; `failedBefore` once a try failed (its retry first checks whether it was stored anyway).
struct JournalWrite {
    var entry: BarJournalEntry?
    var bar: Bar?
    var request: CompletedRequest?
    var failedBefore = false

    init(entry: BarJournalEntry, bar: Bar?) {
        self.entry = entry
        self.bar = bar
    }

    init(request: CompletedRequest) { self.request = request }
}

/// The desk's settings, from the configuration.
struct DeskSettings: Sendable {
    var mode: String
    var allocation: AllocationPlan
    var catchUpLagSeconds: Double
    var staleAfterSeconds: Double
    var allocationWaitSeconds: Double
    var equitySnapshotMinutes: Int
    /// The rules every strategy record names (`loserFilter` is set per agent).
    var strategyRules: StrategyRecord.Rules
}

/// Reads a stored symbol state (for `trader status`).
public enum TraderStateReader {
    public static func decode(_ json: String) -> SymbolTrader.State? {
        try? JSONDecoder().decode(PersistedTrader.self, from: Data(json.utf8)).trader
    }
}

extension TradingDesk {
    /// Notes the rejected orders and the orders of unknown outcome the last journal entries saw (an
    /// unknown outcome is critical for the operator: the symbol sends nothing until it is resolved).
    func noteOrderTroubles() async {
        let troubles = orderTroubles
        orderTroubles.removeAll()
        for trouble in troubles { await note(trouble.symbol, trouble.kind, trouble.message, level: trouble.level) }
    }

    /// Logs an operator-facing event and records it in `trader_events`.
    func note(_ symbol: Symbol?, _ kind: String, _ message: String, level: Logger.Level = .notice) async {
        logger.log(level: level, "\(message)", metadata: symbol.map { ["symbol": "\($0)"] } ?? [:])
        let journal = self.journal
        _ = try? await store.run { _ in try journal.event(symbol: symbol, kind: kind, message: message, at: Self.now()) }
    }
}

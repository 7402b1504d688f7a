import BitGet
import Foundation
import Logging
import MarketModel
import Policy
import Storage
import TradingEngine

/// The one owner of the symbols' engines: it reads the merged input stream in order and, per closed bar,
/// trades the symbol (features → agent → risk → command on the paper venue), then persists what changed
/// in one transaction before it looks at the next input. Confined to the task that runs it.
final class TradingDesk<Venue: DeskVenue> {
    let settings: DeskSettings
    var traders: [Symbol: SymbolTrader<Venue>]
    let parameters: [Symbol: EngineParameters]
    let store: AsyncStore
    let journal: TraderJournal
    let funding: FundingBook
    let metrics: TraderMetrics
    let health: HealthBoard
    let logger: Logger
    /// Orders sent and not yet filled, rejected or cancelled, as stored.
    var openOrders: [ClientOrderID: OrderRow] = [:]
    /// Writes that failed (the store was unreachable), retried in order before anything new is written.
    var unwritten: [JournalWrite] = []
    var agentDirectories: [Symbol: String] = [:]
    /// The agent version that opened each symbol's position (for its trade and strategy record).
    var entryAgents: [Symbol: String] = [:]
    /// Bars held, per symbol and in order, until the other symbols' bars reach a rebalance's volatility.
    var held: [Symbol: HeldBars] = [:]
    /// The latest exchange time a bar arrived with (UTC ms) and when (wall clock): how late a held bar is
    /// when it is finally traded.
    var latestExchangeTime: (time: Int64, seen: ContinuousClock.Instant)?
    /// The symbols whose entries the operator stopped (`pause`), until `start`.
    var paused: Set<Symbol> = []
    /// The exchange a live book's commands go to (nil on paper).
    let exchange: DeskExchange?
    /// When each symbol is next reconciled with the exchange, why a symbol does not agree yet (its entries
    /// wait until it does), and the actions its last pass took (each new set is one event line).
    var nextReconciliation: [Symbol: ContinuousClock.Instant] = [:]
    var unreconciled: [Symbol: String] = [:]
    var lastActions: [Symbol: String] = [:]
    /// When each symbol's last pass ran; since when its position is gone at the exchange unexplained (UTC ms);
    /// the orders decided again after a restart whose rows this process must not write.
    var lastPass: [Symbol: ContinuousClock.Instant] = [:]
    var closedUnexplainedSince: [Symbol: Int64] = [:]
    var keepsItsRow: Set<ClientOrderID> = []
    /// When this process sent each in-flight order (wall clock, UTC ms).
    var sentAt: [ClientOrderID: Int64] = [:]
    /// The venue's own orders whose rows the next journal entry of their symbol writes.
    var unsavedOwnOrders: Set<ClientOrderID> = []

    init(settings: DeskSettings, traders: [Symbol: SymbolTrader<Venue>], parameters: [Symbol: EngineParameters], store: AsyncStore,
         funding: FundingBook, metrics: TraderMetrics, health: HealthBoard, logger: Logger, exchange: DeskExchange? = nil) {
        self.exchange = exchange
        self.settings = settings
        self.traders = traders
        self.parameters = parameters
        self.store = store
        journal = TraderJournal(store: store.store, mode: settings.mode)
        self.funding = funding
        self.metrics = metrics
        self.health = health
        self.logger = logger
        for (symbol, trader) in traders { publish(symbol, trader) }
    }

    /// Handles one input; never throws (a bad input is logged and dropped, the loop goes on).
    func handle(_ input: TraderInput) async {
        switch input {
        case let .bar(symbol, closed): await trade(symbol, closed)
        case let .agent(symbol, update): await install(symbol, update)
        case let .control(request): await perform(request)
        case .tick: await tick()
        case let .exchange(symbol): exchangeChanged(symbol.map { [$0] } ?? Array(traders.keys))
        }
    }

    // MARK: Bars

    /// Trades one closed bar now (``trade(_:_:)`` decides when).
    func tradeNow(_ symbol: Symbol, _ closed: ClosedBar) async {
        guard var trader = traders[symbol] else { return }
        let bar = closed.bar
        if let last = trader.lastBarOpenTime, bar.openTime <= last {
            logger.warning("bar already traded, dropped", metadata: ["symbol": "\(symbol)", "open": "\(UTCTime.format(bar.openTime))"])
            return
        }
        health.barArrived(symbol)
        metrics.bar(symbol, source: closed.source.rawValue)
        let close = bar.openTime + 60_000
        var fundingBooked = EngineJournal()
        // Every hour, so a contract that settles 4-hourly or hourly is charged at its own times as in backtests;
        // at the configured interval's times it waits briefly for the settlement to be published.
        if let parameters = parameters[symbol], close % 3_600_000 == 0 {
            let onGrid = close % (Int64(parameters.fundingIntervalHours) * 3_600_000) == 0
            let settled = await funding.refresh(symbol, settlement: onGrid ? close : nil)
            Venue.addFunding(&trader, settled)
            logger.debug("funding settlements", metadata: ["symbol": "\(symbol)", "new": "\(settled.map { "\(UTCTime.format($0.time)) \($0.rate)" })"])
            fundingBooked = settleLiveFunding(symbol, &trader, close: close, onGrid: onGrid, markPrice: bar.close)
        }
        allocate(&trader, close: close)
        var blocked: String? = paused.contains(symbol) ? "paused" : nil
        if closed.exchangeTime - close > Int64(settings.catchUpLagSeconds * 1000) { blocked = blocked ?? "catch_up" }
        if trader.agentVersion == nil { blocked = blocked ?? "no_agent" }
        if !unwritten.isEmpty { blocked = blocked ?? "store_down" }
        if unreconciled[symbol] != nil { blocked = blocked ?? "reconciling" }
        let started = ContinuousClock.now
        var outcome = trader.trade(bar, funding: funding.latest(symbol, at: close), entriesAllowed: blocked == nil)
        metrics.decision(seconds: Self.seconds(ContinuousClock.now - started))
        fundingBooked.append(outcome)
        outcome = fundingBooked
        await send(symbol, &trader, &outcome)
        if let blocked, trader.driver.blockedEntries > (traders[symbol]?.driver.blockedEntries ?? 0) {
            metrics.entryBlocked(symbol, reason: blocked)
            logger.info("entry not allowed", metadata: ["symbol": "\(symbol)", "reason": "\(blocked)"])
        }
        let entry = journalEntry(symbol, &trader, outcome, bar: bar)
        traders[symbol] = trader
        publish(symbol, trader, blocked: blocked, riskChanges: outcome.riskEvents)
        await write(entry, bar: bar)
    }

    /// The persistent record of one traded bar: the state, the orders and their fills, trades with
    /// their strategy records, the position, risk transitions and (on its schedule) the equity.
    /// `bar`: the bar traded (nil: an operator's request between bars).
    func journalEntry(_ symbol: Symbol, _ trader: inout SymbolTrader<Venue>, _ outcome: EngineJournal, bar: Bar?) -> BarJournalEntry {
        let engine = trader.engine
        let contract = engine.parameters.contract
        var entry = BarJournalEntry(symbol: symbol, lastBarOpenTime: bar?.openTime ?? trader.lastBarOpenTime ?? 0, agentVersion: trader.agentVersion,
                                    state: "{}")
        var touched: Set<ClientOrderID> = []
        var troubles: [EventRow] = []
        var entryFillTime: Int64?
        for command in outcome.commands {
            guard let id = command.clientOrderID, !keepsItsRow.contains(id), let row = openOrders[id] ?? orderRow(command, trader) else { continue }
            if openOrders[id] == nil { metrics.order(symbol, purpose: id.purpose == .entry ? "entry" : "exit", result: "submitted") }
            openOrders[id] = row
            touched.insert(id)
        }
        for event in outcome.events {
            switch event {
            case let .orderAccepted(id, time):
                update(id, time: time) { $0.status = "accepted" }
                touched.insert(id)
            case let .orderRejected(id, reason, time):
                update(id, time: time) { $0.status = "rejected" }
                touched.insert(id)
                metrics.order(symbol, purpose: id.purpose == .entry ? "entry" : "exit", result: "rejected")
                logger.warning("order rejected", metadata: ["symbol": "\(symbol)", "order": "\(id)", "reason": "\(reason)"])
                troubles.append(EventRow(kind: "order_rejected", message: "order \(id) rejected: \(reason)"))
            case let .orderCanceled(id, time):
                update(id, time: time) { $0.status = "canceled" }
                touched.insert(id)
            case let .orderOutcomeUnknown(id, reason, time):
                update(id, time: time) { $0.status = "unknown" }
                touched.insert(id)
                metrics.order(symbol, purpose: id.purpose == .entry ? "entry" : "exit", result: "unknown")
                logger.error("order outcome unknown: nothing new is sent for the symbol until it is resolved by its client id",
                             metadata: ["symbol": "\(symbol)", "order": "\(id)", "reason": "\(reason)"])
                troubles.append(EventRow(kind: "order_unknown", message: "order \(id): outcome unknown (\(reason)); nothing new is sent for the symbol "
                                         + "until it is resolved by its client id"))
            case let .orderFilled(fill, _):
                guard let id = fill.clientOrderID else { continue }
                update(id, time: fill.time) { row in
                    row.status = "filled"
                    row.filledSize = contract.sizeText(fill.size)
                    row.averagePrice = "\(fill.price)"
                    row.fee = "\(fill.fee)"
                }
                touched.insert(id)
                if id.purpose == .entry {
                    entryAgents[symbol] = trader.agentVersion
                    entryFillTime = fill.time
                }
                metrics.order(symbol, purpose: id.purpose == .entry ? "entry" : "exit", result: "filled")
            default:
                continue
            }
        }
        for id in unsavedOwnOrders where openOrders[id]?.symbol == symbol.name { touched.insert(id) }
        unsavedOwnOrders = unsavedOwnOrders.filter { openOrders[$0]?.symbol != symbol.name }
        entry.orders = touched.sorted().compactMap { openOrders[$0] }
        for id in touched where ["filled", "rejected", "canceled"].contains(openOrders[id]?.status ?? "") { openOrders[id] = nil }
        var rules = settings.strategyRules
        rules.loserFilter = trader.driver.entryFilter != nil
        for trade in outcome.trades {
            let agent = entryAgents[symbol] ?? trader.agentVersion
            entry.trades.append(TradeRow(symbol: symbol.name, trade: trade, agentVersion: agent))
            metrics.trade(symbol, reason: trade.exitReason)
            logger.notice("trade closed", metadata: [
                "symbol": "\(symbol)", "side": "\(trade.side.rawValue)", "net_pnl": "\(trade.netPnL)", "reason": "\(trade.exitReason.rawValue)",
            ])
            if let context = trader.takeEntryContext(enteredAt: trade.entryTime), let agent {
                entry.strategies.append(StrategyRecord(
                    trade: trade, context: context, layout: trader.layout, rules: rules,
                    riskUnit: engine.allocatedCapital * engine.parameters.risk.riskPerTrade, agentVersion: agent, symbol: symbol,
                    phase: settings.mode))
            }
        }
        if engine.account.position == nil { entryAgents[symbol] = nil }
        entry.state = Self.encode(PersistedTrader(trader: Venue.saved(trader), entryAgent: entryAgents[symbol], paused: paused.contains(symbol) ? true : nil))
        entry.position = engine.account.position.map {
            PositionRow(symbol: symbol.name, position: $0, liquidationPrice: engine.parameters.liquidationPrice(of: $0))
        }
        entry.riskEvents = outcome.riskEvents.map {
            logger.notice("risk state changed", metadata: ["symbol": "\(symbol)", "to": "\($0.to.rawValue)", "reason": "\($0.reason)"])
            return RiskChangeRow(time: $0.time, from: $0.from.rawValue, to: $0.to.rawValue, reason: $0.reason)
        }
        entry.events = Self.events(entry, entryFillTime: entryFillTime, position: engine.account.position, troubles: troubles)
        if let bar, (bar.openTime + 60_000) % (Int64(settings.equitySnapshotMinutes) * 60_000) == 0 {
            let close = bar.openTime + 60_000
            let wallet = engine.account.walletBalance
            entry.equity = EquityRow(time: close, equity: engine.equity, realized: wallet - engine.account.initialCapital,
                                     unrealized: engine.equity - wallet)
        }
        return entry
    }

    private func update(_ id: ClientOrderID, time: Int64, _ change: (inout OrderRow) -> Void) {
        guard var row = openOrders[id] else { return }
        change(&row)
        row.updatedAt = time
        openOrders[id] = row
    }

    /// Writes `entry` (and the bar it follows, so the nightly pipeline sees it), after any earlier write
    /// that failed; a failure keeps it for the next try and blocks entries until the store is back.
    func write(_ entry: BarJournalEntry, bar: Bar?) async {
        unwritten.append(JournalWrite(entry: entry, bar: bar))
        await flush()
    }

    func flush() async {
        while let next = unwritten.first {
            let journal = self.journal
            do {
                let alreadyStored = try await store.run { store -> Bool in
                    // A retry after an error the commit may have outlived (a connection lost after COMMIT):
                    // the entry's state already stored means it was written; writing it again would
                    // duplicate its trades and records.
                    if next.failedBefore, let entry = next.entry, try journal.holds(entry) { return true }
                    if let entry = next.entry {
                        if let bar = next.bar { _ = try store.upsertCandles([bar], symbol: entry.symbol, timeframe: .oneMinute) }
                        try journal.record(entry, at: Self.now())
                    } else if let request = next.request {
                        try journal.finishRequest(request.id, status: "done", result: request.result, at: Self.now())
                    }
                    return false
                }
                if alreadyStored {
                    logger.notice("a retried write had been stored before its error; not written twice",
                                  metadata: ["symbol": "\(next.entry?.symbol.name ?? "-")"])
                }
                unwritten.removeFirst()
            } catch {
                unwritten[0].failedBefore = true
                metrics.storeFailure()
                health.service("store", "failing: \(error)")
                logger.error("the store is unreachable; the bar's records are kept and retried, entries wait",
                             metadata: ["symbol": "\(next.entry?.symbol.name ?? "-")", "error": "\(error)", "waiting": "\(unwritten.count)"])
                return
            }
        }
        health.service("store", "running")
    }

    // MARK: Agents, operator requests, ticks

    func install(_ symbol: Symbol, _ update: AgentUpdate) async {
        guard var trader = traders[symbol] else { return }
        let previous = trader.agentVersion
        switch update {
        case let .loaded(artifact, filter, directory):
            trader.setAgent(AgentPolicy(artifact: artifact), filter: filter)
            agentDirectories[symbol] = directory
            metrics.agent(symbol, version: artifact.manifest.version, previous: previous)
            metrics.agentReload(symbol, result: "loaded")
            await note(symbol, "agent", "trading agent \(artifact.manifest.version)" + (previous.map { " (was \($0))" } ?? "")
                + (filter == nil ? "" : " with its loser filter"))
        case let .refused(version, reason):
            metrics.agentReload(symbol, result: "refused")
            await note(symbol, "agent_refused", "agent \(version) refused: \(reason); " + (previous.map { "\($0) keeps trading" } ?? "the symbol holds"),
                       level: .error)
            return
        case .none:
            guard previous != nil else { return }
            trader.setAgent(nil, filter: nil)
            metrics.agent(symbol, version: nil, previous: previous)
            await note(symbol, "agent", "no promoted agent any more: the symbol holds (an open position keeps its stop)")
        }
        traders[symbol] = trader
        publish(symbol, trader)
    }

    /// Carries out an operator's request on each symbol it names; the orders it sends (a halt cancels a
    /// working entry and closes the position at the next open) and the request's completion are stored
    /// with the symbol's state in one transaction, so a restart neither repeats nor loses it.
    func perform(_ request: ControlRequest) async {
        let symbols = request.symbol.map { [$0] } ?? traders.keys.sorted()
        var results: [String] = []
        var entries: [BarJournalEntry] = []
        for symbol in symbols {
            guard var trader = traders[symbol] else {
                results.append("\(symbol) is not traded by this trader")
                continue
            }
            if request.command == .pause || request.command == .start {
                let pausing = request.command == .pause
                guard paused.contains(symbol) != pausing else {
                    results.append("\(symbol): " + (pausing ? "entries already stopped" : "entries not stopped; nothing changed"))
                    continue
                }
                if pausing { paused.insert(symbol) } else { paused.remove(symbol) }
                // An entry decided at the last close fills at the next open: a stop cancels it.
                let (cancelled, decided) = pausing ? trader.cancelWorkingEntry() : (false, EngineJournal())
                var outcome = decided
                await send(symbol, &trader, &outcome)
                let position = trader.engine.account.position
                results.append("\(symbol): " + (pausing ? "entries stopped" + (cancelled ? ", the working entry cancelled" : "")
                                                      + (position == nil ? "" : "; the open position keeps its stop") : "entries allowed again")
                               + (!pausing && trader.engine.risk.state == .halted ? " (still halted: /resume lifts the halt)" : ""))
                var entry = journalEntry(symbol, &trader, outcome, bar: nil)
                entry.events.append(EventRow(kind: "operator", message: pausing ? "entries stopped by the operator" : "entries allowed again by the operator"))
                entries.append(entry)
                traders[symbol] = trader
                publish(symbol, trader, blocked: pausing ? "paused" : nil)
                continue
            }
            let (change, decided) = switch request.command {
            case .resume: trader.resetRisk()
            default: trader.halt(reason: "halted by the operator" + (request.reason.map { ": \($0)" } ?? ""))
            }
            guard let change else {
                let state = trader.engine.risk.state.rawValue
                results.append(request.command == .resume ? "\(symbol): not halted (\(state)); nothing changed" : "\(symbol): already \(state)")
                continue
            }
            // Sent only for a change that is kept (the trader is stored below with what its orders did).
            var outcome = decided
            await send(symbol, &trader, &outcome)
            results.append(change.from == change.to ? "\(symbol): \(change.to.rawValue), now until resumed"
                                                     : "\(symbol): \(change.from.rawValue) → \(change.to.rawValue)")
            // One line for the operator's own change (in the entry's transaction), not a risk alert besides it.
            var entry = journalEntry(symbol, &trader, outcome, bar: nil)
            entry.events.removeAll { $0.kind == "risk" || $0.kind == "halted" }
            entry.events.append(EventRow(kind: "operator", message: "\(request.command.rawValue): \(change.from.rawValue) → \(change.to.rawValue) (\(change.reason))"))
            entries.append(entry)
            traders[symbol] = trader
            publish(symbol, trader, riskChanges: [change])
        }
        let completion = CompletedRequest(id: request.id, result: results.joined(separator: "; "))
        if entries.isEmpty {
            unwritten.append(JournalWrite(request: completion))
            await flush()
            return
        }
        entries[entries.count - 1].completedRequest = completion
        for entry in entries { unwritten.append(JournalWrite(entry: entry, bar: nil)) }
        await flush()
    }

    func tick() async {
        if !unwritten.isEmpty { await flush() }
        await reconcileDue()
        if !held.isEmpty { await releaseHeld() }
        let (stale, recovered) = health.refreshStaleness(staleAfter: settings.staleAfterSeconds)
        for name in stale {
            await note(Symbol(name), "stale", "no closed bar for more than \(Int(settings.staleAfterSeconds)) s: entries wait for fresh data",
                       level: .warning)
        }
        for name in recovered { await note(Symbol(name), "fresh", "bars arrive again") }
        for symbol in traders.keys {
            if let seconds = health.report.symbols[symbol.name]?.secondsSinceLastBar { metrics.lastBarAge(symbol, seconds: seconds) }
        }
    }

    /// The symbol's account, risk and position in the health board and the metrics; `riskChanges`: the
    /// transitions just made (the engine's own list is cleared once they are journaled).
    func publish(_ symbol: Symbol, _ trader: SymbolTrader<Venue>, blocked: String? = nil, riskChanges: [RiskStateChanged] = []) {
        let engine = trader.engine
        metrics.account(symbol, engine: engine)
        health.update(symbol) { health in
            health.lastBarClose = trader.lastBarOpenTime.map { $0 + 60_000 }
            health.riskState = engine.risk.state.rawValue
            health.riskReason = riskChanges.last?.reason ?? engine.riskEvents.last?.reason ?? health.riskReason
            health.agentVersion = trader.agentVersion
            health.position = engine.account.position?.side.rawValue ?? "flat"
            health.positionSize = engine.account.position?.size ?? 0
            health.stopLoss = engine.account.position?.stopLoss
            health.equity = engine.equity
            health.entriesBlocked = blocked
        }
    }

    static func now() -> Int64 { TraderClock.now() }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func encode(_ value: some Encodable) -> String { TraderClock.encode(value) }
}

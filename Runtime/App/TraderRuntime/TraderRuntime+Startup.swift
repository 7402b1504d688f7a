import Features
import Foundation
import MarketModel
import Policy
import Storage
import TraderConfiguration
import TradingEngine

/// What start-up prepared for the services.
struct PreparedSymbols<Venue: DeskVenue> {
    var traders: [Symbol: SymbolTrader<Venue>] = [:]
    var parameters: [Symbol: EngineParameters] = [:]
    var funding: [Symbol: [FundingRate]] = [:]
    /// The open time of the last bar each symbol already has (the stream continues after it).
    var lastDelivered: [Symbol: Int64] = [:]
    /// The agent version each symbol trades at start ("" for none).
    var agents: [Symbol: String] = [:]
    /// The symbols restored from a stored state.
    var restored: Set<Symbol> = []
    /// The symbols whose entries the operator stopped (restored).
    var paused: Set<Symbol> = []
}

extension TraderRuntime {
    /// Restores each symbol from its stored state (replaying its stored bars into the features from where
    /// they started), or warms a new one up on the stored history before the next bar, the way a backtest
    /// from that bar does; installs each symbol's promoted agent.
    func prepareSymbols<Venue: DeskVenue>(_ symbols: [Symbol], on venue: Venue.Type, store: AsyncStore, loader: AgentLoader) async throws
        -> PreparedSymbols<Venue>
    {
        var prepared = PreparedSymbols<Venue>()
        let journal = TraderJournal(store: store.store, mode: options.mode)
        let spec = FeatureSpec.standard
        guard let columns = FeatureColumns(names: spec.names, tradingTimeframe: configuration.symbols.tradingTimeframe,
                                           stopTimeframe: configuration.risk.atr.timeframe,
                                           confirmationTimeframes: configuration.symbols.confirmationTimeframes)
        else { throw TraderStartError("the feature set lacks the trading, stop or confirmation timeframes' columns") }
        let confirmation = configuration.confirmationRules
        for symbol in symbols {
            guard let parameters = configuration.engineParameters(for: symbol) else {
                throw TraderStartError("\(symbol): no contract data (trading/symbols.yaml)")
            }
            guard parameters.problems.isEmpty else {
                throw TraderStartError("\(symbol): invalid trading parameters: \(parameters.problems.joined(separator: "; "))")
            }
            prepared.parameters[symbol] = parameters
            let rates = try await store.fundingRates(symbol: symbol, from: nil, to: nil)
            prepared.funding[symbol] = rates
            let schedule = FundingSchedule(rates: rates, fallbackRate: parameters.fallbackFundingRate)
            let saved = try await store.run { _ in try journal.state(symbol: symbol) }
            var trader: SymbolTrader<Venue>
            var replayFrom: Int64?, replayTo: Int64?
            if let saved {
                let persisted: PersistedTrader<Venue.SavedTrader>
                do {
                    persisted = try JSONDecoder().decode(PersistedTrader<Venue.SavedTrader>.self, from: Data(saved.state.utf8))
                } catch {
                    throw TraderStartError("\(symbol): the stored trader state cannot be read (\(error)); it was written by another version?")
                }
                trader = Venue.trader(symbol: symbol, parameters: parameters, saved: persisted.trader, funding: schedule,
                                      confirmation: confirmation, columns: columns, spec: spec)
                (replayFrom, replayTo) = (trader.warmUpStart, trader.lastBarOpenTime)
                prepared.lastDelivered[symbol] = trader.lastBarOpenTime
                prepared.restored.insert(symbol)
                if persisted.paused == true { prepared.paused.insert(symbol) }
                if trader.lastBarOpenTime == nil, let last = try await store.candleCoverage(symbol: symbol, timeframe: .oneMinute)?.lastOpenTime {
                    // Saved before its first bar (an operator's halt): its risk state is restored, its features
                    // warm up on the stored history as a new trader's do.
                    (replayFrom, replayTo) = (last + 60_000 - Int64(spec.tradingHistoryMinutes) * 60_000, last)
                    prepared.lastDelivered[symbol] = last
                    trader.forgetWarmUp()
                }
                logger.notice("restored", metadata: [
                    "symbol": "\(symbol)", "last_bar": "\(trader.lastBarOpenTime.map(UTCTime.format) ?? "none")",
                    "position": "\(trader.engine.account.position.map { "\($0.side.rawValue) \($0.size)" } ?? "flat")",
                    "equity": "\(trader.engine.equity)", "risk": "\(trader.engine.risk.state.rawValue)",
                ])
            } else {
                trader = Venue.trader(symbol: symbol, parameters: parameters, capital: configuration.allocationRules(symbols: symbols).equalShare,
                                      funding: schedule,
                                      confirmation: confirmation, columns: columns, spec: spec)
                if let last = try await store.candleCoverage(symbol: symbol, timeframe: .oneMinute)?.lastOpenTime {
                    replayFrom = last + 60_000 - Int64(spec.tradingHistoryMinutes) * 60_000
                    replayTo = last
                    prepared.lastDelivered[symbol] = last
                } else {
                    logger.warning("no stored 1m bars: the features warm up live (about \(spec.warmUpMinutes / 1_440 + 1) days before the first entry); run `pipeline download --symbols \(symbol)` first to trade at once",
                                   metadata: ["symbol": "\(symbol)"])
                }
            }
            if let from = replayFrom, let to = replayTo {
                let fed = try await warm(&trader, from: from, to: to, store: store, funding: rates,
                                         restoring: saved != nil && trader.lastBarOpenTime != nil)
                logger.info("features warmed up", metadata: ["symbol": "\(symbol)", "bars": "\(fed)", "valid": "\(trader.features.isValid)"])
            }
            let (version, update) = loader.load(symbol)
            prepared.agents[symbol] = version
            var events: [(kind: String, message: String)] = [(
                "started", saved == nil ? "started fresh: features warmed up on the stored history"
                    : "restored after the bar of \(UTCTime.format(trader.lastBarOpenTime ?? 0)): equity \(trader.engine.equity) USDT, "
                    + (trader.engine.account.position.map { "\($0.side.rawValue) \($0.size) open with its stop at \($0.stopLoss.map { "\($0)" } ?? "none")" } ?? "flat")
                    + ", risk \(trader.engine.risk.state.rawValue)")]
            switch update {
            case let .loaded(artifact, filter, _):
                trader.setAgent(AgentPolicy(artifact: artifact), filter: filter)
                logger.notice("agent", metadata: ["symbol": "\(symbol)", "version": "\(version)", "loser_filter": "\(filter != nil)"])
                events.append(("agent", "trading agent \(version)" + (filter == nil ? "" : " with its loser filter")))
            case let .refused(_, reason):
                logger.error("the promoted agent is refused; the symbol holds until a usable one is promoted",
                             metadata: ["symbol": "\(symbol)", "version": "\(version)", "reason": "\(reason)"])
                events.append(("agent_refused", "agent \(version) refused: \(reason); the symbol holds"))
            case .none:
                logger.warning("no promoted agent (agents/\(symbol)/current): the symbol holds", metadata: ["symbol": "\(symbol)"])
                events.append(("agent", "no promoted agent: the symbol holds"))
            }
            let now = TraderClock.now()
            let recorded = events
            try? await store.run { _ in for event in recorded { try journal.event(symbol: symbol, kind: event.kind, message: event.message, at: now) } }
            prepared.traders[symbol] = trader
        }
        // A new account's paper capital: the allocator's share for its first bar, from every symbol's
        // warmed-up volatility (a backtest from that bar starts with the same).
        let plan = configuration.allocationRules(symbols: symbols)
        for symbol in symbols {
            // (A trader saved before its first bar keeps the account it was saved with, and its risk state.)
            guard var trader = prepared.traders[symbol], trader.lastBarOpenTime == nil, !prepared.restored.contains(symbol),
                  let last = prepared.lastDelivered[symbol] else { continue }
            let time = plan.rebalanceTime(before: last + 120_000)
            let capitals = plan.capitals(at: time) { member, at in prepared.traders[member]?.volatility.value(at: at) }
            let capital = capitals[symbol] ?? plan.equalShare
            Venue.startCapital(&trader, capital, allocationTime: time)
            prepared.traders[symbol] = trader
            let message = String(format: "\(options.mode == "paper" ? "paper" : "book") capital %.2f USDT (the %@ share of %.0f USDT at %@)", capital, plan.method.rawValue,
                                 plan.totalCapital, UTCTime.format(time))
            try? await store.run { _ in try journal.event(symbol: symbol, kind: "capital", message: message, at: TraderClock.now()) }
        }
        return prepared
    }

    /// Feeds the stored bars of `[from, to]` into the features (a restart's replay, or a first start's
    /// warm-up); returns how many. A restart whose replay does not reach the last traded bar says so.
    func warm<Venue: DeskVenue>(_ trader: inout SymbolTrader<Venue>, from: Int64, to: Int64, store: AsyncStore, funding: [FundingRate], restoring: Bool) async throws -> Int {
        var cursor = from, fed = 0, last: Int64?
        var fundingIndex = 0
        while cursor <= to {
            let batch = try await store.candles(symbol: trader.symbol, timeframe: .oneMinute, from: cursor, to: to, limit: 50_000)
            guard !batch.isEmpty else { break }
            for bar in batch {
                let close = bar.openTime + 60_000
                while fundingIndex < funding.count && funding[fundingIndex].time <= close { fundingIndex += 1 }
                let latest = fundingIndex > 0 ? funding[fundingIndex - 1] : nil
                if restoring { trader.replay(bar, funding: latest) } else { trader.warmUp(bar, funding: latest) }
                last = bar.openTime
                fed += 1
            }
            cursor = batch[batch.count - 1].openTime + 1
        }
        if restoring, last != to {
            logger.warning("the stored bars end before the last traded bar: the features differ from an uninterrupted run's",
                           metadata: ["symbol": "\(trader.symbol)", "stored_to": "\(last.map(UTCTime.format) ?? "none")", "traded_to": "\(UTCTime.format(to))"])
        }
        return fed
    }
}

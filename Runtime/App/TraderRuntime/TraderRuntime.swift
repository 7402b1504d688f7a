import BitGet
import ChildProcesses
import Features
import Foundation
import Logging
import MarketModel
import Policy
import ServiceLifecycle
import Storage
import Telegram
import TraderConfiguration
import TradingEngine

/// Why the trader cannot start, in words that say what to fix.
public struct TraderStartError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The live trader: restores (or warms up) each symbol, then runs its services in one ServiceGroup until
/// SIGTERM or SIGINT — the decision loop that owns the engines, the market feed, the agent watcher, the
/// operator requests, the retrain trigger, the monitoring endpoint — and stops gracefully: no new
/// entries, the bar in hand finished and persisted, sockets closed (exchange-side stops stay armed).
public struct TraderRuntime: Sendable {
    public struct Options: Sendable {
        /// `paper` (the default) or `live`.
        public var mode: String
        /// nil: every enabled symbol.
        public var symbols: [Symbol]?
        /// The `pipeline` executable the retrain trigger starts (default: beside this executable).
        public var pipelineExecutable: String?
        /// Told the monitoring endpoint's port once it listens.
        public var onMonitoringPort: @Sendable (Int) -> Void
        /// The Telegram channel (nil: the trader runs without it).
        public var telegram: TelegramSettings?
        /// The BitGet account live orders go to (nil: paper).
        public var live: LiveAccount?

        public init(mode: String = "paper", symbols: [Symbol]? = nil, pipelineExecutable: String? = nil, telegram: TelegramSettings? = nil,
                    live: LiveAccount? = nil, onMonitoringPort: @escaping @Sendable (Int) -> Void = { _ in }) {
            self.live = live
            self.mode = mode
            self.telegram = telegram
            self.symbols = symbols
            self.pipelineExecutable = pipelineExecutable
            self.onMonitoringPort = onMonitoringPort
        }
    }

    public let configuration: TradingConfiguration
    public let options: Options
    public let version: String
    let logger: Logger

    public init(configuration: TradingConfiguration, options: Options, version: String, logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.version = version
        self.logger = logger
    }

    /// The symbols to trade: those asked for (each must be configured) or every enabled one.
    public func symbols() throws -> [Symbol] {
        let configured = Set(configuration.symbols.symbols.map(\.symbol))
        if let asked = options.symbols {
            let unknown = asked.filter { !configured.contains($0) }
            guard unknown.isEmpty else {
                throw TraderStartError("\(unknown.map(\.name).joined(separator: ", ")) not in trading/symbols.yaml (configured: \(configured.map(\.name).sorted().joined(separator: ", ")))")
            }
            return asked
        }
        return configuration.symbols.enabledSymbols.map(\.symbol)
    }

    /// Prepares every symbol and runs the services until a signal stops them.
    public func run(store: any Store) async throws {
        guard configuration.symbols.tradingTimeframe == .oneMinute else {
            throw TraderStartError("trading/symbols.yaml trading_timeframe is \(configuration.symbols.tradingTimeframe): the trader trades 1m bars only")
        }
        let symbols = try symbols()
        let accountLock: TraderAccountLock
        do {
            accountLock = try TraderAccountLock(store: store, mode: options.mode)
        } catch let busy as TraderAccountLock.Busy {
            throw TraderStartError(busy.description)
        }
        defer { withExtendedLifetime(accountLock) {} }
        if let live = options.live {
            let exchange = try await liveExchange(live, symbols: symbols)
            try await run(on: CommandOutbox.self, exchange: exchange, store: store, symbols: symbols)
        } else {
            try await run(on: SimulatedVenue.self, exchange: nil, store: store, symbols: symbols)
        }
    }

    /// The services on `Venue` (paper: the simulated venue; live: the command outbox and `exchange`).
    func run<Venue: DeskVenue>(on venue: Venue.Type, exchange: DeskExchange?, store: any Store, symbols: [Symbol]) async throws {
        let database = AsyncStore(store, label: "trader-journal")
        let health = HealthBoard(mode: options.mode, version: version)
        let metrics = TraderMetrics(version: version, mode: options.mode)
        // BitGet's demo account trades its own market: its bars, funding and prices come from the demo
        // environment too (the `paptrading` header, wspap.bitget.com), as its fills do.
        let demo = options.live?.demoTrading == true
        let rest = BitGetRESTClient(baseURL: configuration.environment.bitgetBaseURL, logger: Logger(label: "trader.bitget"), demoTrading: demo)
        let loader = AgentLoader(agentsDirectory: configuration.paths.agents, featureSpecHash: FeatureSpec.standard.hash)
        var prepared = try await prepareSymbols(symbols, on: Venue.self, store: database, loader: loader)
        if let exchange { try checkAccountCovers(prepared.traders.values.map(\.engine.equity), symbols: symbols, account: exchange.accountEquity) }
        let funding = FundingBook(rates: prepared.funding, client: rest, store: database, logger: Logger(label: "trader.funding"))
        for symbol in symbols {
            // Settlements published since the stored ones (the bars that catch up on them need their rates).
            let settled = await funding.refresh(symbol)
            if var trader = prepared.traders[symbol] {
                Venue.addFunding(&trader, settled)
                prepared.traders[symbol] = trader
            }
        }
        let (inputs, continuation) = AsyncStream.makeStream(of: TraderInput.self)
        let marketURL = configuration.environment.bitgetWebSocketURL
        var stream = BitGetCandleStream(url: demo ? ExchangeWatcher.demoURL(marketURL) : marketURL, symbols: symbols, rest: rest)
        stream.logger = Logger(label: "trader.stream")
        stream.onEvent = { event in
            switch event {
            case .connected: metrics.streamConnected(true)
            case .disconnected: metrics.streamConnected(false)
            case let .backfilled(symbol, bars): metrics.backfilled(symbol, bars: bars)
            case .malformedMessage: metrics.malformedMessage()
            }
        }
        if let exchange {
            // The venue's own orders (safety closes) are stored before they leave, as the engine's are.
            let journal = TraderJournal(store: store, mode: options.mode)
            await exchange.venue.journalOwnOrders { request in
                let row = TradingDesk<Venue>.ownOrderRow(request, at: TraderClock.now())
                do {
                    let existing = try await database.run { _ in try journal.recordSending(row) }
                    return existing == nil ? .stored : .idTaken
                } catch {
                    return .storeFailed("\(error)")
                }
            }
        }
        let runtime = configuration.runtime
        let desk = DeskService(
            settings: deskSettings(symbols), traders: prepared.traders, parameters: prepared.parameters, store: database, funding: funding,
            metrics: metrics, health: health, logger: Logger(label: "trader.desk"), inputs: inputs, paused: prepared.paused, exchange: exchange)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: desk)]
        if runtime.metrics.enabled {
            services.append(.init(service: MonitoringServer(host: runtime.metrics.host, port: runtime.metrics.port, metrics: metrics, health: health,
                                                            logger: Logger(label: "trader.monitoring"), onListening: options.onMonitoringPort)))
        }
        services += [
            .init(service: MarketFeed(stream: stream, rest: rest, lastDelivered: prepared.lastDelivered, confirmBars: runtime.marketData.confirmBars,
                                      inputs: continuation, metrics: metrics, health: health, logger: Logger(label: "trader.feed"))),
            .init(service: AgentWatcher(loader: loader, symbols: symbols, initial: prepared.agents,
                                        interval: .milliseconds(Int64(runtime.agentReloadSeconds * 1000)), inputs: continuation, health: health)),
            .init(service: ControlPoller(store: database, mode: options.mode, interval: .seconds(1), inputs: continuation, health: health,
                                         logger: Logger(label: "trader.control"))),
            .init(service: Ticker(inputs: continuation)),
            .init(service: RetrainTrigger(store: database, mode: options.mode, symbols: symbols, settings: runtime.liveSharpe,
                                          retrain: runtime.retrain, pipeline: pipelineCommand, metrics: metrics, health: health,
                                          logger: Logger(label: "trader.retrain"))),
        ]
        if let exchange {
            services.append(.init(service: ExchangeWatcher(stream: exchange.stream, symbols: Set(symbols), inputs: continuation, health: health,
                                                           logger: Logger(label: "trader.exchange-stream"))))
        }
        if let telegram = options.telegram {
            let client = TelegramClient(baseURL: telegram.baseURL, token: telegram.token, logger: Logger(label: "trader.telegram"))
            let context = OperatorContext(client: client, store: database, mode: options.mode, symbols: symbols, parameters: prepared.parameters,
                                          health: health, pipeline: pipelineCommand, logger: Logger(label: "trader.telegram"))
            services.append(.init(service: TelegramControl(settings: telegram, context: context, logger: Logger(label: "trader.telegram"))))
        } else {
            logger.notice("Telegram off: no TELEGRAM_TOKEN; the trader runs without commands or alerts on Telegram")
        }
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [.sigquit],
            logger: Logger(label: "trader.services")))
        logger.notice("trader started", metadata: [
            "mode": "\(options.mode)", "symbols": "\(symbols.map(\.name).joined(separator: ","))", "version": "\(version)",
        ])
        try await group.run()
        continuation.finish()
        logger.notice("trader stopped")
    }

    func deskSettings(_ symbols: [Symbol]) -> DeskSettings {
        DeskSettings(mode: options.mode, allocation: configuration.allocationRules(symbols: symbols),
                     catchUpLagSeconds: configuration.runtime.marketData.catchUpLagSeconds,
                     staleAfterSeconds: configuration.runtime.marketData.staleAfterSeconds,
                     allocationWaitSeconds: configuration.runtime.marketData.allocationWaitSeconds,
                     equitySnapshotMinutes: configuration.runtime.equitySnapshotMinutes,
                     strategyRules: StrategyRecord.Rules(
                         tradingTimeframe: configuration.symbols.tradingTimeframe, stopTimeframe: configuration.risk.atr.timeframe,
                         confirmationTimeframes: configuration.symbols.confirmationTimeframes,
                         atrStopMultiple: configuration.risk.atr.stopMultiple, atrTakeProfitMultiple: configuration.risk.atr.takeProfitMultiple,
                         confirmation: configuration.execution.confirmation.enabled, loserFilter: false))
    }

    /// `pipeline` beside this executable (or the one given), with this configuration directory.
    var pipelineCommand: ChildProcess {
        let executable = options.pipelineExecutable
            ?? URL(fileURLWithPath: ChildProcess.currentExecutable).deletingLastPathComponent().appendingPathComponent("pipeline").path
        return ChildProcess(executable, [], environment: .inherit([TradingConfiguration.directoryVariable: configuration.directory]))
    }
}

/// The decision loop as a service: it builds the desk and feeds it the merged inputs until graceful
/// shutdown, then writes whatever is still unwritten.
struct DeskService<Venue: DeskVenue>: Service {
    let settings: DeskSettings
    let traders: [Symbol: SymbolTrader<Venue>]
    let parameters: [Symbol: EngineParameters]
    let store: AsyncStore
    let funding: FundingBookBox
    let metrics: TraderMetrics
    let health: HealthBoard
    let logger: Logger
    let inputs: AsyncStream<TraderInput>
    let paused: Set<Symbol>
    let exchange: DeskExchange?

    init(settings: DeskSettings, traders: [Symbol: SymbolTrader<Venue>], parameters: [Symbol: EngineParameters], store: AsyncStore,
         funding: FundingBook, metrics: TraderMetrics, health: HealthBoard, logger: Logger, inputs: AsyncStream<TraderInput>, paused: Set<Symbol>,
         exchange: DeskExchange?) {
        self.paused = paused
        self.exchange = exchange
        self.settings = settings
        self.traders = traders
        self.parameters = parameters
        self.store = store
        self.funding = FundingBookBox(book: funding)
        self.metrics = metrics
        self.health = health
        self.logger = logger
        self.inputs = inputs
    }

    func run() async throws {
        let desk = TradingDesk<Venue>(settings: settings, traders: traders, parameters: parameters, store: store, funding: funding.book,
                               metrics: metrics, health: health, logger: logger, exchange: exchange)
        desk.paused = paused
        for symbol in paused { health.update(symbol) { $0.entriesBlocked = "paused" } }
        // Orders still working when the last run stopped: their fills and cancels update their rows.
        let journal = TraderJournal(store: store.store, mode: settings.mode)
        do {
            for row in try await store.run({ _ in try journal.workingOrders() }) { desk.openOrders[ClientOrderID(rawValue: row.clientOrderID)] = row }
        } catch {
            logger.error("the working orders cannot be read; their rows keep their last status", metadata: ["error": "\(error)"])
        }
        // A live book trades nothing before its symbols agree with the exchange.
        await desk.reconcileDue(force: true)
        health.service("decisions", "running")
        for await input in inputs.cancelOnGracefulShutdown() { await desk.handle(input) }
        health.service("decisions", "stopping")
        await desk.flush()
        if !desk.unwritten.isEmpty {
            logger.error("stopping with records the store did not take; the next start replays those bars", metadata: [
                "unwritten": "\(desk.unwritten.count)",
            ])
        }
        health.service("decisions", "stopped")
    }
}

/// Hands the funding book (used only by the decision loop's task) to the service that runs it.
struct FundingBookBox: @unchecked Sendable {
    let book: FundingBook
}

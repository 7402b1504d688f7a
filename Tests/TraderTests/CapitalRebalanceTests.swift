import BitGet
import Features
import Foundation
import Logging
import MarketModel
import Storage
import TestSupport
import Testing
import TradingEngine
@testable import TraderRuntime

/// The capital each symbol trades with must not depend on the order the symbols' bars arrive in: the
/// backtest reads every symbol's volatility at the same bar time, and so must the trader, even when one
/// symbol's bars all come before another's (a gap backfilled for one symbol).
@Suite(.removesTemporaryFiles) struct CapitalRebalanceTests {
    static let symbols: [Symbol] = ["BTCUSDT", "ETHUSDT"]
    /// Ten hours of real minutes per symbol, with an hourly rebalance (so 9 of them, none at a funding time).
    static let minutes = 600

    static func bars(_ symbol: Symbol) throws -> [Bar] {
        let text = try String(contentsOfFile: TestEnvironment.dataset(TraderFixture.barsFile(symbol.name)), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().prefix(minutes).map { line in
            let fields = line.split(separator: ",").map { Double($0)! }
            return Bar(openTime: Int64(fields[0]), open: fields[1], high: fields[2], low: fields[3], close: fields[4], volume: fields[5])
        }
    }

    /// A desk trading both symbols without agents (so only the capital moves), on a fresh SQLite store.
    static func desk(waitSeconds: Double, directory: String) async throws -> TradingDesk<SimulatedVenue> {
        let store = try SQLiteStore(path: directory + "/trader.sqlite")
        _ = try store.migrate(try MigrationCatalog.load(directory: TestEnvironment.migrationsDirectory, backend: .sqlite))
        let contract = ContractSpec(symbol: "BTCUSDT", tickSize: 0.1, sizeStep: 0.0001, minimumSize: 0.0001, minimumNotional: 5,
                                    maximumLeverage: 125, maintenanceMarginTiers: [MaintenanceMarginTier(maximumNotional: 1e12, maintenanceMarginRate: 0.004)])
        let parameters = EngineParameters(contract: contract, leverageBand: LeverageBand(minimum: 5, maximum: 80), slippageBasisPoints: 1,
                                          slippageRangeFraction: 0.05, risk: RiskRules())
        let columns = FeatureColumns(names: FeatureSpec.standard.names, tradingTimeframe: .oneMinute, stopTimeframe: .fifteenMinutes,
                                     confirmationTimeframes: [.fifteenMinutes, .oneHour, .fourHours, .oneDay])!
        var traders: [Symbol: PaperSymbolTrader] = [:]
        for symbol in symbols {
            traders[symbol] = PaperSymbolTrader(symbol: symbol, parameters: parameters, capital: 5_000, funding: FundingSchedule(rates: [], fallbackRate: 0),
                                           confirmation: .off, columns: columns)
        }
        let settings = DeskSettings(
            mode: "paper",
            allocation: AllocationPlan(method: .inverseVolatility, rebalanceHours: 1, maximumWeight: 0.9, totalCapital: 10_000, symbols: symbols),
            catchUpLagSeconds: 90, staleAfterSeconds: 150, allocationWaitSeconds: waitSeconds, equitySnapshotMinutes: 1,
            strategyRules: StrategyRecord.Rules(tradingTimeframe: .oneMinute, stopTimeframe: .fifteenMinutes,
                                                confirmationTimeframes: [.fifteenMinutes, .oneHour], atrStopMultiple: 1.5,
                                                atrTakeProfitMultiple: 3, confirmation: false, loserFilter: false))
        let asyncStore = AsyncStore(store)
        let logger = Logger(label: "test.desk")
        // No funding falls due in the window, so the book never calls the (unreachable) exchange.
        let funding = FundingBook(rates: [:], client: BitGetRESTClient(baseURL: "http://127.0.0.1:9"), store: asyncStore, logger: logger)
        return TradingDesk<SimulatedVenue>(settings: settings, traders: traders, parameters: [:], store: asyncStore, funding: funding,
                           metrics: TraderMetrics(version: "test", mode: "paper"), health: HealthBoard(mode: "paper", version: "test"), logger: logger)
    }

    static func feed(_ desk: TradingDesk<SimulatedVenue>, _ inputs: [(Symbol, Bar)]) async {
        for (symbol, bar) in inputs {
            await desk.handle(.bar(symbol, ClosedBar(bar: bar, exchangeTime: bar.openTime + 60_000, source: .stream)))
        }
    }

    static func capitals(_ desk: TradingDesk<SimulatedVenue>) -> [Symbol: Double] {
        desk.traders.mapValues(\.engine.allocatedCapital)
    }

    @Test func theCapitalIsTheSameWhateverOrderTheSymbolsBarsArriveIn() async throws {
        let scope = TestEnvironment.temporaryDirectory("rebalance")
        defer { TestEnvironment.remove(scope) }
        for name in ["merged", "one-after-the-other", "no-wait"] {
            try FileManager.default.createDirectory(atPath: scope + "/" + name, withIntermediateDirectories: true)
        }
        let bars = Dictionary(uniqueKeysWithValues: try Self.symbols.map { ($0, try Self.bars($0)) })
        let merged = (0..<Self.minutes).flatMap { index in Self.symbols.map { ($0, bars[$0]![index]) } }
        let sequential = Self.symbols.flatMap { symbol in bars[symbol]!.map { (symbol, $0) } }

        // As live: the symbols' bars arrive minute by minute.
        let reference = try await Self.desk(waitSeconds: 120, directory: scope + "/merged")
        await Self.feed(reference, merged)
        let expected = Self.capitals(reference)
        #expect(expected.values.allSatisfy { abs($0 - 5_000) > 1 } && abs(expected.values.reduce(0, +) - 10_000) < 1e-6,
                "an inverse-volatility split of the 10,000: \(expected)")
        #expect(reference.held.isEmpty)

        // Every BTCUSDT bar before any ETHUSDT bar: BTCUSDT waits at each rebalance until ETHUSDT catches up.
        let waiting = try await Self.desk(waitSeconds: 120, directory: scope + "/one-after-the-other")
        await Self.feed(waiting, Array(sequential.prefix(Self.minutes)))
        #expect(waiting.traders["BTCUSDT"]?.lastBarOpenTime == nil && waiting.held["BTCUSDT"]?.bars.count == Self.minutes,
                "BTCUSDT's bars wait for ETHUSDT's volatility")
        await Self.feed(waiting, Array(sequential.dropFirst(Self.minutes)))
        #expect(waiting.held.isEmpty, "all bars traded once ETHUSDT caught up")
        for symbol in Self.symbols {
            #expect(waiting.traders[symbol]?.lastBarOpenTime == bars[symbol]!.last!.openTime)
            #expect(abs(Self.capitals(waiting)[symbol]! - expected[symbol]!) < 1e-9,
                    "\(symbol): \(Self.capitals(waiting)[symbol]!) vs \(expected[symbol]!) when the bars arrive minute by minute")
        }

        // Without the wait the first symbol's rebalances read the other's volatility before it is known.
        let impatient = try await Self.desk(waitSeconds: 0, directory: scope + "/no-wait")
        await Self.feed(impatient, Array(sequential.prefix(Self.minutes)))
        await impatient.handle(.tick)
        await Self.feed(impatient, Array(sequential.dropFirst(Self.minutes)))
        #expect(abs(Self.capitals(impatient)["BTCUSDT"]! - expected["BTCUSDT"]!) > 1e-6, "the order would change the capital")
        let events = try impatient.journal.events(limit: 100).map(\.message)
        #expect(events.contains { $0.contains("uses their last known volatility") }, "and the trader says so: \(events)")
    }
}

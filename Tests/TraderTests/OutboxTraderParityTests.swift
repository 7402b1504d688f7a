import Features
import Foundation
import MarketModel
import Policy
import ScriptedAgents
import TestSupport
import Testing
import TradingEngine
@testable import TraderRuntime

/// The trader's live path at the symbol level: an `OutboxSymbolTrader` decides on real bars with an agent,
/// its commands wait in the outbox, an exchange (here a simulated venue run by hand, as the desk will run
/// BitGet) executes them and its reports are applied. It trades exactly what the paper trader trades.
struct OutboxTraderParityTests {
    static let contract = KnownContracts.spec(for: "BTCUSDT")!
    static let parameters = EngineParameters(contract: contract, leverageBand: LeverageBand(minimum: 5, maximum: 80), slippageBasisPoints: 1,
                                             slippageRangeFraction: 0.05,
                                             risk: RiskRules(reducingDrawdown: 0.5, haltDrawdown: 0.6, dailyLossCap: 0.6, cooldownLosses: 0))
    static let columns = FeatureColumns(names: FeatureSpec.standard.names, tradingTimeframe: .oneMinute, stopTimeframe: .fifteenMinutes,
                                        confirmationTimeframes: [.fifteenMinutes, .oneHour, .fourHours, .oneDay])!
    static let funding = FundingSchedule(rates: [], fallbackRate: 0.0001)
    static let agent = AgentPolicy(artifact: ScriptedAgent.artifact(symbol: "BTCUSDT", version: "parity"))

    /// 45 days of real BTCUSDT minutes to warm the features up on (as the trader does on its stored history), and two days to trade.
    static func minutes() throws -> (history: ArraySlice<Bar>, traded: ArraySlice<Bar>) {
        let text = try String(contentsOfFile: TestEnvironment.dataset(TraderFixture.barsFile("BTCUSDT")), encoding: .utf8)
        let all = text.split(separator: "\n").dropFirst().prefix(TraderFixture.historyRows + 2 * 1_440).map { line in
            let fields = line.split(separator: ",").map { Double($0)! }
            return Bar(openTime: Int64(fields[0]), open: fields[1], high: fields[2], low: fields[3], close: fields[4], volume: fields[5])
        }
        return (all.prefix(TraderFixture.historyRows), all.dropFirst(TraderFixture.historyRows))
    }

    /// Trades `bar` on the outbox trader with `exchange` playing the exchange; returns the trades closed.
    static func step(_ live: inout OutboxSymbolTrader, _ exchange: inout SimulatedVenue, _ bar: Bar, commands: inout Int) -> [ClosedTrade] {
        // The exchange acts inside the bar (the order waiting for its open, stops, funding) and reports.
        var events: [VenueEvent] = []
        exchange.advance(through: bar, events: &events)
        var trades = live.apply(events).trades
        trades += live.trade(bar, funding: nil, entriesAllowed: true).trades
        for command in live.takeCommands() {
            commands += 1
            events.removeAll()
            exchange.submit(command, events: &events)
            trades += live.apply(events).trades
        }
        return trades
    }

    @Test func theOutboxTraderTradesWhatThePaperTraderTrades() throws {
        let (history, bars) = try Self.minutes()
        var paper = PaperSymbolTrader(symbol: "BTCUSDT", parameters: Self.parameters, capital: 5_000, funding: Self.funding, confirmation: .off,
                                      columns: Self.columns)
        var live = OutboxSymbolTrader(symbol: "BTCUSDT", parameters: Self.parameters, capital: 5_000, confirmation: .off, columns: Self.columns)
        var exchange = SimulatedVenue(parameters: Self.parameters, initialCapital: 5_000, funding: Self.funding)
        paper.setAgent(Self.agent, filter: nil)
        live.setAgent(Self.agent, filter: nil)
        for bar in history {
            paper.warmUp(bar, funding: nil)
            live.warmUp(bar, funding: nil)
        }
        var paperTrades: [ClosedTrade] = [], liveTrades: [ClosedTrade] = [], commands = 0, progressDiffers = 0
        for bar in bars {
            paperTrades += paper.trade(bar, funding: nil, entriesAllowed: true).trades
            liveTrades += Self.step(&live, &exchange, bar, commands: &commands)
            let (a, b) = (live.driver.progress, paper.driver.progress)
            if (a.index, a.openedAtIndex, a.barsInMarket, a.filteredEntries) != (b.index, b.openedAtIndex, b.barsInMarket, b.filteredEntries) { progressDiffers += 1 }
        }
        #expect(progressDiffers == 0, "the agent's position inputs (bars in the trade) are the paper trader's")
        #expect(commands > 10 && paperTrades.count > 5, "the agent trades: \(commands) commands, \(paperTrades.count) trades")
        #expect(liveTrades == paperTrades)
        #expect(live.engine.account == paper.engine.account && exchange.account == paper.engine.venue.account, "the same books")
    }

    /// A restart in the middle (the saved state through JSON, the features replayed from the stored bars)
    /// trades on exactly as the trader that never stopped.
    @Test func aRestartedOutboxTraderTradesOnAsIfItHadNotStopped() throws {
        let (history, bars) = try Self.minutes()
        var uninterrupted = OutboxSymbolTrader(symbol: "BTCUSDT", parameters: Self.parameters, capital: 5_000, confirmation: .off, columns: Self.columns)
        var first = uninterrupted
        var exchangeA = SimulatedVenue(parameters: Self.parameters, initialCapital: 5_000, funding: Self.funding), exchangeB = exchangeA
        uninterrupted.setAgent(Self.agent, filter: nil)
        first.setAgent(Self.agent, filter: nil)
        for bar in history {
            uninterrupted.warmUp(bar, funding: nil)
            first.warmUp(bar, funding: nil)
        }
        let cut = bars.startIndex + bars.count / 2
        var expected: [ClosedTrade] = [], resumed: [ClosedTrade] = [], commandsA = 0, commandsB = 0
        for bar in bars[..<cut] {
            _ = Self.step(&uninterrupted, &exchangeA, bar, commands: &commandsA)
            _ = Self.step(&first, &exchangeB, bar, commands: &commandsB)
        }
        let saved = try JSONDecoder().decode(OutboxSymbolTrader.Saved.self, from: JSONEncoder().encode(first.saved))
        var restarted = OutboxSymbolTrader(symbol: "BTCUSDT", parameters: Self.parameters, saved: saved, confirmation: .off, columns: Self.columns)
        restarted.setAgent(Self.agent, filter: nil)
        for bar in history + bars[..<cut] where bar.openTime >= (saved.warmUpStart ?? .max) { restarted.replay(bar, funding: nil) }
        for bar in bars[cut...] {
            expected += Self.step(&uninterrupted, &exchangeA, bar, commands: &commandsA)
            resumed += Self.step(&restarted, &exchangeB, bar, commands: &commandsB)
        }
        #expect(expected.count > 2, "trades after the restart: \(expected.count)")
        #expect(resumed == expected)
        #expect(restarted.engine.account == uninterrupted.engine.account && commandsB == commandsA)
    }
}

import Features
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
    @Test func theOutboxTraderTradesWhatThePaperTraderTrades() throws {
        // The features warm up on 45 days of real minutes (as the trader does on its stored history), then two days are traded.
        let text = try String(contentsOfFile: TestEnvironment.dataset(TraderFixture.barsFile("BTCUSDT")), encoding: .utf8)
        let all = text.split(separator: "\n").dropFirst().prefix(TraderFixture.historyRows + 2 * 1_440).map { line in
            let fields = line.split(separator: ",").map { Double($0)! }
            return Bar(openTime: Int64(fields[0]), open: fields[1], high: fields[2], low: fields[3], close: fields[4], volume: fields[5])
        }
        let history = all.prefix(TraderFixture.historyRows), bars = all.dropFirst(TraderFixture.historyRows)
        let contract = KnownContracts.spec(for: "BTCUSDT")!
        let parameters = EngineParameters(contract: contract, leverageBand: LeverageBand(minimum: 5, maximum: 80), slippageBasisPoints: 1,
                                          slippageRangeFraction: 0.05, risk: RiskRules(reducingDrawdown: 0.5, haltDrawdown: 0.6, dailyLossCap: 0.6, cooldownLosses: 0))
        let columns = FeatureColumns(names: FeatureSpec.standard.names, tradingTimeframe: .oneMinute, stopTimeframe: .fifteenMinutes,
                                     confirmationTimeframes: [.fifteenMinutes, .oneHour, .fourHours, .oneDay])!
        let funding = FundingSchedule(rates: [], fallbackRate: 0.0001)
        let agent = AgentPolicy(artifact: ScriptedAgent.artifact(symbol: "BTCUSDT", version: "parity"))
        var paper = PaperSymbolTrader(symbol: "BTCUSDT", parameters: parameters, capital: 5_000, funding: funding, confirmation: .off, columns: columns)
        var live = OutboxSymbolTrader(symbol: "BTCUSDT", parameters: parameters, capital: 5_000, confirmation: .off, columns: columns)
        var exchange = SimulatedVenue(parameters: parameters, initialCapital: 5_000, funding: funding)
        paper.setAgent(agent, filter: nil)
        live.setAgent(agent, filter: nil)
        for bar in history {
            paper.warmUp(bar, funding: nil)
            live.warmUp(bar, funding: nil)
        }
        var paperTrades: [ClosedTrade] = [], liveTrades: [ClosedTrade] = [], commands = 0
        for bar in bars {
            paperTrades += paper.trade(bar, funding: nil, entriesAllowed: true).trades
            // The exchange acts inside the bar (the order waiting for its open, stops, funding) and reports.
            var events: [VenueEvent] = []
            exchange.advance(through: bar, events: &events)
            liveTrades += live.apply(events).trades
            liveTrades += live.trade(bar, funding: nil, entriesAllowed: true).trades
            for command in live.takeCommands() {
                commands += 1
                events.removeAll()
                exchange.submit(command, events: &events)
                liveTrades += live.apply(events).trades
            }
        }
        #expect(commands > 10 && paperTrades.count > 5, "the agent trades: \(commands) commands, \(paperTrades.count) trades")
        #expect(liveTrades == paperTrades)
        #expect(live.engine.account == paper.engine.account && exchange.account == paper.engine.venue.account, "the same books")
    }
}

import BitGet
import ExchangeSimulator
import Foundation
import MarketModel
import Synchronization
import Testing

/// Bars the stream delivered, in the order it delivered them.
final class Collected: Sendable {
    private let bars = Mutex<[Symbol: [Bar]]>([:])
    func add(_ symbol: Symbol, _ bar: Bar) { bars.withLock { $0[symbol, default: []].append(bar) } }
    var snapshot: [Symbol: [Bar]] { bars.withLock { $0 } }
}

@Suite(.serialized) struct CandleStreamTests {
    /// A minute of market time per wall second, connections dropped every 3 s, some pushes malformed:
    /// every closed bar still arrives exactly once, in order, with the exchange's values.
    @Test func everyBarArrivesOnceInOrderAcrossReconnects() async throws {
        let harness = try await SimulatorHarness.start { options in
            options.speed = 60
            options.pushInterval = 0.1
            options.faults = try! SimulatorFaults(parsing: "ws-close=3,malformed=0.1")
        }
        defer { harness.stop() }
        var stream = BitGetCandleStream(url: harness.webSocketURL, symbols: ["BTCUSDT", "ETHUSDT"], rest: harness.client())
        stream.pingInterval = .seconds(1)
        stream.maximumBackoff = .milliseconds(300)
        let collected = Collected()
        let start = harness.simulator.clock.now() / 60_000 * 60_000 - 60_000
        let task = Task { [stream] in
            try await stream.run(lastDelivered: ["BTCUSDT": start - 60_000, "ETHUSDT": start - 60_000]) { collected.add($0, $1) }
        }
        try await Task.sleep(for: .seconds(12))
        task.cancel()
        for symbol in ["BTCUSDT", "ETHUSDT"] as [Symbol] {
            let bars = collected.snapshot[symbol] ?? []
            #expect(bars.count >= 8, "\(symbol): only \(bars.count) bars in 12 market minutes")
            #expect(bars.first?.openTime == start, "\(symbol): the stream starts right after the last delivered bar")
            let steps = zip(bars, bars.dropFirst()).map { $1.openTime - $0.openTime }
            #expect(steps.allSatisfy { $0 == 60_000 }, "\(symbol): gaps or duplicates: \(steps.filter { $0 != 60_000 })")
            let truth = Dictionary(uniqueKeysWithValues: harness.simulator.market.minuteBars[symbol]!.map { ($0.openTime, $0) })
            #expect(bars.allSatisfy { truth[$0.openTime] == $0 }, "\(symbol): delivered values differ from the exchange's bars")
        }
    }
}

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

@Suite struct CandleStreamTests {
    /// Twelve market minutes on a clock the test moves, the connection dropped every third minute and a
    /// tenth of the pushes malformed: every closed bar still arrives exactly once, in order, with the
    /// exchange's values. The test waits for each delivery (bounded), never for wall time to pass.
    @Test func everyBarArrivesOnceInOrderAcrossReconnects() async throws {
        try await SimulatorHarness.with(configure: { options in
            options.manualClock = true
            options.pushInterval = 0.05
            options.faults = try! SimulatorFaults(parsing: "malformed=0.1")
        }) { harness in
            let clock = harness.simulator.clock
            var stream = BitGetCandleStream(url: harness.webSocketURL, symbols: ["BTCUSDT", "ETHUSDT"], rest: harness.client())
            stream.pingInterval = .seconds(1)
            stream.maximumBackoff = .milliseconds(300)
            let collected = Collected()
            let start = clock.now() / 60_000 * 60_000 - 60_000
            let symbols: [Symbol] = ["BTCUSDT", "ETHUSDT"]
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { [stream] in
                    try await stream.run(lastDelivered: ["BTCUSDT": start - 60_000, "ETHUSDT": start - 60_000]) { collected.add($0, $1) }
                }
                for minute in 1...12 {
                    if minute % 3 == 0 { harness.simulator.dropWebSocketConnections() }
                    let now = clock.advance(by: 60_000)
                    let closed = now / 60_000 * 60_000 - 60_000  // the bar that has just closed
                    let arrived = await Self.eventually(timeout: .seconds(20)) {
                        symbols.allSatisfy { collected.snapshot[$0]?.last?.openTime ?? .min >= closed }
                    }
                    #expect(arrived, "minute \(minute): the bar opening at \(UTCTime.format(closed)) was delivered")
                }
                group.cancelAll()
            }
            for symbol in symbols {
                let bars = collected.snapshot[symbol] ?? []
                #expect(bars.count == 13, "\(symbol): the bar before the first push and the 12 that closed since")
                #expect(bars.first?.openTime == start, "\(symbol): the stream starts right after the last delivered bar")
                let steps = zip(bars, bars.dropFirst()).map { $1.openTime - $0.openTime }
                #expect(steps.allSatisfy { $0 == 60_000 }, "\(symbol): gaps or duplicates: \(steps.filter { $0 != 60_000 })")
                let truth = Dictionary(uniqueKeysWithValues: harness.simulator.market.minuteBars[symbol]!.map { ($0.openTime, $0) })
                #expect(bars.allSatisfy { truth[$0.openTime] == $0 }, "\(symbol): delivered values differ from the exchange's bars")
            }
        }
    }

    static func eventually(timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}

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

/// Every delivery, in the order of delivery across the symbols.
final class DeliveryLog: Sendable {
    private let deliveries = Mutex<[(symbol: Symbol, bar: ClosedBar)]>([])
    func add(_ symbol: Symbol, _ bar: ClosedBar) { deliveries.withLock { $0.append((symbol, bar)) } }
    var snapshot: [(symbol: Symbol, bar: ClosedBar)] { deliveries.withLock { $0 } }
}

@Suite struct CandleStreamTests {
    /// Started long after the bars it has, the stream backfills each symbol's gap over REST (several pages
    /// for one of them) and delivers the symbols merged in time order, as they would arrive live: a
    /// consumer reading them together (the trader's capital allocator) sees them advance together.
    @Test func aBackfillDeliversTheSymbolsMergedInTimeOrder() async throws {
        try await SimulatorHarness.with(configure: { options in options.manualClock = true }) { harness in
            let now = harness.simulator.clock.now()
            let lastClosed = now / 60_000 * 60_000 - 60_000
            let behind: [Symbol: Int64] = ["BTCUSDT": lastClosed - 2_500 * 60_000, "ETHUSDT": lastClosed - 1_200 * 60_000]
            let stream = BitGetCandleStream(url: harness.webSocketURL, symbols: ["BTCUSDT", "ETHUSDT"], rest: harness.client())
            let sequence = DeliveryLog()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await stream.run(lastDelivered: behind) { symbol, bar in sequence.add(symbol, bar) } }
                let done = await Self.eventually(timeout: .seconds(30)) {
                    sequence.snapshot.filter { $0.bar.bar.openTime == lastClosed }.count == 2
                }
                #expect(done, "both symbols backfilled through \(UTCTime.format(lastClosed))")
                group.cancelAll()
            }
            let delivered = sequence.snapshot.filter { $0.bar.bar.openTime <= lastClosed }
            #expect(delivered.allSatisfy { $0.bar.source == .backfill })
            let times = delivered.map(\.bar.bar.openTime)
            #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 }, "the symbols' bars come merged in open-time order")
            for (symbol, last) in behind {
                let bars = delivered.filter { $0.symbol == symbol }.map(\.bar.bar)
                #expect(bars.count == Int((lastClosed - last) / 60_000), "\(symbol): every missed bar once")
                #expect(bars.first?.openTime == last + 60_000 && bars.last?.openTime == lastClosed, "\(symbol)")
                let truth = Dictionary(uniqueKeysWithValues: harness.simulator.market.minuteBars[symbol]!.map { ($0.openTime, $0) })
                #expect(bars.allSatisfy { truth[$0.openTime] == $0 }, "\(symbol): the exchange's bars")
            }
        }
    }

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

import ExchangeSimulator
import Foundation
import MarketModel
import TestSupport
import Testing

/// ccxt (from PyPI, pinned in scripts/requirements-tests.txt), with its default options, against the
/// simulator over loopback: load markets (all six product types, spot and margin lists), candles,
/// one-way mode, isolated margin, leverage, a market order, a position stop placed and listed, positions.
/// A simulator only our own client can talk to would prove nothing about the BitGet it imitates.
@Suite struct ThirdPartyClientTests {
    @Test func ccxtTradesAndSetsAPositionStopAgainstTheSimulator() async throws {
        let script = try String(contentsOfFile: TestEnvironment.packageRoot + "/Tests/Python/ccxt_against_simulator.py", encoding: .utf8)
        try await SimulatorHarness.with(symbols: ["BTCUSDT", "ETHUSDT"]) { harness in
            let options = harness.simulator.options
            let output = String(decoding: try await Python.run(script, [harness.baseURL, options.apiKey, options.secret, options.passphrase]),
                                as: UTF8.self)
            let steps = output.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
            #expect(steps.compactMap { $0["step"] as? Int } == [1, 2, 3, 4, 5, 6, 7, 8, 9], "\(output)")
            #expect(steps.allSatisfy { $0["ok"] as? Bool == true }, "\(output)")
            let plans = await harness.simulator.livePositionPlans("BTCUSDT")
            #expect(plans.map(\.planType) == ["pos_loss"], "the stop ccxt placed is the position's pos_loss at the exchange")
            let log = await harness.simulator.orderLog()
            #expect(log.count == 1 && log.first?.side == "buy" && log.first?.size == 0.01, "\(log)")
        }
    }
}

@testable import BitGet
import ExchangeSimulator
import Foundation
import MarketModel
import TestSupport
import Testing

@Suite struct SigningTests {
    @Test func thePrehashIsTheDocumentedOneAndTheSignatureIsHMACSHA256Base64() async throws {
        // BitGet's own example prehash (its docs' `mix/v2` path typo included).
        let prehash = BitGetSigner.prehash(timestamp: "16273667805456", method: "GET", path: "/api/mix/v2/market/depth",
                                           query: "symbol=BTCUSDT&limit=20", body: "")
        #expect(prehash == "16273667805456GET/api/mix/v2/market/depth?symbol=BTCUSDT&limit=20")
        let post = BitGetSigner.prehash(timestamp: "1", method: "post", path: "/api/v2/mix/order/place-order", query: "", body: "{\"a\":\"b\"}")
        #expect(post == "1POST/api/v2/mix/order/place-order{\"a\":\"b\"}")
        // Cross-checked with Python's hmac module.
        let python = String(decoding: try await Python.run(
            "import hmac,hashlib,base64,sys; print(base64.b64encode(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).digest()).decode())",
            ["my-secret", prehash]), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(BitGetSigner.signature(secret: "my-secret", prehash: prehash) == python)
        #expect(python.count == 44)
    }

    @Test func exchangeRowsAreParsedLenientlyAndBadOnesRejected() {
        let good = BitGetRESTClient.parseCandle(["1695835800000", "26210.5", "26210.5", "26194.5", "26194.5", "26.26", "687897.63"], timeframe: .fiveMinutes)
        #expect((try? good.get())?.close == 26_194.5)
        for (row, reason) in [
            (["1695835800000", "abc", "1", "1", "1", "1"] as [Any], "a price or the volume is not a number"),
            (["1695835800000", "10", "9", "11", "10", "1"] as [Any], "high 9.0 is below max(open 10.0, close 10.0)"),
            (["x"] as [Any], "expected at least 6 fields"),
        ] {
            guard case let .failure(problem) = BitGetRESTClient.parseCandle(row, timeframe: .fiveMinutes) else {
                Issue.record("\(row) should be rejected")
                continue
            }
            #expect(problem.description == reason)
        }
    }
}

@Suite(.serialized) struct BitGetRESTTests {
    @Test func marketDataPagesWithinTheDocumentedLimits() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client()
            let contracts = try await client.contracts()
            #expect(contracts.map(\.symbol) == ["BTCUSDT", "ETHUSDT"])
            #expect(contracts.first { $0.symbol == "BTCUSDT" }?.tickSize == 0.1)
            let before = harness.simulator.clock.now()
            let now = try await client.serverTime()
            let after = harness.simulator.clock.now()
            #expect(now >= before - 1_000 && now <= after + 1_000, "the server's time lies within the call")
            let start = now - 3 * 86_400_000
            let page = try await client.candles(symbol: "BTCUSDT", timeframe: .oneMinute, startTime: start, endTime: start + 2_000 * 60_000, limit: 5_000)
            #expect(page.bars.count == 1_000, "candles serves at most 1000 a page")
            #expect(zip(page.bars, page.bars.dropFirst()).allSatisfy { $1.openTime - $0.openTime == 60_000 })
            let history = try await client.candles(symbol: "BTCUSDT", timeframe: .oneMinute, startTime: start, endTime: start + 2_000 * 60_000,
                                                   limit: 1_000, history: true)
            #expect(history.bars.count == 200, "history-candles serves at most 200")
            let hourly = try await client.candles(symbol: "ETHUSDT", timeframe: .oneHour, startTime: start, endTime: start + 5 * 3_600_000, limit: 10)
            let minutes = harness.simulator.market.minuteBars["ETHUSDT"]!.filter { $0.openTime >= hourly.bars[0].openTime && $0.openTime < hourly.bars[0].openTime + 3_600_000 }
            #expect(hourly.bars[0].high == minutes.map(\.high).max(), "hours are rolled up from the minutes")
            let funding = try await client.fundingHistory(symbol: "BTCUSDT", pageSize: 5)
            #expect(funding.count == 5 && zip(funding, funding.dropFirst()).allSatisfy { $0.time > $1.time }, "newest first")
            let prices = try await client.prices(symbol: "BTCUSDT")
            #expect(prices.last > 0 && prices.mark == prices.last)
            do {
                _ = try await client.candles(symbol: "XRPUSDT", timeframe: .oneMinute, startTime: nil, endTime: nil, limit: 10)
                Issue.record("an unlisted symbol must fail")
            } catch let error as BitGetError {
                #expect(error.action == .skip)
                #expect(error.description.contains("40034"))
            }
        }
    }

    @Test func injectedRateLimitsAndServerErrorsAreRetried() async throws {
        try await SimulatorHarness.with(configure: { $0.faults = try! SimulatorFaults(parsing: "http-429=0.3,http-5xx=0.2") }) { harness in
            let client = harness.client(retry: RetryPolicy(maximumAttempts: 30, baseDelay: 0.005, maximumDelay: 0.05))
            let now = harness.simulator.clock.now() / 60_000 * 60_000 - 60_000
            var total = 0
            for page in 0..<20 {
                let start = now - Int64(page + 1) * 100 * 60_000
                total += try await client.candles(symbol: "BTCUSDT", timeframe: .oneMinute, startTime: start, endTime: start + 99 * 60_000, limit: 100).bars.count
            }
            #expect(total == 2_000, "every page arrives despite half the requests failing")
        }
    }

    @Test func wrongCredentialsSayWhichOneToCheck() async throws {
        try await SimulatorHarness.with { harness in
            let good = harness.credentials
            let cases: [(BitGetCredentials, String)] = [
                (BitGetCredentials(apiKey: "wrong", secret: good.secret, passphrase: good.passphrase), "BITGET_API_KEY"),
                (BitGetCredentials(apiKey: good.apiKey, secret: "wrong", passphrase: good.passphrase), "BITGET_SECRET"),
                (BitGetCredentials(apiKey: good.apiKey, secret: good.secret, passphrase: "wrong"), "BITGET_PASSPHRASE"),
                (BitGetCredentials(apiKey: good.apiKey, secret: good.secret, passphrase: ""), "BITGET_PASSPHRASE"),
            ]
            for (credentials, check) in cases {
                do {
                    _ = try await harness.client(credentials: credentials).accounts()
                    Issue.record("\(check) was wrong but the request succeeded")
                } catch let error as BitGetError {
                    #expect(error.action == .fixConfiguration)
                    #expect(error.description.hasSuffix("check \(check)"), "\(error)")
                }
            }
            #expect(try await harness.client(credentials: good).accounts().first?.available == 10_000)
        }
    }

    @Test func privateTradingThroughTheEngineFillModel() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client(credentials: harness.credentials)
            let contract = KnownContracts.spec(for: "BTCUSDT")!
            try await client.setLeverage(symbol: "BTCUSDT", leverage: 10)
            try await client.setMarginMode(symbol: "BTCUSDT", isolated: true)
            let price = try await client.prices(symbol: "BTCUSDT").last
            let placement = try await client.placeOrder(OrderRequest(
                symbol: "BTCUSDT", side: .buy, kind: .market, size: contract.sizeText(0.05), clientOrderID: "entry-1",
                stopLoss: contract.priceText(price * 0.98), takeProfit: contract.priceText(price * 1.04)))
            guard case let .placed(orderID, _) = placement else { Issue.record("\(placement)"); return }
            let order = try await client.order(symbol: "BTCUSDT", clientOrderID: "entry-1")
            #expect(order.orderID == orderID && order.state == "filled" && order.filledSize == 0.05)
            let fill = try #require(order.averagePrice)
            #expect(fill >= price, "a market buy fills at or above the last price (slippage)")
            #expect(abs(abs(order.fee) - 0.05 * fill * 0.0006) < 1e-9, "taker fee")
            let position = try #require(try await client.positions().first)
            #expect(position.symbol == "BTCUSDT" && position.side == "long" && position.size == 0.05 && position.leverage == 10)
            #expect(position.stopLoss == Double(contract.priceText(price * 0.98)))
            // The same client id again is the same order (BitGet's 40786 is resolved by the id), never a rejection.
            let again = try await client.placeOrder(OrderRequest(symbol: "BTCUSDT", side: .buy, kind: .market, size: "0.05", clientOrderID: "entry-1"))
            #expect(again == .placed(orderID: orderID, clientOrderID: "entry-1"))
            #expect(try await client.positions().first?.size == 0.05, "no second entry")
            let odd = try await client.placeOrder(OrderRequest(symbol: "BTCUSDT", side: .buy, kind: .market, size: "0.00005", clientOrderID: "odd"))
            guard case let .rejected(code, _) = odd else { Issue.record("a size off the step must be refused: \(odd)"); return }
            #expect(code == "40808")
            let resting = try await client.placeOrder(OrderRequest(symbol: "BTCUSDT", side: .buy, kind: .limit, size: "0.01",
                                                                   price: contract.priceText(price * 0.5), clientOrderID: "limit-1"))
            guard case let .placed(restingID, _) = resting else { Issue.record("\(resting)"); return }
            #expect(try await client.order(symbol: "BTCUSDT", orderID: restingID).state == "live")
            #expect(try await client.cancelOrder(symbol: "BTCUSDT", clientOrderID: "limit-1") == .canceled)
            #expect(try await client.order(symbol: "BTCUSDT", orderID: restingID).state == "canceled")
            #expect(try await client.cancelOrder(symbol: "BTCUSDT", clientOrderID: "entry-1") == .alreadyFinal(state: "filled"))
            #expect(try await client.cancelOrder(symbol: "BTCUSDT", clientOrderID: "never-sent") == .notFound)
            let balance = try #require(try await client.accounts().first)
            #expect(balance.available < 10_000 - 0.05 * fill / 10, "margin and fee are taken from the available balance")
        }
    }
}

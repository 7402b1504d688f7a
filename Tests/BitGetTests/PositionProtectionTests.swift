@testable import BitGet
import ExchangeSimulator
import Foundation
import MarketModel
import Testing

/// Position stops at the exchange (`place-tpsl-order`, `modify-tpsl-order`, `cancel-plan-order`, the plan
/// lists), the account's modes, and every product type answered, against the simulator over loopback.
@Suite(.serialized) struct PositionProtectionTests {
    static let contract = KnownContracts.spec(for: "BTCUSDT")!

    @Test func aPositionStopIsPlacedListedMovedInPlaceAndCancelledByItsId() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client(credentials: harness.credentials)
            try await client.setMarginMode(symbol: "BTCUSDT", isolated: true)
            let price = try await client.prices(symbol: "BTCUSDT").last
            guard case .placed = try await client.placeOrder(OrderRequest(symbol: "BTCUSDT", side: .buy, kind: .market, size: "0.01",
                                                                         clientOrderID: "E-1")) else { Issue.record("entry"); return }
            let stopText = Self.contract.priceText(price * 0.98)
            let hedgeWords = try await client.placePositionProtection(symbol: "BTCUSDT", kind: .stopLoss, triggerPrice: stopText, holdSide: .long,
                                                                      hedgeMode: true, clientOrderID: "S-0")
            guard case let .rejected(code, message) = hedgeWords else { Issue.record("\(hedgeWords)"); return }
            #expect(code == "40017" && message.contains("buy or sell"), "one-way mode names a long's stop `buy`, not `long`: \(message)")
            let stop = try await client.placePositionProtection(symbol: "BTCUSDT", kind: .stopLoss, triggerPrice: stopText, holdSide: .long,
                                                                clientOrderID: "S-1")
            let profit = try await client.placePositionProtection(symbol: "BTCUSDT", kind: .takeProfit,
                                                                  triggerPrice: Self.contract.priceText(price * 1.03), holdSide: .long,
                                                                  clientOrderID: "P-1")
            guard case let .placed(stopID, "S-1") = stop, case .placed = profit else { Issue.record("\(stop) \(profit)"); return }
            let listed = try await client.positionProtection(symbol: "BTCUSDT")
            #expect(listed.map(\.planType).sorted() == ["pos_loss", "pos_profit"])
            let listedStop = try #require(listed.first { $0.kind == .stopLoss })
            #expect(listedStop.orderID == stopID && listedStop.triggerPrice == Double(stopText) && listedStop.holdSide == "long"
                && listedStop.triggerType == "mark_price" && listedStop.status == "live")
            let position = try #require(try await client.positions().first)
            #expect(position.stopLoss == Double(stopText), "the position carries its stop")

            let moved = Self.contract.priceText(price * 0.985)
            try await client.modifyPositionProtection(symbol: "BTCUSDT", orderID: stopID, triggerPrice: moved)
            let afterMove = try await client.positionProtection(symbol: "BTCUSDT").filter { $0.kind == .stopLoss }
            #expect(afterMove.map(\.orderID) == [stopID] && afterMove.first?.triggerPrice == Double(moved), "amended in place, same id")
            #expect(try await client.positions().first?.stopLoss == Double(moved))

            #expect(try await client.cancelPositionProtection(symbol: "BTCUSDT", kind: .stopLoss, orderIDs: []) == [],
                    "an empty id list is never sent (BitGet would cancel every plan order of the symbol)")
            #expect(try await client.positionProtection(symbol: "BTCUSDT").count == 2)
            #expect(try await client.cancelPositionProtection(symbol: "BTCUSDT", kind: .stopLoss, orderIDs: [stopID]) == [])
            #expect(try await client.positionProtection(symbol: "BTCUSDT").map(\.planType) == ["pos_profit"])
            #expect(try await client.positions().first?.stopLoss == nil, "the position is unprotected once its stop is cancelled")
        }
    }

    @Test func aStopCancelledByHandVanishesFromTheListAndRefusedPlansAreRejections() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client(credentials: harness.credentials)
            let price = try await client.prices(symbol: "BTCUSDT").last
            _ = try await client.placeOrder(OrderRequest(symbol: "BTCUSDT", side: .sell, kind: .market, size: "0.01", clientOrderID: "E-2",
                                                         stopLoss: Self.contract.priceText(price * 1.02)))
            #expect(try await client.positionProtection(symbol: "BTCUSDT").map(\.planType) == ["pos_loss"],
                    "a preset stop on the entry becomes the position's pos_loss")
            #expect(await harness.simulator.cancelStopByHand("BTCUSDT"))
            #expect(try await client.positionProtection(symbol: "BTCUSDT").isEmpty)
            await harness.simulator.refusePlanOrders(true)
            let refused = try await client.placePositionProtection(symbol: "BTCUSDT", kind: .stopLoss,
                                                                   triggerPrice: Self.contract.priceText(price * 1.02), holdSide: .short,
                                                                   clientOrderID: "S-2")
            guard case let .rejected(code, _) = refused else { Issue.record("\(refused)"); return }
            #expect(code == "40893")
            await harness.simulator.refusePlanOrders(false)
            let placed = try await client.placePositionProtection(symbol: "BTCUSDT", kind: .stopLoss,
                                                                  triggerPrice: Self.contract.priceText(price * 1.02), holdSide: .short,
                                                                  clientOrderID: "S-3")
            guard case .placed = placed else { Issue.record("a short's stop is sent as `sell` in one-way mode: \(placed)"); return }
            #expect(await harness.simulator.protectingStop("BTCUSDT") == Double(Self.contract.priceText(price * 1.02)))
        }
    }

    @Test func aStopWhoseAnswerIsLostIsFoundByItsClientID() async throws {
        try await SimulatorHarness.with(configure: { options in
            options.faults = try! SimulatorFaults(parsing: "lost-response=1")
            options.lostResponseDelaySeconds = 3
        }) { harness in
            let client = harness.client(credentials: harness.credentials, requestTimeout: 0.5)
            let price = try await client.prices(symbol: "BTCUSDT").last
            _ = try await client.placeOrder(OrderRequest(symbol: "BTCUSDT", side: .buy, kind: .market, size: "0.01", clientOrderID: "E-3"))
            let stop = try await client.placePositionProtection(symbol: "BTCUSDT", kind: .stopLoss,
                                                                triggerPrice: Self.contract.priceText(price * 0.98), holdSide: .long,
                                                                clientOrderID: "S-3")
            guard case .placed(_, "S-3") = stop else { Issue.record("\(stop)"); return }
            #expect(await harness.simulator.livePositionPlans("BTCUSDT").count == 1, "exactly one stop")
        }
    }

    @Test func modesAreSetWhileFlatAndEveryProductTypeIsAnswered() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client(credentials: harness.credentials)
            #expect(try await client.accountSettings(symbol: "BTCUSDT") == AccountSettings(marginMode: "crossed", positionMode: "one_way_mode"))
            try await client.setMarginMode(symbol: "BTCUSDT", isolated: true)
            try await client.setPositionMode(oneWay: true)
            #expect(try await client.accountSettings(symbol: "BTCUSDT") == AccountSettings(marginMode: "isolated", positionMode: "one_way_mode"))
            _ = try await client.placeOrder(OrderRequest(symbol: "BTCUSDT", side: .buy, kind: .market, size: "0.01", clientOrderID: "E-4"))
            do {
                try await client.setPositionMode(oneWay: false)
                Issue.record("the position mode must not change while a position is open")
            } catch let error as BitGetError {
                #expect(error.description.contains("40920"))
            }
            for product in ["COIN-FUTURES", "USDC-FUTURES", "SUSDT-FUTURES", "SCOIN-FUTURES", "SUSDC-FUTURES", "usdt-futures"] {
                let data = try await client.request(.GET, "/api/v2/mix/market/contracts", query: [("productType", product)])
                #expect((data as? [Any])?.count == (product == "usdt-futures" ? 2 : 0), "\(product): \(data ?? "nil")")
            }
        }
    }
}

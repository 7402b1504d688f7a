import AsyncHTTPClient
import ChildProcesses
import Foundation
import TestSupport
import Testing

/// `trader reconcile --dry-run` against `bitget-sim`: the store's view of the account beside the
/// exchange's, the actions reconciliation would take, and nothing sent that changes the account.
@Suite(.serialized, .removesTemporaryFiles) struct ReconcileCommandTests {
    static let credentials = ["BITGET_API_KEY": "sim-key", "BITGET_SECRET": "sim-secret", "BITGET_PASSPHRASE": "sim-passphrase"]

    static func post(_ url: String) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    @Test func aPositionOpenedByHandIsReportedWithWhatWouldBeDoneAndNothingIsSent() async throws {
        let fixture = try await TraderFixture()
        try await fixture.withSimulator(speed: 60) { simulator in
            var environment = Self.credentials
            environment["BITGET_BASE_URL"] = simulator.baseURL
            func reconcile(_ extra: [String] = [], environment: [String: String]) async throws -> ChildProcessResult {
                try await fixture.workspace.trader(["reconcile", "--symbols", "BTCUSDT"] + extra, environment: environment).run()
            }

            // Nothing on either side: they agree.
            let agreeing = try await reconcile(["--dry-run", "--live"], environment: environment)
            #expect(agreeing.status == 0, "\(agreeing.standardOutput)\(agreeing.standardError)")
            #expect(agreeing.standardOutput.contains("BTCUSDT: the store and the exchange agree"))
            #expect(agreeing.standardOutput.contains("1 agree, 0 differ, 0 cannot be read"))

            // A position opened by hand: the default would flatten it; adopting would protect it.
            let opened = try await Self.post("\(simulator.baseURL)/sim/open-position?symbol=BTCUSDT&side=buy&size=0.01")
            #expect(opened.contains("orderId"), "\(opened)")
            let flatten = try await reconcile(["--dry-run", "--live"], environment: environment)
            #expect(flatten.status == 3, "differences: exit 3; \(flatten.standardError)")
            for expected in ["BTCUSDT: differences", "store:    flat", "exchange: long 0.01 @", "no TP/SL orders",
                             "would close the position at the exchange, reduce-only market (a long position of 0.01 the bot did not open)",
                             "0 agree, 1 differ, 0 cannot be read"] {
                #expect(flatten.standardOutput.contains(expected), "\(expected) in \(flatten.standardOutput)")
            }
            let adopt = try await reconcile(["--dry-run", "--live", "--unknown-position", "adopt"], environment: environment)
            #expect(adopt.status == 3)
            #expect(adopt.standardOutput.contains("would take the exchange's position as the truth: long 0.01 @"), "\(adopt.standardOutput)")
            #expect(adopt.standardOutput.contains("would place the stop at "), "\(adopt.standardOutput)")
            let orders = try await TraderOperationsTests.get("\(simulator.baseURL)/sim/orders").body
            #expect(!orders.contains("\"reduceOnly\":true") && !orders.contains("\"reduceOnly\":\"YES\""), "a dry run sends no order: \(orders)")

            // Without --dry-run, without credentials, on paper: clear answers, nothing done.
            let acting = try await reconcile(["--live"], environment: environment)
            #expect(acting.status == 64 && acting.standardError.contains("pass --dry-run"), "\(acting.standardError)")
            let anonymous = try await reconcile(["--dry-run", "--live"], environment: ["BITGET_BASE_URL": simulator.baseURL])
            #expect(anonymous.status == 78 && anonymous.standardError.contains("BITGET_API_KEY, BITGET_SECRET and BITGET_PASSPHRASE"),
                    "\(anonymous.standardError)")
            let paper = try await reconcile(["--dry-run"], environment: environment)
            #expect(paper.status == 64 && paper.standardError.contains("no exchange account to reconcile"), "\(paper.standardError)")
            let after = try await TraderOperationsTests.get("\(simulator.baseURL)/sim/orders").body
            #expect(after.components(separatedBy: "requestTime")[0] == orders.components(separatedBy: "requestTime")[0], "still only the order placed by hand")
            let again = try await reconcile(["--dry-run", "--live"], environment: environment)
            #expect(again.standardOutput.contains("exchange: long 0.01 @") && again.standardOutput.contains("no TP/SL orders"),
                    "the position is still there, unprotected: no stop was placed by the dry runs; \(again.standardOutput)")
        }
    }

    /// The store holds a position and an exit order whose outcome it never learned; the exchange is flat
    /// and has no such order: the order would be forgotten and the close booked from the exchange's fills.
    @Test func whatTheStoreBelievesIsComparedWithTheExchange() async throws {
        let fixture = try await TraderFixture()
        let store = try fixture.store
        _ = try store.rows("""
            INSERT INTO positions (mode, symbol, side, size, entry_price, leverage, margin, liquidation_price, stop_loss, take_profit, opened_at, updated_at)
            VALUES ('live', 'BTCUSDT', 'long', '0.01', '104000', '10', '104', '94000', '103000', '106000', 1750000000000, 1750000000000)
            """, [], context: "test")
        _ = try store.rows("""
            INSERT INTO orders (client_order_id, exchange_order_id, mode, symbol, side, order_type, size, price, reduce_only, stop_loss, take_profit,
                                status, filled_size, average_price, fee, agent_version, created_at, updated_at)
            VALUES ('BTCUSDT-x-test', NULL, 'live', 'BTCUSDT', 'sell', 'market', '0.01', NULL, 1, NULL, NULL, 'unknown', '0', NULL, '0', 'v1',
                    1750000000000, 1750000000000)
            """, [], context: "test")
        try await fixture.withSimulator(speed: 60) { simulator in
            var environment = Self.credentials
            environment["BITGET_BASE_URL"] = simulator.baseURL
            let result = try await fixture.workspace.trader(["reconcile", "--dry-run", "--live", "--symbols", "BTCUSDT"], environment: environment).run()
            #expect(result.status == 3, "\(result.standardOutput)\(result.standardError)")
            for expected in ["store:    long 0.01 @ 104000 10x, stop 103000, take-profit 106000; orders without a known outcome: BTCUSDT-x-test",
                             "exchange: flat, no TP/SL orders", "would forget order BTCUSDT-x-test (the venue never received it)",
                             "would book the close of the long position of 0.01 from the exchange's fills (it closed there; halt if they cannot be found)"] {
                #expect(result.standardOutput.contains(expected), "\(expected) in \(result.standardOutput)")
            }
        }
    }
}

import AsyncHTTPClient
import ChildProcesses
import Foundation
import MarketModel
import ScriptedAgents
import Storage
import TestSupport
import Testing

/// What an operator does while the trader runs: promote a new agent (picked up between two bars without a
/// restart), have a broken one refused (the old one keeps trading), read /metrics and /health, halt and
/// resume a symbol, read `trader status`. Malformed market-data pushes are dropped on the way.
@Suite(.serialized, .removesTemporaryFiles) struct TraderOperationsTests {
    static func get(_ url: String) async throws -> (status: Int, body: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    /// The first number a query returns (nil when it fails or returns nothing).
    static func count(_ fixture: TraderFixture, _ sql: String) -> Int? {
        guard let rows = try? fixture.store.rows(sql, [], context: "test"), let first = rows.first, let text = first.first ?? nil else { return nil }
        return Int(text)
    }

    static func events(_ fixture: TraderFixture) -> [String] {
        ((try? fixture.store.rows("SELECT kind, message FROM trader_events ORDER BY id", [], context: "test")) ?? [])
            .map { "\($0[0] ?? ""): \($0[1] ?? "")" }
    }

    @Test func agentsReloadOperatorsHaltAndResumeAndTheMonitoringEndpointReports() async throws {
        let fixture = try await TraderFixture(agentVersion: "20261201T000000000Z-s1")
        // Limits loose enough that only the operator changes the risk state here.
        for (old, new) in [("reducing_drawdown: 0.04", "reducing_drawdown: 0.4"), ("halt_drawdown: 0.05", "halt_drawdown: 0.5"),
                           ("daily_loss_cap: 0.03", "daily_loss_cap: 0.5"), ("consecutive_losses: 3", "consecutive_losses: 0")] {
            try fixture.workspace.configurationFile("trading/risk.yaml", replacing: old, with: new)
        }
        let agents = fixture.workspace.path("agents")
        try await fixture.withSimulator(speed: 1_500, faults: "malformed=0.2") { simulator in
            _ = try await fixture.trader(simulator).withRunning { trader in
                let line = try #require(await trader.firstLine { $0.contains("monitoring on http://") })
                let base = String(line[line.range(of: "http://")!.lowerBound...].prefix { !$0.isWhitespace })
                #expect(await trader.wait(timeout: .seconds(120)) { (fixture.lastTraded() ?? 0) > fixture.start + 3_600_000 })

                // A promotion is picked up between two bars.
                try ScriptedAgent.write(symbol: "BTCUSDT", version: "20261201T000000000Z-s2", agentsDirectory: agents, inverted: true)
                #expect(await trader.wait(timeout: .seconds(60)) {
                    Self.events(fixture).contains("agent: trading agent 20261201T000000000Z-s2 (was 20261201T000000000Z-s1)")
                })
                let promotedAt = fixture.lastTraded() ?? 0
                #expect(await trader.wait(timeout: .seconds(120)) {
                    (Self.count(fixture, "SELECT count(*) FROM orders WHERE agent_version = '20261201T000000000Z-s2'") ?? 0) > 0
                }, "the new agent's decisions are sent")

                // A corrupt agent and one trained on other features are refused; the promoted one keeps trading.
                let corrupt = try ScriptedAgent.write(symbol: "BTCUSDT", version: "20261201T000000000Z-s3", agentsDirectory: agents, promote: false)
                try Data([1, 2, 3]).write(to: URL(fileURLWithPath: corrupt + "/policy.safetensors"))
                try ScriptedAgent.pointCurrent(symbol: "BTCUSDT", at: "20261201T000000000Z-s3", agentsDirectory: agents)
                #expect(await trader.wait(timeout: .seconds(60)) {
                    Self.events(fixture).contains { $0.hasPrefix("agent_refused: agent 20261201T000000000Z-s3 refused:") && $0.contains("corrupt")
                        && $0.hasSuffix("20261201T000000000Z-s2 keeps trading") }
                }, "\(Self.events(fixture))")
                try ScriptedAgent.write(symbol: "BTCUSDT", version: "20261201T000000000Z-s4", agentsDirectory: agents, specHash: String(repeating: "f", count: 64))
                #expect(await trader.wait(timeout: .seconds(60)) {
                    Self.events(fixture).contains { $0.hasPrefix("agent_refused: agent 20261201T000000000Z-s4") && $0.contains("feature spec ffffffffffffffff") }
                }, "\(Self.events(fixture))")
                #expect((fixture.lastTraded() ?? 0) > promotedAt, "bars are still traded")

                // The monitoring endpoint.
                let metrics = try await Self.get(base + "/metrics")
                #expect(metrics.status == 200)
                for expected in ["trader_build_info{", "trader_bars_total{source=\"stream\",symbol=\"BTCUSDT\"}",
                                 "trader_decision_duration_seconds_bucket", "trader_agent_info{symbol=\"BTCUSDT\",version=\"20261201T000000000Z-s2\"} 1",
                                 "trader_agent_reloads_total{result=\"refused\",symbol=\"BTCUSDT\"} 2", "trader_equity_usdt{symbol=\"BTCUSDT\"}",
                                 "trader_risk_state{state=\"ACTIVE\",symbol=\"BTCUSDT\"} 1", "trader_malformed_messages_total",
                                 "trader_bar_confirmations_total{result=\"match\",symbol=\"BTCUSDT\"}"] {
                    #expect(metrics.body.contains(expected), "\(expected) in /metrics")
                }
                let health = try await Self.get(base + "/health")
                let report = try #require(try JSONSerialization.jsonObject(with: Data(health.body.utf8)) as? [String: Any])
                let symbol = try #require((report["symbols"] as? [String: Any])?["BTCUSDT"] as? [String: Any])
                #expect(symbol["agentVersion"] as? String == "20261201T000000000Z-s2" && symbol["riskState"] as? String == "ACTIVE", "\(health.body)")
                #expect((report["services"] as? [String: String])?["decisions"] == "running", "\(health.body)")

                // The operator halts the symbol (its position is closed at the next open), then resumes it.
                let halt = try await ProcessRunner.run("trader", ["halt", "BTCUSDT", "--reason", "maintenance"], in: fixture.workspace.directory)
                #expect(halt.succeeded && halt.standardOutput.contains("queued request"), "\(halt.combined)")
                #expect(await trader.wait(timeout: .seconds(60)) {
                    Self.events(fixture).contains { $0.hasPrefix("operator: halt: ACTIVE → HALTED") && $0.contains("maintenance") }
                }, "\(Self.events(fixture))")
                #expect(await trader.wait(timeout: .seconds(60)) {
                    Self.count(fixture, "SELECT count(*) FROM positions WHERE mode = 'paper'") == 0
                }, "a halted symbol holds no position")
                let halted = try await Self.get(base + "/health")
                #expect(halted.body.contains("\"riskState\" : \"HALTED\""), "\(halted.body)")
                _ = try await ProcessRunner.run("trader", ["resume", "BTCUSDT"], in: fixture.workspace.directory)
                #expect(await trader.wait(timeout: .seconds(60)) { Self.events(fixture).contains { $0.hasPrefix("operator: resume: HALTED → ACTIVE") } })
            }
        }
        // `trader status` reads it all back offline.
        let status = try await ProcessRunner.run("trader", ["status"], in: fixture.workspace.directory)
        #expect(status.succeeded, "\(status.combined)")
        for expected in ["paper account", "BTCUSDT", "ACTIVE", "20261201T000000", "recent trades:", "recent events:"] {
            #expect(status.standardOutput.contains(expected), "\(expected) in:\n\(status.standardOutput)")
        }
    }
}

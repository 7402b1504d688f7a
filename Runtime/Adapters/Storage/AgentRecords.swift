import Foundation
import TradingEngine

/// An agent version and its promotion state (`agents`).
public struct AgentRecord: Sendable, Equatable {
    public var symbol: String
    public var version: String
    /// candidate, promoted, rejected or retired.
    public var status: String
    public var path: String
    public var featureSpecHash: String
    /// UTC ms.
    public var createdAt: Int64
    /// JSON of the key out-of-sample metrics.
    public var metrics: String?
    /// Why it was promoted, rejected or retired.
    public var reason: String?

    public init(symbol: String, version: String, status: String, path: String, featureSpecHash: String, createdAt: Int64,
                metrics: String?, reason: String?) {
        self.symbol = symbol
        self.version = version
        self.status = status
        self.path = path
        self.featureSpecHash = featureSpecHash
        self.createdAt = createdAt
        self.metrics = metrics
        self.reason = reason
    }
}

/// One change of `agents/{SYMBOL}/current` (`agent_promotions`).
public struct PromotionRecord: Sendable, Equatable {
    public var id: Int64
    public var symbol: String
    public var version: String
    public var previousVersion: String?
    /// promote or rollback.
    public var kind: String
    public var reason: String
    public var promotedAt: Int64
}

extension PipelineRecords {
    // MARK: Agents

    /// Inserts or updates an agent's record.
    public func saveAgent(_ agent: AgentRecord) throws {
        _ = try store.rows("""
            INSERT INTO agents (symbol, version, status, path, feature_spec_hash, created_at, metrics, reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (symbol, version) DO UPDATE SET status = excluded.status, path = excluded.path,
                metrics = excluded.metrics, reason = excluded.reason
            """, [.text(agent.symbol), .text(agent.version), .text(agent.status), .text(agent.path), .text(agent.featureSpecHash),
                  .integer(agent.createdAt), .optional(agent.metrics), .optional(agent.reason)], context: "recording agent \(agent.version)")
    }

    public func agents(symbol: String?) throws -> [AgentRecord] {
        let columns = "symbol, version, status, path, feature_spec_hash, created_at, metrics, reason"
        let rows = try symbol.map {
            try store.rows("SELECT \(columns) FROM agents WHERE symbol = $1 ORDER BY version", [.text($0)], context: "reading agents")
        } ?? store.rows("SELECT \(columns) FROM agents ORDER BY symbol, version", [], context: "reading agents")
        return rows.map { row in
            AgentRecord(symbol: row[0] ?? "", version: row[1] ?? "", status: row[2] ?? "", path: row[3] ?? "", featureSpecHash: row[4] ?? "",
                        createdAt: Int64(row[5] ?? "") ?? 0, metrics: row[6], reason: row[7])
        }
    }

    /// Records a change of `current`: the new version becomes promoted, the one it replaces retired.
    public func recordPromotion(symbol: String, version: String, previous: String?, kind: String, reason: String, at time: Int64) throws {
        var statements = [
            SQLStatement("""
                INSERT INTO agent_promotions (symbol, version, previous_version, kind, reason, promoted_at) VALUES ($1, $2, $3, $4, $5, $6)
                """, [.text(symbol), .text(version), .optional(previous), .text(kind), .text(reason), .integer(time)]),
            SQLStatement("UPDATE agents SET status = 'promoted', reason = $1 WHERE symbol = $2 AND version = $3",
                         [.text(reason), .text(symbol), .text(version)]),
        ]
        if let previous, previous != version {
            statements.append(SQLStatement("UPDATE agents SET status = 'retired', reason = $1 WHERE symbol = $2 AND version = $3",
                                           [.text("replaced by \(version) (\(kind))"), .text(symbol), .text(previous)]))
        }
        try store.executeAtomically(statements, context: "recording the promotion of \(symbol) \(version)")
    }

    /// The promotion history of a symbol, newest first.
    public func promotions(symbol: String) throws -> [PromotionRecord] {
        try store.rows("""
            SELECT id, symbol, version, previous_version, kind, reason, promoted_at FROM agent_promotions WHERE symbol = $1 ORDER BY id DESC
            """, [.text(symbol)], context: "reading promotions").map { row in
            PromotionRecord(id: Int64(row[0] ?? "") ?? 0, symbol: row[1] ?? "", version: row[2] ?? "", previousVersion: row[3],
                            kind: row[4] ?? "", reason: row[5] ?? "", promotedAt: Int64(row[6] ?? "") ?? 0)
        }
    }

    // MARK: Strategies

    /// Merges `records` into an agent's strategy records and keeps only the best `keep` (performance > 0,
    /// highest first) and the worst `keep` (performance <= 0, lowest first), labelled; prunes the rest.
    /// Returns how many best and worst records the agent now has.
    @discardableResult
    public func storeStrategies(_ records: [StrategyRecord], agentVersion: String, symbol: String, keep: Int = 1_000) throws -> (best: Int, worst: Int) {
        let existing = try strategies(agentVersion: agentVersion, symbol: symbol)
        var seen = Set<String>()
        let merged = (records + existing).filter { seen.insert("\($0.phase)|\($0.timestamp)|\($0.action)").inserted }
        let best = merged.filter { $0.performance > 0 }.sorted { $0.performance > $1.performance }.prefix(keep)
        let worst = merged.filter { $0.performance <= 0 }.sorted { $0.performance < $1.performance }.prefix(keep)
        var statements = [SQLStatement("DELETE FROM ml_strategies WHERE agent_version = $1 AND symbol = $2", [.text(agentVersion), .text(symbol)])]
        for (outcome, group) in [("best", best), ("worst", worst)] {
            for record in group {
                statements.append(SQLStatement("""
                    INSERT INTO ml_strategies (agent_version, symbol, "timestamp", exit_time, action, timeframes, indicators, tools,
                                               leverage, pnl, performance, outcome, phase)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                    """, [.text(agentVersion), .text(symbol), .integer(record.timestamp), .optional(record.exitTime), .text(record.action),
                          .text(record.timeframes), .text(record.indicators), .text(record.tools), .text("\(record.leverage)"),
                          .text("\(record.pnl)"), .real(record.performance), .text(outcome), .text(record.phase)]))
            }
        }
        try store.executeAtomically(statements, context: "storing the strategy records of \(symbol) \(agentVersion)")
        return (best.count, worst.count)
    }

    /// An agent's strategy records, best first.
    public func strategies(agentVersion: String, symbol: String) throws -> [StrategyRecord] {
        try store.rows("""
            SELECT agent_version, symbol, "timestamp", exit_time, action, timeframes, indicators, tools, leverage, pnl, performance, outcome, phase
            FROM ml_strategies WHERE agent_version = $1 AND symbol = $2 ORDER BY performance DESC
            """, [.text(agentVersion), .text(symbol)], context: "reading strategy records").map { row in
            StrategyRecord(agentVersion: row[0] ?? "", symbol: row[1] ?? "", timestamp: Int64(row[2] ?? "") ?? 0,
                           exitTime: row[3].flatMap { Int64($0) }, action: row[4] ?? "", timeframes: row[5] ?? "[]",
                           indicators: row[6] ?? "{}", tools: row[7] ?? "{}", leverage: Double(row[8] ?? "") ?? 0,
                           pnl: Double(row[9] ?? "") ?? 0, performance: Double(row[10] ?? "") ?? 0, outcome: row[11], phase: row[12] ?? "")
        }
    }
}

import Foundation

/// A run of the offline pipeline (`pipeline_runs`).
public struct PipelineRunRecord: Sendable, Equatable {
    public var id: Int64
    public var reason: String
    /// running, succeeded, failed or abandoned (the process ended without finishing).
    public var status: String
    /// UTC ms.
    public var startedAt: Int64
    public var finishedAt: Int64?
    public var symbols: [String]
    public var stages: [String]
    public var codeVersion: String
    public var error: String?
}

/// One stage of a run for one symbol (`stage_runs`).
public struct StageRunRecord: Sendable, Equatable {
    public var id: Int64
    public var runID: Int64
    public var stage: String
    public var symbol: String?
    /// running, succeeded, failed or skipped (inputs unchanged since a success).
    public var status: String
    public var startedAt: Int64
    public var finishedAt: Int64?
    public var inputHash: String?
    public var outputs: [String: String]
    public var error: String?
}

/// The pipeline's run and stage records, in the SQL both backends accept.
public struct PipelineRecords: Sendable {
    public let store: any Store

    public init(store: any Store) { self.store = store }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ text: String?, as type: T.Type) -> T? {
        text.flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }

    // MARK: Runs

    public func startRun(reason: String, symbols: [String], stages: [String], codeVersion: String, at time: Int64) throws -> Int64 {
        let rows = try store.rows("""
            INSERT INTO pipeline_runs (reason, status, started_at, symbols, stages, code_version)
            VALUES ($1, 'running', $2, $3, $4, $5) RETURNING id
            """, [.text(reason), .integer(time), .text(Self.json(symbols)), .text(Self.json(stages)), .text(codeVersion)],
            context: "recording a pipeline run")
        guard let text = rows.first?.first ?? nil, let id = Int64(text) else {
            throw StoreError.statementFailed(context: "recording a pipeline run", message: "no id returned")
        }
        return id
    }

    public func finishRun(_ id: Int64, status: String, error: String?, at time: Int64) throws {
        _ = try store.rows("UPDATE pipeline_runs SET status = $1, finished_at = $2, error = $3 WHERE id = $4",
                           [.text(status), .integer(time), .optional(error), .integer(id)], context: "finishing pipeline run \(id)")
    }

    /// Marks runs and stages still `running` as abandoned/failed: called by the holder of the run lock,
    /// so no process is working on them any more. Returns the ids of the abandoned runs.
    @discardableResult
    public func abandonInterruptedRuns(at time: Int64) throws -> [Int64] {
        let note = "interrupted: the process ended before the stage finished"
        try store.executeAtomically([
            SQLStatement("UPDATE stage_runs SET status = 'failed', finished_at = $1, error = $2 WHERE status = 'running'",
                         [.integer(time), .text(note)]),
        ], context: "closing interrupted stages")
        let rows = try store.rows("""
            UPDATE pipeline_runs SET status = 'abandoned', finished_at = $1, error = $2 WHERE status = 'running' RETURNING id
            """, [.integer(time), .text("interrupted: the process ended before the run finished")], context: "closing interrupted runs")
        return rows.compactMap { $0.first.flatMap { $0 }.flatMap { Int64($0) } }
    }

    static let runColumns = "id, reason, status, started_at, finished_at, symbols, stages, code_version, error"

    static func run(_ row: [String?]) -> PipelineRunRecord {
        PipelineRunRecord(id: Int64(row[0] ?? "") ?? 0, reason: row[1] ?? "", status: row[2] ?? "", startedAt: Int64(row[3] ?? "") ?? 0,
                          finishedAt: row[4].flatMap { Int64($0) }, symbols: decode(row[5], as: [String].self) ?? [],
                          stages: decode(row[6], as: [String].self) ?? [], codeVersion: row[7] ?? "", error: row[8])
    }

    /// The most recent runs, newest first.
    public func recentRuns(limit: Int) throws -> [PipelineRunRecord] {
        try store.rows("SELECT \(Self.runColumns) FROM pipeline_runs ORDER BY id DESC LIMIT $1", [.integer(Int64(limit))],
                       context: "reading pipeline runs").map(Self.run)
    }

    public func run(id: Int64) throws -> PipelineRunRecord? {
        try store.rows("SELECT \(Self.runColumns) FROM pipeline_runs WHERE id = $1", [.integer(id)], context: "reading pipeline run \(id)")
            .first.map(Self.run)
    }

    /// The most recent runs with `reason` that covered `symbol`, newest first.
    public func runs(reason: String, symbol: String, limit: Int = 20) throws -> [PipelineRunRecord] {
        try store.rows("SELECT \(Self.runColumns) FROM pipeline_runs WHERE reason = $1 ORDER BY id DESC LIMIT $2",
                       [.text(reason), .integer(Int64(limit * 10))], context: "reading pipeline runs")
            .map(Self.run).filter { $0.symbols.contains(symbol) }.prefix(limit).map { $0 }
    }

    // MARK: Stages

    public func startStage(runID: Int64, stage: String, symbol: String?, inputHash: String, at time: Int64) throws -> Int64 {
        let rows = try store.rows("""
            INSERT INTO stage_runs (run_id, stage, symbol, status, started_at, input_hash)
            VALUES ($1, $2, $3, 'running', $4, $5) RETURNING id
            """, [.integer(runID), .text(stage), .optional(symbol), .integer(time), .text(inputHash)], context: "recording stage \(stage)")
        guard let text = rows.first?.first ?? nil, let id = Int64(text) else {
            throw StoreError.statementFailed(context: "recording stage \(stage)", message: "no id returned")
        }
        return id
    }

    public func finishStage(_ id: Int64, status: String, outputs: [String: String], error: String?, at time: Int64) throws {
        _ = try store.rows("UPDATE stage_runs SET status = $1, finished_at = $2, outputs = $3, error = $4 WHERE id = $5",
                           [.text(status), .integer(time), .text(Self.json(outputs)), .optional(error), .integer(id)],
                           context: "finishing stage run \(id)")
    }

    /// Records a stage skipped because its inputs are those of an earlier success (whose outputs it carries).
    public func recordSkippedStage(runID: Int64, stage: String, symbol: String?, inputHash: String, outputs: [String: String],
                                   at time: Int64) throws {
        _ = try store.rows("""
            INSERT INTO stage_runs (run_id, stage, symbol, status, started_at, finished_at, input_hash, outputs)
            VALUES ($1, $2, $3, 'skipped', $4, $4, $5, $6)
            """, [.integer(runID), .text(stage), .optional(symbol), .integer(time), .text(inputHash), .text(Self.json(outputs))],
            context: "recording skipped stage \(stage)")
    }

    static let stageColumns = "id, run_id, stage, symbol, status, started_at, finished_at, input_hash, outputs, error"

    static func stage(_ row: [String?]) -> StageRunRecord {
        StageRunRecord(id: Int64(row[0] ?? "") ?? 0, runID: Int64(row[1] ?? "") ?? 0, stage: row[2] ?? "", symbol: row[3],
                       status: row[4] ?? "", startedAt: Int64(row[5] ?? "") ?? 0, finishedAt: row[6].flatMap { Int64($0) },
                       inputHash: row[7], outputs: decode(row[8], as: [String: String].self) ?? [:], error: row[9])
    }

    /// The latest succeeded or skipped run of `stage` for `symbol` (nil symbol: the stage's run-wide record).
    public func lastSuccess(stage: String, symbol: String?) throws -> StageRunRecord? {
        let rows: [[String?]]
        if let symbol {
            rows = try store.rows("""
                SELECT \(Self.stageColumns) FROM stage_runs WHERE stage = $1 AND symbol = $2 AND status IN ('succeeded', 'skipped')
                ORDER BY id DESC LIMIT 1
                """, [.text(stage), .text(symbol)], context: "reading stage \(stage)")
        } else {
            rows = try store.rows("""
                SELECT \(Self.stageColumns) FROM stage_runs WHERE stage = $1 AND symbol IS NULL AND status IN ('succeeded', 'skipped')
                ORDER BY id DESC LIMIT 1
                """, [.text(stage)], context: "reading stage \(stage)")
        }
        return rows.first.map(Self.stage)
    }

    /// Every stage record of a run, in the order they started.
    public func stages(runID: Int64) throws -> [StageRunRecord] {
        try store.rows("SELECT \(Self.stageColumns) FROM stage_runs WHERE run_id = $1 ORDER BY id", [.integer(runID)],
                       context: "reading the stages of run \(runID)").map(Self.stage)
    }
}

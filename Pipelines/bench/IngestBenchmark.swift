import ArgumentParser
import CSVArchive
import DataStages
import Foundation
import MarketModel
import Storage

/// `bench ingest`: candle import throughput into SQLite and PostgreSQL and the import's peak memory.
/// Each import runs in a child process (`bench ingest-once`) so its peak RSS is its own.
struct IngestBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Import generated 1m bars into SQLite and PostgreSQL; print rows/s and peak memory.")

    @Option(help: "Rows per file; give several to show memory does not grow with file size.")
    var rows: [Int] = [1_000_000, 4_000_000]

    @Option(help: "PostgreSQL server URL (default: $TEST_POSTGRES_URL; a fresh database is created on it).")
    var postgres: String?

    func run() async throws {
        let serverURL = postgres ?? ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"]
        let directory = NSTemporaryDirectory() + "trader-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        print("candle ingest (release build, streaming CSV import, one child process per run)")
        print("reference: psql \\copy of 1M such rows takes about 1.6 s here (625k rows/s)")
        for count in rows {
            let file = directory + "/bars-\(count).csv"
            try SyntheticBars.writeCSV(rows: count, to: file)
            let megabytes = Double((try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0) / 1e6
            print(String(format: "file: %d rows, %.0f MB", count, megabytes))
            let sqlite = try await ChildRun.measure(["ingest-once", "--file", file, "--sqlite", directory + "/bench-\(count).sqlite"])
            sqlite.print(label: "SQLite    ", rows: count)
            if let serverURL {
                let database = "bench_\(count)_\(getpid())"
                try AdminSQL.execute("DROP DATABASE IF EXISTS \(database)", on: serverURL)
                try AdminSQL.execute("CREATE DATABASE \(database)", on: serverURL)
                defer { try? AdminSQL.execute("DROP DATABASE IF EXISTS \(database) WITH (FORCE)", on: serverURL) }
                let url = AdminSQL.replaceDatabase(in: serverURL, with: database)
                let postgres = try await ChildRun.measure(["ingest-once", "--file", file, "--postgres", url])
                postgres.print(label: "PostgreSQL", rows: count)
                if let seconds = try? await PsqlAnchor.copySeconds(file: file, url: url) {
                    Swift.print(String(format: "anchor: psql \\copy of the same file into an unindexed NUMERIC table: %.0f rows/s (%.2f s)",
                                       Double(count) / seconds, seconds))
                }
            } else {
                print("PostgreSQL: skipped (no --postgres and no TEST_POSTGRES_URL)")
            }
            try? FileManager.default.removeItem(atPath: file)
        }
    }
}

/// `bench ingest-once`: one import, timed from inside (excluding process start-up), for the parent to measure.
struct IngestOnce: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest-once", shouldDisplay: false)

    @Option var file: String
    @Option var sqlite: String?
    @Option var postgres: String?

    func run() throws {
        let (store, known) = try StoreFactory.open(sqlitePath: sqlite, postgresURL: postgres, displayLocation: "bench",
                                                   migrationsDirectory: nil, requireCurrentSchema: false)
        _ = try store.migrate(known)
        let started = Date()
        let summary = try CSVImport(store: store).importBars(path: file, symbol: "BTCUSDT", timeframe: .oneMinute,
                                                              rejectsPath: file + ".rejects.csv")
        let seconds = Date().timeIntervalSince(started)
        guard summary.loaded == summary.rowsRead else { throw ValidationError("only \(summary.loaded) of \(summary.rowsRead) rows loaded") }
        ChildRun.report(seconds: seconds)
    }
}

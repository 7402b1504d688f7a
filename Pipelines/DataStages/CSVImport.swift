import CSVArchive
import Foundation
import MarketModel
import Storage

/// Summary of one CSV import.
public struct CSVImportSummary: Sendable, Equatable {
    /// Data rows in the file (header excluded).
    public var rowsRead: Int
    /// Rows stored by this import.
    public var loaded: Int
    /// Valid rows that the store already had.
    public var alreadyPresent: Int
    /// Rows refused, written to `rejectsPath`.
    public var rejected: Int
    /// Where the rejects went (nil when none).
    public var rejectsPath: String?
}

/// Loads a market-data CSV into the store, streaming it in batches so memory stays bounded whatever the
/// file size. Every row is validated; bad rows go to a reject file with line number and reason, good
/// rows are upserted (re-importing a file adds nothing).
public struct CSVImport {
    public var store: any Store
    public var batchSize: Int

    public init(store: any Store, batchSize: Int = 200_000) {
        self.store = store
        self.batchSize = batchSize
    }

    /// Imports bars of `symbol`/`timeframe` from `path`. `rejectsPath` defaults to `path + ".rejects.csv"`;
    /// a stale reject file from an earlier run is removed when this run has none.
    public func importBars(path: String, symbol: Symbol, timeframe: Timeframe, rejectsPath: String? = nil) throws -> CSVImportSummary {
        _ = try BarFileReader(path: path, timeframe: timeframe)  // fail here, before any thread, if unreadable
        let rejectsDestination = rejectsPath ?? path + ".rejects.csv"
        let rejects = RejectFile(path: rejectsDestination)
        var count = UpsertCount()
        var read = 0
        let batchSize = self.batchSize
        try pipelined(produce: { emit in
            let reader = try BarFileReader(path: path, timeframe: timeframe)
            try reader.read(batchSize: batchSize) { bars, rejected in try emit((bars, rejected)) }
        }, consume: { (batch: ([Bar], [RejectedRow])) in
            read += batch.0.count + batch.1.count
            count = count + (try store.upsertCandles(batch.0, symbol: symbol, timeframe: timeframe))
            try rejects.append(batch.1)
        })
        let written = try rejects.finish()
        return CSVImportSummary(rowsRead: read, loaded: count.inserted, alreadyPresent: count.alreadyPresent,
                                rejected: rejects.count, rejectsPath: written ? rejectsDestination : nil)
    }

    /// Imports a funding-rate file (`timestamp_ms,funding_rate`) for `symbol`.
    public func importFunding(path: String, symbol: Symbol, rejectsPath: String? = nil) throws -> CSVImportSummary {
        let reader = try FundingFileReader(path: path)
        let (rates, rejected) = try reader.readAll()
        let rejectsDestination = rejectsPath ?? path + ".rejects.csv"
        let rejects = RejectFile(path: rejectsDestination)
        try rejects.append(rejected)
        let count = try store.upsertFundingRates(rates, symbol: symbol)
        let written = try rejects.finish()
        return CSVImportSummary(rowsRead: rates.count + rejected.count, loaded: count.inserted,
                                alreadyPresent: count.alreadyPresent, rejected: rejected.count,
                                rejectsPath: written ? rejectsDestination : nil)
    }
}

/// The reject file `line,reason,row`, created only when there is something to reject and replaced
/// atomically.
final class RejectFile {
    let path: String
    private var writer: AtomicFileWriter?
    private(set) var count = 0

    init(path: String) { self.path = path }

    func append(_ rows: [RejectedRow]) throws {
        guard !rows.isEmpty else { return }
        if writer == nil {
            writer = try AtomicFileWriter(destination: path)
            try writer?.write("line,reason,row\n")
        }
        for row in rows {
            try writer?.write("\(row.line),\(Self.quoted(row.reason)),\(Self.quoted(row.text))\n")
        }
        count += rows.count
    }

    /// Commits the file; returns whether one was written. Removes a stale file when nothing was rejected.
    func finish() throws -> Bool {
        guard let writer else {
            if FileManager.default.fileExists(atPath: path) { try? FileManager.default.removeItem(atPath: path) }
            return false
        }
        try writer.commit()
        return true
    }

    /// CSV quoting (RFC 4180).
    static func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}

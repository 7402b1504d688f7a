import CSVArchive
import Foundation
import MarketModel
import Storage

/// Keeps `data/{SYMBOL}/{SYMBOL}_{tf}.csv` in step with the store by appending the stored bars that are
/// newer than the file's last row: the file is copied to a temporary file, the new rows appended, and the
/// result renamed over it, so a reader never sees a half-written backup.
public struct CSVBackup {
    public var store: any Store
    public var export: CSVExport

    public init(store: any Store, dataDirectory: String) {
        self.store = store
        export = CSVExport(store: store, dataDirectory: dataDirectory)
    }

    /// Appends what is new; writes the whole file when there is none. Returns the rows appended.
    @discardableResult
    public func update(symbol: Symbol, timeframe: Timeframe) throws -> Int {
        let path = export.path(symbol: symbol, timeframe: timeframe)
        guard let lastTime = try Self.lastTimestamp(of: path) else { return try export.export(symbol: symbol, timeframe: timeframe) }
        var appended = 0
        var writer: AtomicFileWriter?
        try store.forEachCandleBatch(symbol: symbol, timeframe: timeframe, from: lastTime + 1) { bars in
            if writer == nil {
                writer = try AtomicFileWriter(destination: path)
                try Self.copy(path, into: writer!)
            }
            for bar in bars { try writer?.write(BarCSVFormat.line(bar)) }
            appended += bars.count
        }
        try writer?.commit()
        return appended
    }

    /// The first field of the file's last line, read from its end.
    static func lastTimestamp(of path: String) throws -> Int64? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        guard size > 0 else { return nil }
        let tail = min(size, 4_096)
        try handle.seek(toOffset: size - tail)
        let text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        let lines = text.split(separator: "\n").filter { !$0.isEmpty }
        guard let last = lines.last, let time = Int64(last.prefix { $0 != "," }) else { return nil }
        return time
    }

    static func copy(_ path: String, into writer: AtomicFileWriter) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileAccessError(path: path, reason: "cannot open") }
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            try writer.write(bytes: chunk)
        }
    }
}

import CSVArchive
import Foundation
import MarketModel
import Storage

/// Writes the CSV backups `{data}/{SYMBOL}/{SYMBOL}_{tf}.csv` from the store, each atomically
/// (temporary file + rename), streaming the series in batches.
public struct CSVExport {
    public var store: any Store
    /// The data directory (`paths.data`).
    public var dataDirectory: String

    public init(store: any Store, dataDirectory: String) {
        self.store = store
        self.dataDirectory = dataDirectory
    }

    /// The backup file of one series.
    public func path(symbol: Symbol, timeframe: Timeframe) -> String {
        "\(dataDirectory)/\(symbol.name)/\(symbol.name)_\(timeframe.rawValue).csv"
    }

    /// Writes one series; returns the number of bars written (0: no file is written for an empty series).
    @discardableResult
    public func export(symbol: Symbol, timeframe: Timeframe) throws -> Int {
        let destination = path(symbol: symbol, timeframe: timeframe)
        var writer: AtomicFileWriter?
        var rows = 0
        try store.forEachCandleBatch(symbol: symbol, timeframe: timeframe) { bars in
            if writer == nil {
                writer = try AtomicFileWriter(destination: destination)
                try writer?.write(MarketDataFileKind.bars.header + "\n")
            }
            for bar in bars { try writer?.write(BarCSVFormat.line(bar)) }
            rows += bars.count
        }
        try writer?.commit()
        return rows
    }
}

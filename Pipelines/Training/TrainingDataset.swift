import Crypto
import Features
import Foundation
import MarketModel
import Policy
import TensorStore
import TradingEngine

/// Why a tensor cannot be trained on.
public struct TrainingDataError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(description: String) { self.description = description }
}

/// A symbol's feature tensor split for training: the training rows `[0, trainingRows)` that episodes are
/// drawn from, and the held-out rows after them that training never reads (recorded for evaluation).
public struct TrainingDataset: Sendable {
    public var path: String
    public var metadata: FeatureTensorMetadata
    public var rows: TrainingRows
    public var trainingRange: AgentManifest.RowRange
    public var heldOutRange: AgentManifest.RowRange?
    /// SHA-256 of the tensor file, hex.
    public var sha256: String

    /// Reads the training rows of the tensor at `path`. A tensor built with another feature spec is refused
    /// before anything is trained, naming both hashes; so is one without the columns the engine needs.
    public static func load(path: String, spec: FeatureSpec, tradingTimeframe: Timeframe, stopTimeframe: Timeframe,
                            confirmationTimeframes: [Timeframe]) throws -> TrainingDataset {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingDataError(description: "\(path): no feature tensor; run `pipeline align` first")
        }
        let reader = try FeatureTensorReader(path: path)
        let metadata = reader.metadata
        guard metadata.specHash == spec.hash else {
            throw TrainingDataError(description: "\(path): built with feature spec \(metadata.specHash), but the configuration's is \(spec.hash); rebuild it with `pipeline align --force`")
        }
        guard let columns = FeatureColumns(names: metadata.featureNames, tradingTimeframe: tradingTimeframe,
                                           stopTimeframe: stopTimeframe, confirmationTimeframes: confirmationTimeframes)
        else { throw TrainingDataError(description: "\(path): lacks the ATR, RSI or trend columns of the configured timeframes") }
        let training = metadata.trainingRows
        guard training > 0, training <= metadata.rows else {
            throw TrainingDataError(description: "\(path): training_rows \(training) outside 1...\(metadata.rows)")
        }
        let window = try reader.window(0..<training)
        var features = window.features
        // Rows before the indicators are ready may hold NaN; the environment sees zeros there (and their valid flag).
        for index in features.indices where !features[index].isFinite { features[index] = 0 }
        let bars = (0..<training).map { row in
            Bar(openTime: window.openTime[row], open: window.open[row], high: window.high[row], low: window.low[row], close: window.close[row], volume: 0)
        }
        let names = metadata.featureNames
        let funding = names.firstIndex(of: "funding_rate").flatMap { rate in names.firstIndex(of: "funding_known").map { (rate, $0) } }
        let rows = TrainingRows(features: features, featureCount: names.count, bars: bars, valid: window.valid, columns: columns,
                                fundingColumns: funding)
        var heldOut: AgentManifest.RowRange?
        if training < metadata.rows {
            let times = try reader.window(training..<metadata.rows).openTime
            heldOut = AgentManifest.RowRange(firstRow: training, rowCount: times.count, firstOpenTime: times[0], lastOpenTime: times[times.count - 1])
        }
        return TrainingDataset(
            path: path, metadata: metadata, rows: rows,
            trainingRange: AgentManifest.RowRange(firstRow: 0, rowCount: training, firstOpenTime: bars[0].openTime,
                                                  lastOpenTime: bars[training - 1].openTime),
            heldOutRange: heldOut, sha256: try fileSHA256(path))
    }

    static func fileSHA256(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw TrainingDataError(description: "\(path): cannot be read") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 22), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

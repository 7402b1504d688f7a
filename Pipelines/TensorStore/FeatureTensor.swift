@preconcurrency import CHDF5
import Features
import Foundation

/// What a feature tensor file says about itself (its root attributes).
public struct FeatureTensorMetadata: Sendable, Equatable {
    public var symbol: String
    public var specHash: String
    /// The FeatureSpec's canonical JSON.
    public var spec: String
    public var featureNames: [String]
    public var rows: Int
    /// First and last row's bar open time, UTC ms.
    public var firstOpenTime: Int64
    public var lastOpenTime: Int64
    /// Rows whose `valid` flag is set.
    public var validRows: Int
    /// Newest funding settlement used, UTC ms (0 when none).
    public var lastFundingTime: Int64
    /// ISO 8601 UTC.
    public var createdAt: String
    public var codeVersion: String
    /// Rows `[0, trainingRows)` are the training range; the normalisation statistics come from its valid rows only.
    public var trainingRows: Int
    public var normalizationMean: [Double]
    public var normalizationStandardDeviation: [Double]
    /// Human summary of the 1m gaps.
    public var gaps: String
}

/// The rows of a tensor window: features as float32 `[rows × features]`, the rest per row.
public struct FeatureWindow: Sendable {
    public var features: [Float]
    public var openTime: [Int64]
    public var open: [Double]
    public var high: [Double]
    public var low: [Double]
    public var close: [Double]
    public var valid: [UInt8]
    public var rows: Int { openTime.count }
}

/// Writes `datasets/{SYMBOL}/features-{hash}.h5` row by row, in chunks, into a temporary file that is
/// renamed over the destination only when complete: an existing tensor is never left half-written.
///
/// Layout: `/features` float32 [T, F] (chunked, shuffled, deflated), `/open_time` int64 UTC ms,
/// `/open` `/high` `/low` `/close` float64, `/valid` uint8, and root attributes (see `FeatureTensorMetadata`).
public final class FeatureTensorWriter {
    public let destination: String
    private let temporaryPath: String
    private let file: HDF5File
    private let columns: Int
    private let rows: Int
    private var datasets: [String: hid_t] = [:]
    private var written = 0
    private var finished = false
    private let chunkRows = 8_192
    // Buffered rows not yet written.
    private var features: [Float] = []
    private var openTimes: [Int64] = []
    private var prices: [[Double]] = [[], [], [], []]
    private var valid: [UInt8] = []

    public init(destination: String, rows: Int, columns: Int) throws {
        self.destination = destination
        self.rows = rows
        self.columns = columns
        try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        temporaryPath = destination + ".tmp-\(getpid())"
        file = try HDF5File.create(temporaryPath)
        datasets["/features"] = try file.createDataset("/features", type: chdf5_native_float(), dimensions: [rows, columns],
                                                       chunk: [1_024, columns], compression: 4)
        datasets["/open_time"] = try file.createDataset("/open_time", type: chdf5_native_int64(), dimensions: [rows],
                                                        chunk: [16_384], compression: 4)
        for name in ["/open", "/high", "/low", "/close"] {
            datasets[name] = try file.createDataset(name, type: chdf5_native_double(), dimensions: [rows], chunk: [16_384],
                                                    compression: 4)
        }
        datasets["/valid"] = try file.createDataset("/valid", type: chdf5_native_uint8(), dimensions: [rows], chunk: [16_384],
                                                    compression: 4)
        features.reserveCapacity(chunkRows * columns)
    }

    deinit {
        for dataset in datasets.values { H5Dclose(dataset) }
        if !finished { unlink(temporaryPath) }
    }

    /// Adds the next row. `values` are the features (converted to float32; never NaN or infinite).
    public func append(openTime: Int64, open: Double, high: Double, low: Double, close: Double, values: [Double], isValid: Bool) throws {
        precondition(values.count == columns, "row has \(values.count) features, the tensor \(columns)")
        for value in values { features.append(value.isFinite ? Float(value) : 0) }
        openTimes.append(openTime)
        prices[0].append(open)
        prices[1].append(high)
        prices[2].append(low)
        prices[3].append(close)
        valid.append(isValid && values.allSatisfy(\.isFinite) ? 1 : 0)
        if openTimes.count == chunkRows { try flush() }
    }

    private func flush() throws {
        let count = openTimes.count
        guard count > 0 else { return }
        precondition(written + count <= rows, "more rows than the tensor was created for")
        try features.withUnsafeBufferPointer {
            try file.writeRows(datasets["/features"]!, type: chdf5_native_float(), values: $0, firstRow: written, rows: count,
                               columns: columns, name: "/features")
        }
        try openTimes.withUnsafeBufferPointer {
            try file.writeRows(datasets["/open_time"]!, type: chdf5_native_int64(), values: $0, firstRow: written, rows: count,
                               columns: nil, name: "/open_time")
        }
        for (index, name) in ["/open", "/high", "/low", "/close"].enumerated() {
            try prices[index].withUnsafeBufferPointer {
                try file.writeRows(datasets[name]!, type: chdf5_native_double(), values: $0, firstRow: written, rows: count,
                                   columns: nil, name: name)
            }
        }
        try valid.withUnsafeBufferPointer {
            try file.writeRows(datasets["/valid"]!, type: chdf5_native_uint8(), values: $0, firstRow: written, rows: count,
                               columns: nil, name: "/valid")
        }
        written += count
        features.removeAll(keepingCapacity: true)
        openTimes.removeAll(keepingCapacity: true)
        for index in prices.indices { prices[index].removeAll(keepingCapacity: true) }
        valid.removeAll(keepingCapacity: true)
    }

    /// Writes the remaining rows and the attributes, closes the file and renames it into place.
    public func finish(_ metadata: FeatureTensorMetadata) throws {
        try flush()
        guard written == rows else { throw HDF5Error(path: destination, action: "finish: \(written) of \(rows) rows written") }
        let json = JSONEncoder()
        func text(_ value: some Encodable) throws -> String { String(decoding: try json.encode(value), as: UTF8.self) }
        try file.setAttribute("symbol", string: metadata.symbol)
        try file.setAttribute("spec_hash", string: metadata.specHash)
        try file.setAttribute("spec", string: metadata.spec)
        try file.setAttribute("feature_names", string: try text(metadata.featureNames))
        try file.setAttribute("rows", integer: Int64(metadata.rows))
        try file.setAttribute("first_open_time", integer: metadata.firstOpenTime)
        try file.setAttribute("last_open_time", integer: metadata.lastOpenTime)
        try file.setAttribute("valid_rows", integer: Int64(metadata.validRows))
        try file.setAttribute("last_funding_time", integer: metadata.lastFundingTime)
        try file.setAttribute("created_at", string: metadata.createdAt)
        try file.setAttribute("code_version", string: metadata.codeVersion)
        try file.setAttribute("training_rows", integer: Int64(metadata.trainingRows))
        try file.setAttribute("normalization_mean", string: try text(metadata.normalizationMean))
        try file.setAttribute("normalization_std", string: try text(metadata.normalizationStandardDeviation))
        try file.setAttribute("gaps", string: metadata.gaps)
        for dataset in datasets.values { H5Dclose(dataset) }
        datasets.removeAll()
        try file.check(H5Fflush(file.id, H5F_SCOPE_GLOBAL), "flush")
        file.close()
        finished = true
        guard rename(temporaryPath, destination) == 0 else {
            unlink(temporaryPath)
            throw HDF5Error(path: destination, action: "rename the finished file into place")
        }
    }
}

/// Reads a feature tensor: its metadata at once, rows on demand (any window, without loading the rest).
public final class FeatureTensorReader {
    public let path: String
    public let metadata: FeatureTensorMetadata
    private let file: HDF5File

    public init(path: String) throws {
        self.path = path
        let file = try HDF5File.openReadOnly(path)
        self.file = file
        let decoder = JSONDecoder()
        func list<T: Decodable>(_ name: String, _ type: T.Type) throws -> T {
            try decoder.decode(T.self, from: Data(try file.stringAttribute(name).utf8))
        }
        metadata = FeatureTensorMetadata(
            symbol: try file.stringAttribute("symbol"), specHash: try file.stringAttribute("spec_hash"),
            spec: try file.stringAttribute("spec"), featureNames: try list("feature_names", [String].self),
            rows: Int(try file.integerAttribute("rows")), firstOpenTime: try file.integerAttribute("first_open_time"),
            lastOpenTime: try file.integerAttribute("last_open_time"), validRows: Int(try file.integerAttribute("valid_rows")),
            lastFundingTime: try file.integerAttribute("last_funding_time"), createdAt: try file.stringAttribute("created_at"),
            codeVersion: try file.stringAttribute("code_version"), trainingRows: Int(try file.integerAttribute("training_rows")),
            normalizationMean: try list("normalization_mean", [Double].self),
            normalizationStandardDeviation: try list("normalization_std", [Double].self),
            gaps: try file.stringAttribute("gaps"))
        let shape = try file.dimensions(of: "/features")
        guard shape == [metadata.rows, metadata.featureNames.count] else {
            throw HDF5Error(path: path, action: "agree on its shape: /features is \(shape), attributes say \(metadata.rows) × \(metadata.featureNames.count)")
        }
    }

    /// Rows `range` of every dataset.
    public func window(_ range: Range<Int>) throws -> FeatureWindow {
        precondition(range.lowerBound >= 0 && range.upperBound <= metadata.rows, "rows \(range) outside 0..<\(metadata.rows)")
        let count = range.count, columns = metadata.featureNames.count
        var window = FeatureWindow(features: Array(repeating: 0, count: count * columns), openTime: Array(repeating: 0, count: count),
                                   open: Array(repeating: 0, count: count), high: Array(repeating: 0, count: count),
                                   low: Array(repeating: 0, count: count), close: Array(repeating: 0, count: count),
                                   valid: Array(repeating: 0, count: count))
        guard count > 0 else { return window }
        try window.features.withUnsafeMutableBufferPointer {
            try file.readRows("/features", type: chdf5_native_float(), into: $0, firstRow: range.lowerBound, rows: count, columns: columns)
        }
        try window.openTime.withUnsafeMutableBufferPointer {
            try file.readRows("/open_time", type: chdf5_native_int64(), into: $0, firstRow: range.lowerBound, rows: count, columns: nil)
        }
        try window.open.withUnsafeMutableBufferPointer {
            try file.readRows("/open", type: chdf5_native_double(), into: $0, firstRow: range.lowerBound, rows: count, columns: nil)
        }
        try window.high.withUnsafeMutableBufferPointer {
            try file.readRows("/high", type: chdf5_native_double(), into: $0, firstRow: range.lowerBound, rows: count, columns: nil)
        }
        try window.low.withUnsafeMutableBufferPointer {
            try file.readRows("/low", type: chdf5_native_double(), into: $0, firstRow: range.lowerBound, rows: count, columns: nil)
        }
        try window.close.withUnsafeMutableBufferPointer {
            try file.readRows("/close", type: chdf5_native_double(), into: $0, firstRow: range.lowerBound, rows: count, columns: nil)
        }
        try window.valid.withUnsafeMutableBufferPointer {
            try file.readRows("/valid", type: chdf5_native_uint8(), into: $0, firstRow: range.lowerBound, rows: count, columns: nil)
        }
        return window
    }

    /// Every row (one read of the whole file).
    public func all() throws -> FeatureWindow { try window(0..<metadata.rows) }
}

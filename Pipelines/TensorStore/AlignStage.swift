import CSVArchive
import Features
import Foundation
import MarketModel
import Storage

/// What `align` did for one symbol.
public struct AlignmentSummary: Sendable {
    public enum Outcome: Sendable, Equatable { case written, upToDate }
    public var symbol: Symbol
    public var outcome: Outcome
    public var path: String
    public var rows: Int
    public var validRows: Int
    public var gaps: GapReport
    public var csvPath: String?
}

/// Why `align` wrote nothing for a symbol.
public struct AlignmentError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The align stage: 1m bars and funding from the store → feature rows (batch builder) →
/// `datasets/{SYMBOL}/features-{hash}.h5`, streamed to disk in chunks, with normalisation statistics from
/// the training range only. Optionally also the seed's `data/{SYMBOL}/{SYMBOL}_aligned.csv`.
public struct AlignStage {
    public var store: any Store
    public var spec: FeatureSpec
    public var datasetsDirectory: String
    public var dataDirectory: String
    /// Fraction of the rows at the end held out from training (their rows are not in the statistics).
    public var heldOutFraction: Double
    public var codeVersion: String

    public init(store: any Store, spec: FeatureSpec = .standard, datasetsDirectory: String, dataDirectory: String,
                heldOutFraction: Double, codeVersion: String) {
        self.store = store
        self.spec = spec
        self.datasetsDirectory = datasetsDirectory
        self.dataDirectory = dataDirectory
        self.heldOutFraction = heldOutFraction
        self.codeVersion = codeVersion
    }

    /// The tensor file of a symbol for this spec.
    public func path(for symbol: Symbol) -> String {
        "\(datasetsDirectory)/\(symbol.name)/features-\(spec.shortHash).h5"
    }

    /// Builds (or confirms up to date) the tensor of `symbol`. `force` rebuilds even when up to date.
    /// `through` (a bar open time, UTC ms) ends the tensor there: the bars after it do not exist for it
    /// (a walk-forward fold's training tensor).
    public func run(symbol: Symbol, csv: Bool = false, force: Bool = false, through: Int64? = nil, now: Date = Date()) throws -> AlignmentSummary {
        let bars = try store.candles(symbol: symbol, timeframe: .oneMinute, from: nil, to: through, limit: nil)
        guard !bars.isEmpty else {
            throw AlignmentError(description: "\(symbol): no 1m bars in the store; run `pipeline import-csv` or `pipeline download` first")
        }
        let warmUp = spec.warmUpMinutes
        guard bars.count > warmUp else {
            throw AlignmentError(description: "\(symbol): \(bars.count) 1m bars, fewer than the \(warmUp) the longest lookback needs (\(warmUp / 1440) days); nothing written")
        }
        let funding = try store.fundingRates(symbol: symbol, from: nil, to: through.map { $0 + 60_000 })
        let gaps = GapReport(bars: bars)
        let destination = path(for: symbol)
        let lastFunding = funding.last?.time ?? 0
        if !force, !csv, let existing = try? FeatureTensorReader(path: destination),
            existing.metadata.specHash == spec.hash, existing.metadata.rows == bars.count,
            existing.metadata.lastOpenTime == bars[bars.count - 1].openTime, existing.metadata.lastFundingTime == lastFunding
        {
            return AlignmentSummary(symbol: symbol, outcome: .upToDate, path: destination, rows: bars.count,
                                    validRows: existing.metadata.validRows, gaps: gaps, csvPath: nil)
        }

        let trainingRows = Int((Double(bars.count) * (1 - heldOutFraction)).rounded(.down))
        let writer = try FeatureTensorWriter(destination: destination, rows: bars.count, columns: spec.count)
        let csvWriter = csv ? try AlignedCSV(path: "\(dataDirectory)/\(symbol.name)/\(symbol.name)_aligned.csv", names: spec.names) : nil
        var statistics = RunningStatistics(count: spec.count)
        var validRows = 0
        try FeatureMatrixBuilder.build(bars: bars, funding: funding, spec: spec) { index, values, isValid in
            let bar = bars[index]
            try writer.append(openTime: bar.openTime, open: bar.open, high: bar.high, low: bar.low, close: bar.close,
                              values: values, isValid: isValid)
            if isValid {
                validRows += 1
                if index < trainingRows { statistics.add(values) }
            }
            try csvWriter?.append(bar: bar, values: values, isValid: isValid)
        }
        try writer.finish(FeatureTensorMetadata(
            symbol: symbol.name, specHash: spec.hash, spec: spec.canonicalJSON, featureNames: spec.names, rows: bars.count,
            firstOpenTime: bars[0].openTime, lastOpenTime: bars[bars.count - 1].openTime, validRows: validRows,
            lastFundingTime: lastFunding, createdAt: UTCTime(milliseconds: Int64(now.timeIntervalSince1970 * 1000)).iso8601,
            codeVersion: codeVersion, trainingRows: trainingRows, normalizationMean: statistics.mean,
            normalizationStandardDeviation: statistics.standardDeviation, gaps: gaps.description))
        try csvWriter?.commit()
        return AlignmentSummary(symbol: symbol, outcome: .written, path: destination, rows: bars.count, validRows: validRows,
                                gaps: gaps, csvPath: csvWriter?.path)
    }
}

/// Mean and standard deviation per column (Welford), for the normalisation statistics.
struct RunningStatistics {
    private var count = 0.0
    private var means: [Double]
    private var squares: [Double]

    init(count: Int) {
        means = Array(repeating: 0, count: count)
        squares = Array(repeating: 0, count: count)
    }

    mutating func add(_ values: [Double]) {
        count += 1
        for index in values.indices {
            let delta = values[index] - means[index]
            means[index] += delta / count
            squares[index] += delta * (values[index] - means[index])
        }
    }

    var mean: [Double] { means }
    /// Population standard deviation; 1 for constant columns (so dividing by it is harmless).
    var standardDeviation: [Double] {
        squares.map { count > 0 && $0 > 0 ? ($0 / count).squareRoot() : 1 }
    }
}

/// `data/{SYMBOL}/{SYMBOL}_aligned.csv`: the bars with their valid flag and features, written atomically.
final class AlignedCSV {
    let path: String
    private let writer: AtomicFileWriter

    init(path: String, names: [String]) throws {
        self.path = path
        writer = try AtomicFileWriter(destination: path)
        try writer.write((["timestamp_ms", "open", "high", "low", "close", "volume", "valid"] + names).joined(separator: ",") + "\n")
    }

    func append(bar: Bar, values: [Double], isValid: Bool) throws {
        var line = BarCSVFormat.line(bar)
        line.removeLast()
        line += isValid ? ",1" : ",0"
        for value in values { line += "," + Float(value).description }
        try writer.write(line + "\n")
    }

    func commit() throws { try writer.commit() }
}

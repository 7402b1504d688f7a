import Foundation
import MarketModel

/// A row that could not be accepted: its line number, why, and its text as read.
public struct RejectedRow: Sendable, Equatable {
    public var line: Int
    public var reason: String
    public var text: String

    public init(line: Int, reason: String, text: String) {
        self.line = line
        self.reason = reason
        self.text = text
    }
}

/// The kinds of market-data CSV files in the `../shared/datasets` format.
public enum MarketDataFileKind: String, Sendable, CaseIterable {
    /// `timestamp_ms,open,high,low,close,volume`, open time in UTC ms.
    case bars
    /// `timestamp_ms,funding_rate`, one row per settlement.
    case funding

    public var header: String {
        switch self {
        case .bars: "timestamp_ms,open,high,low,close,volume"
        case .funding: "timestamp_ms,funding_rate"
        }
    }

    var columnCount: Int { header.split(separator: ",").count }
}

/// What was wrong with a file as a whole (not one row).
public struct MarketDataFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var line: Int?
    public var reason: String

    public var description: String { line.map { "\(path):\($0): \(reason)" } ?? "\(path): \(reason)" }
}

/// Reads a bars file in batches, validating every row (parseable, on the timeframe grid, strictly
/// increasing, OHLC consistent, prices > 0, volume >= 0). Good rows come back as bars; bad rows come back
/// as rejects with their line number and reason. Memory is bounded by the batch size.
public struct BarFileReader: ~Copyable {
    public let path: String
    public let timeframe: Timeframe
    private let lines: LineReader

    /// `chunkSize` (bytes read at a time) bounds the memory used for reading.
    public init(path: String, timeframe: Timeframe, chunkSize: Int = 1 << 20) throws(FileAccessError) {
        self.path = path
        self.timeframe = timeframe
        lines = try LineReader(path: path, chunkSize: chunkSize)
    }

    /// Streams the file, calling `body` with each batch of up to `batchSize` good bars and the rejects
    /// found since the previous batch. The header must be `timestamp_ms,open,high,low,close,volume`.
    public func read(batchSize: Int = 50_000,
                     _ body: (_ bars: [Bar], _ rejects: [RejectedRow]) throws -> Void) throws {
        var validator = BarSequenceValidator(timeframe: timeframe)
        var bars: [Bar] = []
        bars.reserveCapacity(batchSize)
        var rejects: [RejectedRow] = []
        let path = self.path
        try lines.forEachLine { line, number in
            if number == 1 {
                try MarketDataFileKind.bars.checkHeader(line, path: path)
                return true
            }
            if line.isEmpty { return true }
            switch Self.parse(line) {
            case let .failure(reason):
                rejects.append(RejectedRow(line: number, reason: reason.description, text: line.text))
            case let .success(bar):
                if let problem = validator.accept(bar) {
                    rejects.append(RejectedRow(line: number, reason: problem.description, text: line.text))
                } else {
                    bars.append(bar)
                }
            }
            if bars.count == batchSize {
                try body(bars, rejects)
                bars.removeAll(keepingCapacity: true)
                rejects.removeAll()
            }
            return true
        }
        if !bars.isEmpty || !rejects.isEmpty { try body(bars, rejects) }
    }

    /// Every good bar of a file at once (for tests and small files); rejects are returned beside them.
    public func readAll() throws -> (bars: [Bar], rejects: [RejectedRow]) {
        var all: [Bar] = [], allRejects: [RejectedRow] = []
        try read { bars, rejects in
            all += bars
            allRejects += rejects
        }
        return (all, allRejects)
    }

    static func parse(_ line: UnsafeBufferPointer<UInt8>) -> Result<Bar, ParseFailure> {
        var fields = CSVFields(line)
        let total = fields.remainingCount()
        guard total == 6 else { return .failure("expected 6 fields, found \(total)") }
        let timeField = fields.next()!
        guard let time = fields.integer(timeField) else {
            return .failure("timestamp_ms \"\(fields.text(timeField))\" is not a whole number of milliseconds")
        }
        func number(_ name: String) -> Result<Double, ParseFailure> {
            let range = fields.next()!
            guard let value = fields.number(range) else { return .failure("\(name) \"\(fields.text(range))\" is not a number") }
            return .success(value)
        }
        do {
            let open = try number("open").get(), high = try number("high").get(), low = try number("low").get()
            let close = try number("close").get(), volume = try number("volume").get()
            return .success(Bar(openTime: time, open: open, high: high, low: low, close: close, volume: volume))
        } catch {
            return .failure(error)
        }
    }
}

/// Reads a funding-rate file (`timestamp_ms,funding_rate`), validating increasing times and finite rates
/// within ±5% per interval.
public struct FundingFileReader: ~Copyable {
    public let path: String
    private let lines: LineReader

    public init(path: String) throws(FileAccessError) {
        self.path = path
        lines = try LineReader(path: path)
    }

    public func readAll() throws -> (rates: [FundingRate], rejects: [RejectedRow]) {
        var rates: [FundingRate] = [], rejects: [RejectedRow] = []
        let path = self.path
        try lines.forEachLine { line, number in
            if number == 1 {
                try MarketDataFileKind.funding.checkHeader(line, path: path)
                return true
            }
            if line.isEmpty { return true }
            var fields = CSVFields(line)
            let reason: String?
            if fields.remainingCount() != 2 {
                reason = "expected 2 fields, found \(fields.remainingCount())"
            } else if let time = fields.integer(fields.next()!), let rate = fields.number(fields.next()!) {
                if let last = rates.last, time <= last.time {
                    reason = "timestamp_ms \(time) is not after the previous row's \(last.time)"
                } else if !rate.isFinite || abs(rate) > 0.05 {
                    reason = "funding_rate \(rate) is outside -0.05...0.05 per interval"
                } else {
                    rates.append(FundingRate(time: time, rate: rate))
                    reason = nil
                }
            } else {
                reason = "timestamp_ms or funding_rate is not a number"
            }
            if let reason { rejects.append(RejectedRow(line: number, reason: reason, text: line.text)) }
            return true
        }
        return (rates, rejects)
    }
}

/// A parse failure's reason, readable in reject files.
struct ParseFailure: Error, ExpressibleByStringLiteral, ExpressibleByStringInterpolation, CustomStringConvertible {
    var description: String
    init(stringLiteral value: String) { description = value }
    init(stringInterpolation: DefaultStringInterpolation) { description = String(stringInterpolation: stringInterpolation) }
}

extension MarketDataFileKind {
    func checkHeader(_ line: UnsafeBufferPointer<UInt8>, path: String) throws {
        var text = line.text
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        guard text.lowercased() == header else {
            throw MarketDataFileError(path: path, line: 1, reason: "expected the header \"\(header)\", found \"\(text.prefix(120))\"")
        }
    }
}

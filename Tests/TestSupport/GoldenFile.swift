import Foundation

/// A CSV with a header whose empty cells mean "no value" (NaN), e.g. `../shared/golden/talib_golden.csv`.
public struct NumericTable: Sendable {
    public let columns: [String]
    public let rows: [[Double]]

    public init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        columns = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        rows = lines.map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).map { $0.isEmpty ? .nan : Double($0)! }
        }
    }

    public func column(_ name: String) -> [Double] {
        guard let index = columns.firstIndex(of: name) else { preconditionFailure("no column \(name) in \(columns)") }
        return rows.map { $0[index] }
    }

    /// `../shared/golden/` next to the checkout, or `$TRADER_GOLDEN`.
    public static var goldenDirectory: String {
        if let path = ProcessInfo.processInfo.environment["TRADER_GOLDEN"], !path.isEmpty { return path }
        return URL(fileURLWithPath: TestEnvironment.datasetsDirectory).deletingLastPathComponent()
            .appendingPathComponent("golden").path
    }
}

/// The first index where `actual` and `expected` disagree beyond `1e-9 + 1e-12·|expected|`, or where
/// one is NaN and the other is not; nil when they agree everywhere.
public func firstMismatch(_ actual: [Double], _ expected: [Double], absolute: Double = 1e-9, relative: Double = 1e-12) -> Int? {
    guard actual.count == expected.count else { return min(actual.count, expected.count) }
    return actual.indices.first { index in
        let a = actual[index], e = expected[index]
        if a.isNaN || e.isNaN { return a.isNaN != e.isNaN }
        return abs(a - e) > absolute + relative * abs(e)
    }
}

import ArgumentParser
import DataStages
import Foundation
import MarketModel

/// `pipeline indicators --input BARS.csv --output OUT.csv`.
struct IndicatorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "indicators",
        abstract: "Write a bars CSV with the standard indicator columns (TA-Lib conventions), for inspection.",
        discussion: """
            Columns added: \(IndicatorTable.columns.joined(separator: ", ")); empty before each lookback. \
            A file with malformed rows gets every error with its line number and no output file.
            """)

    @Option(help: "Bars CSV (timestamp_ms,open,high,low,close,volume).") var input: String
    @Option(help: "Where to write the result.") var output: String
    @Option(help: "Timeframe of the bars (\(Timeframe.allowedValues)).") var timeframe = "1m"

    func validate() throws {
        guard Timeframe(parsing: timeframe) != nil else {
            throw ValidationError("--timeframe \(timeframe): use one of \(Timeframe.allowedValues)")
        }
        guard FileManager.default.isReadableFile(atPath: input) else { throw ValidationError("\(input): no such readable file") }
    }

    func run() async throws {
        let result: Result<Int, IndicatorTable.RejectedRows>
        do {
            result = try IndicatorTable.write(input: input, timeframe: Timeframe(parsing: timeframe)!, output: output)
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        switch result {
        case let .success(rows):
            print("\(output): \(rows) rows with \(IndicatorTable.columns.count) indicator columns")
        case let .failure(rejected):
            for row in rejected.rows.prefix(50) { printError("\(input):\(row.line): \(row.reason)") }
            if rejected.rows.count > 50 { printError("… and \(rejected.rows.count - 50) more") }
            printError("\(rejected.rows.count) malformed rows; no output written")
            throw ExitCode.failure
        }
    }
}

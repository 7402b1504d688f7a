import ArgumentParser
import CSVArchive
import DataStages
import Foundation
import MarketModel
import Storage

/// `pipeline import-csv FILE --symbol BTCUSDT --timeframe 1m [--kind bars|funding]`.
struct ImportCSVCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-csv",
        abstract: "Load a market-data CSV (header timestamp_ms,open,high,low,close,volume) into the store.",
        discussion: """
            Every row is validated (parseable, strictly increasing time on the timeframe grid, \
            high >= max(open, close), low <= min(open, close), prices > 0, volume >= 0). Bad rows go to \
            FILE.rejects.csv with their line number and reason; good rows are loaded; rows already stored \
            are left alone, so re-running the same file loads nothing new. --kind funding loads \
            timestamp_ms,funding_rate files.
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable { case bars, funding }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The CSV file.") var file: String

    @Option(help: "Symbol the rows belong to, e.g. BTCUSDT (must be in trading/symbols.yaml).")
    var symbol: String

    @Option(help: "Timeframe of the bars: \(Timeframe.allowedValues) (not used with --kind funding).")
    var timeframe: String?

    @Option(help: "What the file holds: bars or funding.") var kind: Kind = .bars

    @Option(help: "Where to write rejected rows (default: FILE.rejects.csv).") var rejects: String?

    func validate() throws {
        guard Symbol(symbol) != nil else {
            throw ValidationError("--symbol \(symbol): a symbol is upper-case letters and digits, e.g. BTCUSDT")
        }
        switch kind {
        case .bars:
            guard let timeframe else { throw ValidationError("--timeframe is required for bars (\(Timeframe.allowedValues))") }
            guard Timeframe(parsing: timeframe) != nil else {
                throw ValidationError("--timeframe \(timeframe): use one of \(Timeframe.allowedValues)")
            }
        case .funding:
            if timeframe != nil { throw ValidationError("--timeframe does not apply to --kind funding") }
        }
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw ValidationError("\(file): no such readable file")
        }
    }

    func run() async throws {
        let context = try CommandContext.load(global, label: "pipeline.import-csv")
        let symbol = Symbol(symbol)!
        guard context.configuration.symbols.symbol(symbol) != nil else {
            let known = context.configuration.symbols.symbols.map(\.symbol.name).joined(separator: ", ")
            printError("--symbol \(symbol): not in trading/symbols.yaml (configured: \(known)); add it there first")
            throw ExitCode.validationFailure
        }
        let (store, _) = try context.openStore()
        let importer = CSVImport(store: store)
        let started = Date()
        let summary: CSVImportSummary
        let series: String
        do {
            switch kind {
            case .bars:
                let timeframe = Timeframe(parsing: timeframe!)!
                series = "\(symbol) \(timeframe)"
                summary = try importer.importBars(path: file, symbol: symbol, timeframe: timeframe, rejectsPath: rejects)
            case .funding:
                series = "\(symbol) funding"
                summary = try importer.importFunding(path: file, symbol: symbol, rejectsPath: rejects)
            }
        } catch {
            printError("import of \(file) failed: \(error)")
            throw ExitCode.failure
        }
        let seconds = Date().timeIntervalSince(started)
        let rate = seconds > 0 ? Int(Double(summary.rowsRead) / seconds) : 0
        print("\(series) from \(file): \(summary.rowsRead) rows read, \(summary.loaded) loaded, "
            + "\(summary.alreadyPresent) already present, \(summary.rejected) rejected "
            + "(\(String(format: "%.2f", seconds)) s, \(rate) rows/s)")
        if let path = summary.rejectsPath { print("rejected rows with line numbers and reasons: \(path)") }
        context.logger.info("csv imported", metadata: [
            "file": "\(file)", "series": "\(series)", "loaded": "\(summary.loaded)",
            "already_present": "\(summary.alreadyPresent)", "rejected": "\(summary.rejected)",
        ])
    }
}

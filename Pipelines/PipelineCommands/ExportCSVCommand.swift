import TraderConfiguration
import Foundation
import ArgumentParser
import DataStages
import MarketModel
import Storage

/// `pipeline export-csv [--symbols A,B] [--timeframes 1m,5m]`: the CSV backups from the store.
struct ExportCSVCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-csv",
        abstract: "Write the CSV backups data/{SYMBOL}/{SYMBOL}_{tf}.csv from the store (atomically).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SeriesSelection

    func run() async throws {
        let context = try CommandContext.load(global, label: "pipeline.export-csv")
        let symbols = try selection.symbols(in: context.configuration)
        let timeframes = try selection.timeframes(in: context.configuration)
        let (store, _) = try context.openStore()
        let export = CSVExport(store: store, dataDirectory: context.configuration.paths.data)
        var written = 0
        for symbol in symbols {
            for timeframe in timeframes {
                let rows = try export.export(symbol: symbol, timeframe: timeframe)
                guard rows > 0 else { continue }
                written += 1
                print("\(export.path(symbol: symbol, timeframe: timeframe)): \(rows) bars")
            }
        }
        if written == 0 { print("no stored bars for the selected symbols and timeframes; nothing written") }
        context.logger.info("csv backups written", metadata: ["files": "\(written)"])
    }
}

/// `--symbols` and `--timeframes`, checked against the configuration.
struct SeriesSelection: ParsableArguments {
    @Option(help: "Comma-separated symbols (default: every enabled symbol).") var symbols: String?
    @Option(help: "Comma-separated timeframes (default: every configured timeframe).") var timeframes: String?

    init() {}

    init(symbols: String?, timeframes: String?) {
        self.symbols = symbols
        self.timeframes = timeframes
    }

    func symbols(in configuration: PipelineConfiguration) throws -> [Symbol] {
        let configured = configuration.symbols.enabledSymbols.map(\.symbol)
        guard let symbols else { return configured }
        return try symbols.split(separator: ",").map { text in
            let name = text.trimmingCharacters(in: .whitespaces)
            guard let symbol = Symbol(name), configuration.symbols.symbol(symbol) != nil else {
                throw ValidationError("--symbols \(name): not in trading/symbols.yaml (configured: \(configured.map(\.name).joined(separator: ", ")))")
            }
            return symbol
        }
    }

    func timeframes(in configuration: PipelineConfiguration) throws -> [Timeframe] {
        guard let timeframes else { return configuration.symbols.timeframes }
        return try timeframes.split(separator: ",").map { text in
            let name = text.trimmingCharacters(in: .whitespaces)
            guard let timeframe = Timeframe(parsing: name) else {
                throw ValidationError("--timeframes \(name): use one of \(Timeframe.allowedValues)")
            }
            return timeframe
        }
    }
}

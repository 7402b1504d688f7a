import ArgumentParser
import Features
import Foundation
import MarketModel
import TensorStore

/// `pipeline align [--symbols …] [--csv] [--force]`.
struct AlignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "align",
        abstract: "Build the HDF5 feature tensors datasets/{SYMBOL}/features-{spechash}.h5 from the stored 1m bars.",
        discussion: """
            Higher timeframes are resampled from 1m bars and a higher-timeframe bar is used only once it has \
            closed. Gaps in 1m data are reported and masked (valid = 0), never filled. A tensor that is \
            already up to date (same spec, bars and funding) is left alone unless --force.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Comma-separated symbols (default: every enabled symbol).") var symbols: String?
    @Flag(help: "Also write data/{SYMBOL}/{SYMBOL}_aligned.csv.") var csv = false
    @Flag(help: "Rebuild even when the tensor is up to date.") var force = false

    func run() async throws {
        let context = try CommandContext.load(global, label: "pipeline.align")
        let selected = try SeriesSelection(symbols: symbols, timeframes: nil).symbols(in: context.configuration)
        let (store, _) = try context.openStore()
        let stage = AlignStage(store: store, spec: .standard, datasetsDirectory: context.configuration.paths.datasets,
                               dataDirectory: context.configuration.paths.data,
                               heldOutFraction: context.configuration.training.walkForward.heldOutFraction,
                               codeVersion: CodeVersion.current)
        print("feature spec \(FeatureSpec.standard.shortHash): \(FeatureSpec.standard.count) features")
        var failures = 0
        for symbol in selected {
            let started = Date()
            do {
                let summary = try stage.run(symbol: symbol, csv: csv, force: force)
                let seconds = String(format: "%.2f s", Date().timeIntervalSince(started))
                switch summary.outcome {
                case .upToDate: print("\(symbol): up to date, \(summary.path) (\(summary.rows) rows)")
                case .written:
                    print("\(symbol): \(summary.rows) rows, \(summary.validRows) valid, \(summary.gaps) -> \(summary.path) (\(seconds))")
                }
                if let path = summary.csvPath { print("\(symbol): aligned CSV \(path)") }
                context.logger.info("aligned", metadata: ["symbol": "\(symbol)", "rows": "\(summary.rows)", "path": "\(summary.path)"])
            } catch {
                failures += 1
                printError("\(error)")
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }
}

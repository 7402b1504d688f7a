import ArgumentParser
import BitGet
import DataStages
import Foundation
import MarketModel
import Storage
import Synchronization

/// `pipeline download [--symbols …] [--timeframes …] [--since DATE] [--until DATE]`.
struct DownloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download bars and funding rates from BitGet (or the simulator: BITGET_BASE_URL) into the store and the CSV backups.",
        discussion: """
            Symbols download in parallel within the exchange's rate limits. Every page is validated (bad rows \
            are reported and kept out) and stored idempotently, so a killed download continues from the last \
            stored bar when run again, without gaps or duplicates. Only closed bars are stored. The CSV \
            backups data/{SYMBOL}/{SYMBOL}_{tf}.csv get the new rows appended (atomically) at the end.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SeriesSelection
    @Option(help: "First bar wanted: YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC); default 30 days ago.") var since: String?
    @Option(help: "Last bar wanted (UTC, inclusive); default the last closed bar.") var until: String?
    @Flag(help: "Skip the funding-rate history.") var noFunding = false

    func validate() throws {
        for (option, text) in [("--since", since), ("--until", until)] {
            if let text, UTCDateParser.milliseconds(text) == nil {
                throw ValidationError("\(option) \(text): use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)")
            }
        }
    }

    func run() async throws {
        let context = try CommandContext.load(global, label: "pipeline.download")
        let configuration = context.configuration
        let symbols = try selection.symbols(in: configuration)
        let timeframes = try selection.timeframes(in: configuration)
        let (store, _) = try context.openStore()
        let client = BitGetRESTClient(baseURL: configuration.environment.bitgetBaseURL, logger: context.logger)
        let asyncStore = AsyncStore(store, label: "download")
        var configured = DownloadStage(client: client, store: asyncStore)
        let logger = context.logger
        configured.onRejectedRow = { symbol, timeframe, raw, reason in
            logger.warning("rejected exchange row", metadata: ["symbol": "\(symbol)", "timeframe": "\(timeframe)", "reason": "\(reason)", "raw": "\(raw)"])
        }
        let stage = configured
        do {
            try await stage.checkListed(symbols)
        } catch let error as BitGetError {
            printError("\(error)" + (error.action == .fixConfiguration ? " — nothing was downloaded; fix trading/symbols.yaml" : ""))
            throw ExitCode.failure
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let start = since.flatMap(UTCDateParser.milliseconds) ?? now - 30 * 86_400_000
        var end = until.flatMap(UTCDateParser.milliseconds)
        if let until, !until.contains("T"), let day = end { end = day + 86_400_000 - 60_000 }
        let display = ProgressDisplay(terminal: isatty(1) == 1)
        let started = Date()
        let endTime = end
        let noFunding = self.noFunding
        var results: [DownloadedSeries] = [], problems: [String] = []
        await withTaskGroup(of: ([DownloadedSeries], String?).self) { group in
            for symbol in symbols {
                group.addTask {
                    var done: [DownloadedSeries] = []
                    do {
                        for timeframe in timeframes {
                            done.append(try await stage.download(symbol: symbol, timeframe: timeframe, since: start, until: endTime) { progress in
                                display.update(progress)
                            })
                        }
                        if !noFunding {
                            let funding = try await stage.downloadFunding(symbol: symbol, since: start)
                            display.line("\(symbol): \(funding) new funding settlements")
                        }
                        return (done, nil)
                    } catch {
                        return (done, "\(symbol): \(error)")
                    }
                }
            }
            for await (series, problem) in group {
                results += series
                if let problem { problems.append(problem) }
            }
        }
        display.finish()
        let dataDirectory = configuration.paths.data
        var requests = 0
        for series in results.sorted(by: { ($0.symbol, $0.timeframe) < ($1.symbol, $1.timeframe) }) {
            requests += series.requests
            let appended = try await asyncStore.run { store in
                try CSVBackup(store: store, dataDirectory: dataDirectory).update(symbol: series.symbol, timeframe: series.timeframe)
            }
            var line = "\(series.symbol) \(series.timeframe): \(series.stored) new bars, \(series.alreadyPresent) already stored, "
                + "\(series.rejected) rejected, \(series.requests) requests; backup +\(appended) rows"
            if series.gaps > 0 { line += "; \(series.gaps) gaps (\(series.missingBars) bars missing at the exchange)" }
            print(line)
        }
        print(String(format: "downloaded in %.1f s (%d requests)", Date().timeIntervalSince(started), requests))
        for problem in problems { printError(problem) }
        if !problems.isEmpty { throw ExitCode.failure }
    }
}

/// `pipeline backup`: rewrites every CSV backup from the store.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Regenerate the CSV backups data/{SYMBOL}/{SYMBOL}_{tf}.csv from the store (atomically).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SeriesSelection

    func run() async throws {
        var export = ExportCSVCommand()
        export.global = global
        export.selection = selection
        try await export.run()
    }
}

/// Download progress: one redrawn line per series on a terminal, plain lines every 10% otherwise.
final class ProgressDisplay: Sendable {
    private let terminal: Bool
    private let state = Mutex<(lines: [String: String], printed: [String: Int])>(([:], [:]))

    init(terminal: Bool) { self.terminal = terminal }

    func update(_ progress: DownloadProgress) {
        let span = max(1, progress.target - progress.start)
        let percent = Int(Double(progress.reached - progress.start) / Double(span) * 100)
        let key = "\(progress.symbol) \(progress.timeframe)"
        let text = "\(key) \(percent)% (\(progress.stored) bars, to \(UTCTime.format(progress.reached)))"
        state.withLock { state in
            if terminal {
                state.lines[key] = text
                let bar = state.lines.keys.sorted().map { state.lines[$0]! }.joined(separator: " | ")
                FileHandle.standardOutput.write(Data(("\r" + bar.prefix(200) + "\u{1B}[K").utf8))
            } else if percent / 10 > state.printed[key, default: -1] {
                state.printed[key] = percent / 10
                print(text)
            }
        }
    }

    func line(_ text: String) {
        state.withLock { _ in
            if terminal { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
            print(text)
        }
    }

    func finish() { if terminal { print("") } }
}

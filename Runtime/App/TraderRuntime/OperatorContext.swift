import ChildProcesses
import ControlCommands
import Foundation
import Logging
import MarketModel
import Storage
import Synchronization
import Telegram
import TradingEngine

/// What the Telegram channel needs to answer and act: the store, the health board, the outbox, the
/// `pipeline` executable. Commands that change trading go through `control_requests`, the same queue
/// `trader halt` and `trader resume` use, so the decision loop alone touches the engines.
final class OperatorContext: Sendable {
    let client: TelegramClient
    let outbox: TelegramOutbox
    let store: AsyncStore
    let records: TelegramRecords
    let journal: TraderJournal
    let view: OperatorView
    let health: HealthBoard
    let mode: String
    let symbols: [Symbol]
    let pipeline: ChildProcess
    let logger: Logger
    /// The pipeline command running on the operator's behalf (one at a time), by its text.
    private let running = Mutex<String?>(nil)

    init(client: TelegramClient, store: AsyncStore, mode: String, symbols: [Symbol], parameters: [Symbol: EngineParameters],
         health: HealthBoard, pipeline: ChildProcess, logger: Logger) {
        self.client = client
        self.store = store
        records = TelegramRecords(store: store.store, mode: mode)
        journal = TraderJournal(store: store.store, mode: mode)
        view = OperatorView(journal: journal, parameters: parameters, health: health, mode: mode)
        outbox = TelegramOutbox(records: records, store: store, client: client, logger: logger)
        self.health = health
        self.mode = mode
        self.symbols = symbols
        self.pipeline = pipeline
        self.logger = logger
    }

    var symbolSet: Set<Symbol> { Set(symbols) }

    func reply(_ html: String, to chatID: Int64, critical: Bool = false) async {
        await outbox.send(html, to: chatID, critical: critical)
    }

    /// Open positions as the health board has them (the decision loop publishes after every bar).
    func openPositions() -> Int { health.report.symbols.values.filter { $0.position != "flat" }.count }

    /// Carries out a command (confirmed when it asks first; `choice`: `close` or `keep` for `/stop`).
    func carryOut(_ command: ControlCommand, choice: String?, chatID: Int64) async {
        let now = TradingDesk.now()
        let view = self.view
        func answer(_ body: @escaping @Sendable () throws -> String) async {
            do {
                await reply(try await store.run { _ in try body() }, to: chatID)
            } catch {
                await reply("The store cannot be read: \(TelegramText.escapeHTML("\(error)"))", to: chatID)
            }
        }
        switch command {
        case .start:
            await reply("<b>Trader</b> (\(mode)) at your command. Alerts come here.\n" + TelegramText.escapeHTML(ControlCatalogue.helpText), to: chatID)
        case .help: await reply(TelegramText.escapeHTML(ControlCatalogue.helpText), to: chatID)
        case .status: await answer { try view.status() }
        case .positions: await answer { try view.positions() }
        case .balance: await answer { try view.balance() }
        case let .profit(days): await answer { try view.profit(days: days, now: now) }
        case let .daily(days): await answer { try view.daily(days: days, now: now) }
        case let .logs(count): await answer { try view.logs(count: count) }
        case let .halt(symbol): await request("halt", symbol: symbol, chatID: chatID)
        case let .resume(symbol): await request("resume", symbol: symbol, chatID: chatID)
        case .stop: await request(choice == "close" ? "halt" : "pause", symbol: nil, chatID: chatID)
        case .startTrading: await request("start", symbol: nil, chatID: chatID)
        case .reconcile:
            await reply(mode == "paper"
                ? "The paper account is the trader's own book: there is no exchange account to reconcile it with."
                : "Live reconciliation runs with the BitGet venue, which this version does not trade yet.", to: chatID)
        case let .retrain(symbols):
            await runPipeline(["run", "--reason", "telegram"] + (symbols.isEmpty ? [] : ["--symbols", symbols.map(\.name).joined(separator: ",")]),
                              title: command.text, chatID: chatID)
        case .downloadHistorical:
            await runPipeline(["run", "--reason", "telegram", "--stages", "download,backup"], title: command.text, chatID: chatID)
        case .initDatabase: await runPipeline(["init-db"], title: command.text, chatID: chatID)
        case .agents: await runPipeline(["agents", "list"], title: command.text, chatID: chatID, background: false)
        case let .promote(symbol, version):
            await runPipeline(["agents", "promote", "\(symbol.name)/\(version)", "--reason", "promoted from Telegram"], title: command.text,
                              chatID: chatID, background: false)
        case let .rollback(symbol): await runPipeline(["agents", "rollback", symbol.name], title: command.text, chatID: chatID, background: false)
        case let .chart(symbol): await sendChart(symbol, chatID: chatID, now: now)
        }
    }

    /// Queues a request for the decision loop and reports its result when it is carried out.
    func request(_ command: String, symbol: Symbol?, chatID: Int64) async {
        let journal = self.journal
        let id: Int64
        do {
            id = try await store.run { _ in try journal.request(command, symbol: symbol, reason: "from Telegram", at: TradingDesk.now()) }
        } catch {
            await reply("\(command) was not queued: the store is unreachable (\(TelegramText.escapeHTML("\(error)")))", to: chatID, critical: true)
            return
        }
        for _ in 0..<300 {
            try? await Task.sleep(for: .milliseconds(100))
            guard let row = try? await store.run({ _ in try journal.requests(limit: 50).first { $0.id == id } }), row.status != "pending" else { continue }
            await reply("<b>\(TelegramText.escapeHTML(command))</b> \(TelegramText.escapeHTML(symbol?.name ?? "all")): "
                        + TelegramText.escapeHTML(row.result ?? row.status), to: chatID)
            return
        }
        await reply("\(TelegramText.escapeHTML(command)) is queued (request \(id)); the trader has not taken it within 30 s.", to: chatID)
    }

    /// Runs `pipeline ARGUMENTS…`, one at a time: says it started, then sends what it printed when it
    /// ends. Another pipeline run holding the run lock is an answer ("another run is active"), not an error.
    func runPipeline(_ arguments: [String], title: String, chatID: Int64, background: Bool = true) async {
        let busy = running.withLock { current -> String? in
            if let current { return current }
            current = title
            return nil
        }
        if let busy {
            await reply("\(TelegramText.escapeHTML(busy)) is still running; try again when it ends.", to: chatID)
            return
        }
        var prepared = pipeline
        prepared.arguments += arguments
        let command = prepared
        if background { await reply("\(TelegramText.escapeHTML(title)): started <code>pipeline \(TelegramText.escapeHTML(arguments.joined(separator: " ")))</code>", to: chatID) }
        let work: @Sendable () async -> Void = { [self] in
            defer { running.withLock { $0 = nil } }
            do {
                let result = try await command.run()
                // What it printed; its log lines (standard error) only when it failed, where they say why.
                let printed = (result.standardOutput + (result.succeeded || result.standardError.isEmpty ? "" : "\n" + result.standardError))
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                let tail = String(printed.suffix(12_000))
                let headline = result.status == 75 ? "\(title): not started, another pipeline run is active" : "\(title): " + (result.succeeded ? "done" : "failed (\(result.failure))")
                await reply("<b>\(TelegramText.escapeHTML(headline))</b>" + (tail.isEmpty ? "" : "\n<pre>\(TelegramText.escapeHTML(tail))</pre>"), to: chatID,
                            critical: !result.succeeded && result.status != 75)
            } catch {
                await reply("\(TelegramText.escapeHTML(title)): the pipeline could not be started (\(TelegramText.escapeHTML("\(error)")))", to: chatID, critical: true)
            }
        }
        if background { Task { await work() } } else { await work() }
    }
}

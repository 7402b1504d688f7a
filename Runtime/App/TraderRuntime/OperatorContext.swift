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
    /// The last chart to send: charts are drawn aside but sent in the order they were asked for.
    private let chartTail = Mutex<Task<Void, Never>?>(nil)

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

    /// What is left of a command once its ordering part is done: waiting for the decision loop's answer,
    /// a pipeline command, a chart. The poller runs it aside, so a long one never delays the next command.
    typealias FollowUp = @Sendable () async -> Void

    /// Carries out a command (confirmed when it asks first; `choice`: `close` or `keep` for `/stop`).
    /// What must keep the operator's order (a read's answer, a queued request, a pipeline's start) is done
    /// here; what takes long is returned to be run aside.
    func carryOut(_ command: ControlCommand, choice: String?, chatID: Int64) async -> FollowUp? {
        let now = TraderClock.now()
        let view = self.view
        func answer(_ body: @escaping @Sendable () throws -> String) async -> FollowUp? {
            do {
                await reply(try await store.run { _ in try body() }, to: chatID)
            } catch {
                await reply("The store cannot be read: \(TelegramText.escapeHTML("\(error)"))", to: chatID)
            }
            return nil
        }
        switch command {
        case .start:
            await reply("<b>Trader</b> (\(mode)) at your command. Alerts come here.\n" + TelegramText.escapeHTML(ControlCatalogue.helpText), to: chatID)
            return nil
        case .help:
            await reply(TelegramText.escapeHTML(ControlCatalogue.helpText), to: chatID)
            return nil
        case .status: return await answer { try view.status() }
        case .positions: return await answer { try view.positions() }
        case .balance: return await answer { try view.balance() }
        case let .profit(days): return await answer { try view.profit(days: days, now: now) }
        case let .daily(days): return await answer { try view.daily(days: days, now: now) }
        case let .logs(count): return await answer { try view.logs(count: count) }
        case let .halt(symbol): return await request("halt", symbol: symbol, chatID: chatID)
        case let .resume(symbol): return await request("resume", symbol: symbol, chatID: chatID)
        case .stop: return await request(choice == "close" ? "halt" : "pause", symbol: nil, chatID: chatID)
        case .startTrading: return await request("start", symbol: nil, chatID: chatID)
        case .reconcile:
            await reply(mode == "paper"
                ? "The paper account is the trader's own book: there is no exchange account to reconcile it with."
                : "The running trader reconciles every symbol with BitGet at start, every exchange.reconcile_seconds and on the account's pushes; "
                  + "a symbol that does not agree takes no entries and is named in /status and /logs. "
                  + "On the server, `trader reconcile --dry-run --live\(mode == "demo" ? " --demo-trading" : "")` prints the differences now.", to: chatID)
            return nil
        case let .retrain(symbols):
            return await runPipeline(["run", "--reason", "telegram"] + (symbols.isEmpty ? [] : ["--symbols", symbols.map(\.name).joined(separator: ",")]),
                                     title: command.text, chatID: chatID)
        case .downloadHistorical:
            return await runPipeline(["run", "--reason", "telegram", "--stages", "download,backup"], title: command.text, chatID: chatID)
        case .initDatabase: return await runPipeline(["init-db"], title: command.text, chatID: chatID)
        case .agents: return await runPipeline(["agents", "list"], title: command.text, chatID: chatID, background: false)
        case let .promote(symbol, version):
            return await runPipeline(["agents", "promote", "\(symbol.name)/\(version)", "--reason", "promoted from Telegram"], title: command.text,
                                     chatID: chatID, background: false)
        case let .rollback(symbol): return await runPipeline(["agents", "rollback", symbol.name], title: command.text, chatID: chatID, background: false)
        case let .chart(symbol): return inOrder { [self] in await sendChart(symbol, chatID: chatID, now: now) }
        }
    }

    /// `work` after the work given here before it (a chain), as a follow-up; cancelling it cancels `work`.
    func inOrder(_ work: @escaping FollowUp) -> FollowUp {
        let task = chartTail.withLock { tail -> Task<Void, Never> in
            let previous = tail
            let next = Task {
                await previous?.value
                await work()
            }
            tail = next
            return next
        }
        return { await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() } }
    }

    /// Queues a request for the decision loop (now, so requests keep the operator's order) and returns
    /// the wait for its result (at most 30 s; then the operator is told it is still queued).
    func request(_ command: String, symbol: Symbol?, chatID: Int64) async -> FollowUp? {
        let journal = self.journal
        let id: Int64
        do {
            id = try await store.run { _ in try journal.request(command, symbol: symbol, reason: "from Telegram", at: TraderClock.now()) }
        } catch {
            await reply("\(command) was not queued: the store is unreachable (\(TelegramText.escapeHTML("\(error)")))", to: chatID, critical: true)
            return nil
        }
        return { [self] in
            for _ in 0..<300 {
                do { try await Task.sleep(for: .milliseconds(100)) } catch { return }  // shutting down
                guard let row = try? await store.run({ _ in try journal.requests(limit: 50).first { $0.id == id } }), row.status != "pending" else { continue }
                await reply("<b>\(TelegramText.escapeHTML(command))</b> \(TelegramText.escapeHTML(symbol?.name ?? "all")): "
                            + TelegramText.escapeHTML(row.result ?? row.status), to: chatID)
                return
            }
            await reply("\(TelegramText.escapeHTML(command)) is queued (request \(id)); the trader has not taken it within 30 s.", to: chatID)
        }
    }

    /// Longest a quick pipeline command (`agents list`, `promote`, `rollback`) may take before it is stopped.
    static let quickPipelineLimit: Duration = .seconds(300)

    /// `pipeline ARGUMENTS…`, one at a time: says it started (`background`: a long run), and returns the
    /// run, which sends what it printed when it ends. Another pipeline run holding the run lock is an
    /// answer ("another run is active"), not an error. A trader shutting down stops the child.
    func runPipeline(_ arguments: [String], title: String, chatID: Int64, background: Bool = true) async -> FollowUp? {
        let busy = running.withLock { current -> String? in
            if let current { return current }
            current = title
            return nil
        }
        if let busy {
            await reply("\(TelegramText.escapeHTML(busy)) is still running; try again when it ends.", to: chatID)
            return nil
        }
        var prepared = pipeline
        prepared.arguments += arguments
        let command = prepared
        if background { await reply("\(TelegramText.escapeHTML(title)): started <code>pipeline \(TelegramText.escapeHTML(arguments.joined(separator: " ")))</code>", to: chatID) }
        let limit: Duration? = background ? nil : Self.quickPipelineLimit
        return { [self] in
            defer { running.withLock { $0 = nil } }
            do {
                let (finished, result) = try await command.withRunning { child in
                    await withTaskGroup(of: Bool.self) { group in
                        group.addTask {
                            for await _ in child.outputLines {}  // the output ends when the child does
                            while child.isRunning { do { try await Task.sleep(for: .milliseconds(20)) } catch { break } }
                            return true
                        }
                        if let limit {
                            group.addTask {
                                try? await Task.sleep(for: limit)
                                return false
                            }
                        }
                        let ended = await group.next() ?? false
                        group.cancelAll()
                        return ended && !Task.isCancelled  // a child still running when this returns is stopped
                    }
                }
                if !finished {
                    let why = Task.isCancelled ? "stopped: the trader is shutting down" : "stopped after \(limit.map { "\($0.components.seconds)" } ?? "?") s"
                    await reply("<b>\(TelegramText.escapeHTML(title)): \(why)</b>", to: chatID, critical: true)
                    return
                }
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
    }
}

import ControlCommands
import Foundation
import Logging
import MarketModel
import ServiceLifecycle
import Storage
import Telegram
import TradingEngine

/// How the trader talks to its operator on Telegram.
public struct TelegramSettings: Sendable {
    public var token: String
    /// The one user who may command (by sender id; alerts go to this user's private chat, whose id is the same).
    public var allowedUserID: Int64
    public var baseURL: String
    /// How long one `getUpdates` holds (s).
    public var pollSeconds: Int
    /// A command older than this when read (s) was sent while the trader was down: one that changes
    /// anything is not carried out (the operator is told); one that only reads is answered.
    public var staleCommandSeconds: Double
    /// How long a Yes/No question stays answerable (s).
    public var confirmationSeconds: Double
    /// The day's summary at 00:00 UTC.
    public var dailySummary: Bool

    public init(token: String, allowedUserID: Int64, baseURL: String, pollSeconds: Int = 25, staleCommandSeconds: Double = 120,
                confirmationSeconds: Double = 60, dailySummary: Bool = true) {
        self.dailySummary = dailySummary
        self.token = token
        self.allowedUserID = allowedUserID
        self.baseURL = baseURL
        self.pollSeconds = pollSeconds
        self.staleCommandSeconds = staleCommandSeconds
        self.confirmationSeconds = confirmationSeconds
    }
}

/// The Telegram channel as a service: long-polls commands (the offset stored as each update is read, so
/// a restart neither repeats nor drops one), answers the allowed user only, asks before dangerous
/// commands, sends the journal's alerts and the daily summary through the durable outbox.
struct TelegramControl: Service {
    let settings: TelegramSettings
    let context: OperatorContext
    let logger: Logger

    func run() async throws {
        let outbox = context.outbox
        context.health.service("telegram", "running")
        defer { context.health.service("telegram", "stopped") }
        logger.notice("Telegram control on", metadata: ["allowed_user": "\(settings.allowedUserID)"])
        do {
            try await context.client.setCommands(ControlCatalogue.entries.map { ($0.name, $0.summary) })
        } catch {
            logger.warning("setMyCommands failed; the command menu may be out of date", metadata: ["error": "\(error)"])
        }
        try await untilGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await outbox.run() }
                group.addTask { await TelegramAlerts(context: context, chatID: settings.allowedUserID, dailySummary: settings.dailySummary, logger: logger).run() }
                group.addTask { await pollCommands() }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// The bot's own id (the token's part before the colon): the stored offset belongs to one bot.
    var botID: String { String(settings.token.prefix { $0 != ":" }) }

    /// Reads updates until cancelled. Each update's offset is stored before it is acted on, so a command
    /// is carried out at most once: a crash in the middle loses its answer, never repeats it. What takes
    /// long (a request's result, a pipeline command, a chart) runs aside; shutting down cancels it.
    func pollCommands() async {
        let records = context.records
        let offsetKey = "update_offset.\(botID)"
        var offset = (try? await context.store.run { _ in try records.value(offsetKey) }).flatMap { Int64($0) }
        var handler = CommandHandler(context: context, settings: settings, logger: logger)
        var failures = 0
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let updates: [TelegramUpdate]
                do {
                    updates = try await context.client.updates(offset: offset, timeoutSeconds: settings.pollSeconds)
                    if failures > 0 { context.health.service("telegram", "running") }
                    failures = 0
                } catch {
                    failures += 1
                    await pause(after: error, failures: failures)
                    continue
                }
                for update in updates {
                    offset = update.updateID + 1
                    let next = "\(update.updateID + 1)"
                    do {
                        try await context.store.run { _ in try records.setValue(next, for: offsetKey) }
                    } catch {
                        logger.warning("the update offset was not stored; a restart may read this update again (late, a command that changes anything is not carried out then)",
                                       metadata: ["error": "\(error)"])
                    }
                    if let followUp = await handler.handle(update) { group.addTask { await followUp() } }
                }
            }
        }
    }

    /// Waits after a failed `getUpdates`: what Telegram asked, or a backoff; a second poller or a bad
    /// token is said plainly.
    func pause(after error: any Error, failures: Int) async {
        let wait: Double
        switch error as? TelegramError {
        case let .conflict(text)?:
            logger.error("another bot instance polls with this token: stop it (two traders must never share a bot)", metadata: ["telegram": "\(text)"])
            wait = 10
        case .unauthorized?:
            logger.error("\(error)")
            wait = 30
        case let .retryAfter(seconds)?: wait = seconds
        default:
            logger.warning("getUpdates failed; polling again", metadata: ["error": "\(error)"])
            wait = min(30, Double(1 << min(failures, 5)))
        }
        context.health.service("telegram", "failing: \(error)")
        try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
    }
}

/// Reads one update at a time: who sent it, what it asks, whether to ask first.
struct CommandHandler {
    let context: OperatorContext
    let settings: TelegramSettings
    let logger: Logger
    var gate: OperatorGate
    var confirmations: ConfirmationBook
    var generator = SystemRandomNumberGenerator()

    init(context: OperatorContext, settings: TelegramSettings, logger: Logger) {
        self.context = context
        self.settings = settings
        self.logger = logger
        gate = OperatorGate(allowedUserID: settings.allowedUserID)
        confirmations = ConfirmationBook(lifetimeMilliseconds: Int64(settings.confirmationSeconds * 1000))
    }

    /// Handles one update; returns what is left to run aside (see `OperatorContext.carryOut`).
    mutating func handle(_ update: TelegramUpdate) async -> OperatorContext.FollowUp? {
        let now = TraderClock.now()
        switch update.content {
        case let .message(chatID, fromID, _, text, sentAt, isPrivate):
            guard let fromID, gate.admits(userID: fromID) else {
                if let count = gate.strangerAttempt(userID: fromID ?? 0, at: now) {
                    logger.warning("a message from a user who may not command was ignored", metadata: ["user": "\(fromID ?? 0)", "attempts": "\(count)"])
                }
                return nil
            }
            guard isPrivate else {
                // In a group every member would read the account's answers.
                logger.notice("a command in a group chat was not taken", metadata: ["chat": "\(chatID)"])
                await context.reply("I take commands in our private chat only (a group's members would read the answers).", to: chatID)
                return nil
            }
            guard let text else {
                await context.reply("Send a command; /help lists them.", to: chatID)
                return nil
            }
            guard let parsed = ControlCommand.parse(text, symbols: context.symbolSet) else {
                await context.reply("Send a command; /help lists them.", to: chatID)
                return nil
            }
            switch parsed {
            case let .failure(error):
                await context.reply(TelegramText.escapeHTML(error.description), to: chatID)
                return nil
            case let .success(command):
                let age = Double(now) / 1000 - Double(sentAt)
                // A late /halt or /stop still reduces risk: it is asked (or done) as if fresh; anything else that changes something is not done.
                if age > settings.staleCommandSeconds, command.changesSomething, !command.reducesRisk {
                    await context.reply("Not carried out: \(TelegramText.escapeHTML(command.text)) was sent at \(UTCTime.format(sentAt * 1000)) UTC, "
                                        + "while the trader was not running. Send it again if you still want it.", to: chatID)
                    return nil
                }
                let situation = ControlCommand.Situation(live: context.mode == "live", openPositions: context.openPositions())
                if command.asksFirst(in: situation) {
                    await ask(command, situation: situation, of: fromID, in: chatID, at: now)
                    return nil
                }
                return await context.carryOut(command, choice: nil, chatID: chatID)
            }
        case let .callback(id, fromID, chatID, messageID, data):
            guard gate.admits(userID: fromID) else {
                if let count = gate.strangerAttempt(userID: fromID, at: now) {
                    logger.warning("a button pressed by a user who may not command was ignored", metadata: ["user": "\(fromID)", "attempts": "\(count)"])
                }
                return nil
            }
            let outcome = confirmations.answer(data ?? "", from: fromID, in: chatID, on: messageID, at: now)
            let client = context.client
            guard let chatID, outcome != .unknown else {
                try? await client.answerCallback(id: id, notice: "This button is no longer valid.")
                return nil
            }
            let summary: String
            var work: OperatorContext.FollowUp?
            switch outcome {
            case .unknown: return nil
            case let .expired(command): summary = "\(command.text): the question expired; nothing was done."
            case let .declined(command): summary = "\(command.text): cancelled; nothing was done."
            case let .confirmed(command):
                summary = "\(command.text): confirmed."
                work = await context.carryOut(command, choice: nil, chatID: chatID)
            case let .chose(command, choice):
                summary = "\(command.text): \(choice == "close" ? "closing the open positions" : "keeping the open positions with their stops")."
                work = await context.carryOut(command, choice: choice, chatID: chatID)
            }
            // The request is queued first; the button's answer and the edited question follow aside.
            return { [work] in
                try? await client.answerCallback(id: id, notice: nil)
                if let messageID { try? await client.editMessage(chatID: chatID, messageID: messageID, html: TelegramText.escapeHTML(summary)) }
                await work?()
            }
        case .other:
            return nil
        }
    }

    /// Sends the question with its buttons (directly: a question is only worth its 60 seconds).
    mutating func ask(_ command: ControlCommand, situation: ControlCommand.Situation, of userID: Int64, in chatID: Int64, at time: Int64) async {
        let stopping = command == .stop && situation.openPositions > 0
        let question = confirmations.ask(command, choices: stopping ? ["close", "keep", "n"] : ["y", "n"], of: userID, in: chatID,
                                         nonce: Confirmation.nonce(using: &generator), at: time)
        let text = stopping
            ? "\(situation.openPositions) open position(s). Stop trading and close them, or keep them with their exchange stops?"
            : "\(command.text): \(command.consequence(live: situation.live)) Sure?"
        let buttons = stopping
            ? [[("Close them", question.data("close")), ("Keep them", question.data("keep"))], [("Cancel", question.data("n"))]]
            : [[("Yes", question.data("y")), ("No", question.data("n"))]]
        do {
            let messageID = try await context.client.sendMessage(chatID: chatID, html: TelegramText.escapeHTML(text) + "\n<i>(answer within \(Int(settings.confirmationSeconds)) s)</i>",
                                                                  buttons: buttons)
            confirmations.attach(question.nonce, messageID: messageID)
        } catch {
            logger.warning("a confirmation could not be sent", metadata: ["command": "\(command.text)", "error": "\(error)"])
            await context.reply("\(TelegramText.escapeHTML(command.text)): the question could not be sent (\(TelegramText.escapeHTML("\(error)"))); try again.", to: chatID)
        }
    }
}

extension ControlCommand {
    /// Whether the command changes the account, the agents or the database (a stale one is not carried out).
    var changesSomething: Bool {
        switch self {
        case .start, .help, .status, .positions, .balance, .profit, .daily, .logs, .agents, .chart, .reconcile: false
        default: true
        }
    }

    /// Halting or stopping entries: never refused for being late.
    var reducesRisk: Bool {
        switch self {
        case .halt, .stop: true
        default: false
        }
    }

    /// What saying yes does, for the question.
    func consequence(live: Bool) -> String {
        switch self {
        case .startTrading: live ? "entries resume on the LIVE account (real money)." : "entries resume."
        case .halt(nil): "every symbol halts: no entries, open positions closed at the next open, until /resume."
        case let .halt(symbol?): "\(symbol.name) halts: no entries, its position closed at the next open, until /resume."
        case .retrain: "the training pipeline runs now (it takes a while; a promotion is picked up by the trader)."
        case .initDatabase: "the database schema is created or migrated."
        case let .promote(symbol, version): "\(symbol.name) trades agent \(version) from its next bar."
        case let .rollback(symbol): "\(symbol.name) goes back to the agent the current one replaced."
        case .stop: "entries stop."
        default: "it runs now."
        }
    }
}

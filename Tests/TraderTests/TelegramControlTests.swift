import ChildProcesses
import FakeTelegram
import Foundation
import ScriptedAgents
import Storage
import TestSupport
import Testing

/// The trader controlled from Telegram end to end: `trader run` (paper, on the simulator) with the fake
/// Bot API server over loopback. Only the allowed user is answered; dangerous commands ask first and a
/// replayed button does nothing; alerts arrive; `/download_historical` runs a real pipeline and reports
/// its stage table; bad input gets an answer or a log line, never a crash.
@Suite(.serialized, .removesTemporaryFiles) struct TelegramControlTests {
    static let operatorID: Int64 = 4_242
    static let stranger: Int64 = 666

    /// The messages sent to `chat` (sendMessage only), in order.
    static func messages(_ server: FakeTelegramServer, to chat: Int64 = operatorID) -> [SentMessage] {
        server.sent.filter { $0.chatID == chat && $0.method == "sendMessage" }
    }

    @Test func theOperatorCommandsTheTraderAndStrangersAreIgnored() async throws {
        let fixture = try await TraderFixture(agentVersion: "20261201T000000000Z-s1")
        // Limits loose enough that only the operator changes the risk state here.
        for (old, new) in [("reducing_drawdown: 0.04", "reducing_drawdown: 0.4"), ("halt_drawdown: 0.05", "halt_drawdown: 0.5"),
                           ("daily_loss_cap: 0.03", "daily_loss_cap: 0.5"), ("consecutive_losses: 3", "consecutive_losses: 0")] {
            try fixture.workspace.configurationFile("trading/risk.yaml", replacing: old, with: new)
        }
        try await FakeTelegramServer.serving { telegram, port in
            try await fixture.withSimulator(speed: 600) { simulator in
                let command = fixture.workspace.trader(["run"], environment: [
                    "BITGET_BASE_URL": simulator.baseURL, "BITGET_WS_URL": simulator.webSocketURL,
                    "TELEGRAM_TOKEN": telegram.token, "ALLOWED_USER_ID": "\(Self.operatorID)", "TELEGRAM_BASE_URL": "http://127.0.0.1:\(port)",
                ])
                _ = try await command.withRunning { trader in
                    #expect(await trader.firstLine { $0.contains("Telegram control for user \(Self.operatorID)") } != nil)
                    #expect(await trader.wait(timeout: .seconds(120)) { (fixture.lastTraded() ?? 0) > fixture.start + 600_000 })
                    #expect(await trader.wait(timeout: .seconds(10)) { telegram.commands.contains("status") && telegram.commands.contains("halt") },
                            "the command menu is registered at start")

                    // In a group, even the operator's command is not taken (the members would read the account).
                    telegram.sendText("/status", from: Self.operatorID, chatID: -100_777)
                    #expect(await trader.wait(timeout: .seconds(20)) { Self.messages(telegram, to: -100_777).contains { $0.text.contains("private chat only") } })
                    #expect(!Self.messages(telegram, to: -100_777).contains { $0.text.contains("equity") })

                    // A stranger gets nothing; the operator's /status gets the account.
                    telegram.sendText("/status", from: Self.stranger)
                    telegram.sendText("/status", from: Self.operatorID)
                    #expect(await trader.wait(timeout: .seconds(20)) { Self.messages(telegram).contains { $0.text.contains("equity") } })
                    let status = try #require(Self.messages(telegram).first { $0.text.contains("equity") })
                    for expected in ["paper trading", "BTCUSDT", "drawdown", "ACTIVE", "agent 20261201T000000000Z-s1"] {
                        #expect(status.text.contains(expected), "\(expected) in \(status.text)")
                    }
                    #expect(status.parseMode == "HTML")

                    // Bad input: an unknown command is answered; a malformed update and a plain text do not stop the bot.
                    telegram.sendText("/frobnicate now", from: Self.operatorID)
                    telegram.sendRawUpdate { id in #"{"update_id":\#(id),"message":{"text":"no chat"}}"# }
                    telegram.sendText(String(repeating: "ä", count: 10_000), from: Self.operatorID)
                    telegram.sendText("/balance", from: Self.operatorID)
                    #expect(await trader.wait(timeout: .seconds(20)) { Self.messages(telegram).contains { $0.text.contains("total wallet") } })
                    #expect(Self.messages(telegram).contains { $0.text.contains("unknown command /frobnicate; /help lists the commands") })
                    #expect(Self.messages(telegram).contains { $0.text.contains("Send a command") })

                    // Charts arrive as valid PNG images: the account's equity, and a symbol's price with its trades.
                    telegram.sendText("/chart", from: Self.operatorID)
                    telegram.sendText("/chart btcusdt", from: Self.operatorID)
                    #expect(await trader.wait(timeout: .seconds(30)) { telegram.photos.count == 2 })
                    for photo in telegram.photos {
                        #expect(photo.chatID == Self.operatorID && photo.bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) && photo.bytes.count > 5_000)
                    }
                    #expect(telegram.photos.first?.caption?.contains("equity and drawdown") == true)
                    #expect(telegram.photos.last?.caption?.contains("BTCUSDT") == true, "\(telegram.photos.map(\.caption))")

                    // A command sent while the trader was down is not carried out, unless it reduces risk (then it is asked as if fresh).
                    telegram.sendText("/resume", from: Self.operatorID, sentSecondsAgo: 900)
                    #expect(await trader.wait(timeout: .seconds(20)) { Self.messages(telegram).contains { $0.text.contains("Not carried out: /resume") } })

                    // /halt asks first; Yes halts (the result and the risk alert arrive); the same button again does nothing.
                    telegram.sendText("/halt BTCUSDT", from: Self.operatorID)
                    #expect(await trader.wait(timeout: .seconds(20)) { Self.messages(telegram).contains { !$0.buttons.isEmpty } })
                    let question = try #require(Self.messages(telegram).last { !$0.buttons.isEmpty })
                    let yes = try #require(question.buttons.first { $0[0] == "Yes" }?[1])
                    telegram.pressButton(yes, from: Self.stranger, messageID: question.messageID)
                    // Updates are handled in order: once /help (sent after the press) is answered, the press was read.
                    let helps = Self.messages(telegram).filter { $0.text.contains("/chart [SYMBOL]") }.count
                    telegram.sendText("/help", from: Self.operatorID)
                    #expect(await trader.wait(timeout: .seconds(20)) { Self.messages(telegram).filter { $0.text.contains("/chart [SYMBOL]") }.count > helps })
                    #expect(telegram.callbackAnswers.isEmpty && !telegram.sent.contains { $0.method == "editMessageText" },
                            "a stranger's press of the operator's button does nothing, not even an answer")
                    telegram.pressButton(yes, from: Self.operatorID, messageID: question.messageID)
                    #expect(await trader.wait(timeout: .seconds(30)) {
                        Self.messages(telegram).contains { $0.text.contains("<b>halt</b> BTCUSDT: BTCUSDT: ACTIVE → HALTED") }
                    })
                    #expect(await trader.wait(timeout: .seconds(30)) {
                        Self.messages(telegram).contains { $0.text.contains("operator: halt: ACTIVE → HALTED (halted by the operator: from Telegram)") }
                    }, "the operator's change is alerted")
                    #expect(telegram.sent.contains { $0.method == "editMessageText" && $0.text.contains("/halt BTCUSDT: confirmed.") })
                    let answered = telegram.callbackAnswers.count
                    telegram.pressButton(yes, from: Self.operatorID, messageID: question.messageID)
                    telegram.sendText("/resume BTCUSDT", from: Self.operatorID)
                    #expect(await trader.wait(timeout: .seconds(30)) {
                        Self.messages(telegram).contains { $0.text.contains("<b>resume</b> BTCUSDT: BTCUSDT: HALTED → ACTIVE") }
                    })
                    #expect(telegram.callbackAnswers.count == answered + 1, "the replayed press is answered (to stop the spinner) and nothing else")
                    #expect(Self.messages(telegram).filter { $0.text.contains("→ HALTED") && $0.text.contains("<b>halt</b>") }.count == 1,
                            "the replayed button halts nothing")

                    // /download_historical runs a real pipeline and sends its stage table.
                    telegram.sendText("/download_historical", from: Self.operatorID)
                    #expect(await trader.wait(timeout: .seconds(180)) {
                        Self.messages(telegram).contains { $0.text.contains("/download_historical: done") || $0.text.contains("/download_historical: failed") }
                    })
                    let report = try #require(Self.messages(telegram).last { $0.text.contains("/download_historical:") })
                    #expect(report.text.contains("/download_historical: done") && report.text.contains("<pre>") && report.text.contains("download"),
                            "\(report.text)")

                    #expect(Self.messages(telegram, to: Self.stranger).isEmpty, "a stranger is never answered")
                }
            }
        }
        // Nothing was refused, and nothing waited long (what was queued in the last seconds before the stop may still wait).
        let counts = try fixture.store.rows("SELECT status, COUNT(*) FROM telegram_outbox GROUP BY status", [], context: "test")
        #expect(!counts.contains { $0[0] == "refused" }, "\(counts)")
        let stopped = Int64(Date().timeIntervalSince1970 * 1000)
        let stale = try fixture.store.rows("SELECT COUNT(*) FROM telegram_outbox WHERE status = 'waiting' AND created_at < $1",
                                           [.integer(stopped - 15_000)], context: "test")
        #expect(stale.first?.first == "0", "no message waited 15 s in the outbox: \(stale)")
    }

    /// Asks `command`, waits for its question and presses the button labelled `label`; returns the question.
    static func confirm(_ command: String, press label: String, telegram: FakeTelegramServer, trader: RunningChild) async throws -> SentMessage {
        let before = messages(telegram).filter { !$0.buttons.isEmpty }.count
        telegram.sendText(command, from: operatorID)
        #expect(await trader.wait(timeout: .seconds(20)) { messages(telegram).filter { !$0.buttons.isEmpty }.count > before }, "\(command) asks first")
        let question = try #require(messages(telegram).last { !$0.buttons.isEmpty })
        let data = try #require(question.buttons.first { $0[0] == label }?[1], "\(question.buttons)")
        telegram.pressButton(data, from: operatorID, messageID: question.messageID)
        return question
    }

    /// Sends /stop and, when it asks about open positions, keeps them; waits for the pause's result.
    static func stopKeepingPositions(_ telegram: FakeTelegramServer, _ trader: RunningChild) async throws {
        let before = messages(telegram).count
        telegram.sendText("/stop", from: operatorID)
        let answer = { messages(telegram).dropFirst(before).last { $0.buttons.contains { $0[0] == "Keep them" } || $0.text.contains("<b>pause</b> all") } }
        #expect(await trader.wait(timeout: .seconds(30)) { answer() != nil })
        if let question = answer(), let keep = question.buttons.first(where: { $0[0] == "Keep them" }) {
            telegram.pressButton(keep[1], from: operatorID, messageID: question.messageID)
        }
        #expect(await answered("<b>pause</b> all: BTCUSDT: entries stopped", telegram, trader))
    }

    /// Waits for a message to the operator containing `text`.
    static func answered(_ text: String, _ telegram: FakeTelegramServer, _ trader: RunningChild, timeout: Duration = .seconds(30)) async -> Bool {
        await trader.wait(timeout: timeout) { messages(telegram).contains { $0.text.contains(text) } }
    }

    @Test func everyCommandAnswersAndRetrainRunsThePipeline() async throws {
        let fixture = try await TraderFixture(agentVersion: "20261201T000000000Z-s1")
        try fixture.workspace.configurationFile("trading/runtime.yaml", replacing: "confirmation_seconds: 60", with: "confirmation_seconds: 3")
        // A small training budget, so /retrain runs the whole pipeline in a test's time.
        try fixture.workspace.configurationFile("ml/training.yaml", replacing: "timesteps: 200000", with: "timesteps: 1024")
        try fixture.workspace.configurationFile("ml/training.yaml", replacing: "steps_per_environment: 2048", with: "steps_per_environment: 256")
        try fixture.workspace.configurationFile("ml/training.yaml", replacing: "environments: 8 ", with: "environments: 1 ")
        let agents = fixture.workspace.path("agents")
        try ScriptedAgent.write(symbol: "BTCUSDT", version: "20261201T000000000Z-s2", agentsDirectory: agents, promote: false)
        try await FakeTelegramServer.serving { telegram, port in
            try await fixture.withSimulator(speed: 300) { simulator in
                let command = fixture.workspace.trader(["run"], environment: [
                    "BITGET_BASE_URL": simulator.baseURL, "BITGET_WS_URL": simulator.webSocketURL,
                    "TELEGRAM_TOKEN": telegram.token, "ALLOWED_USER_ID": "\(Self.operatorID)", "TELEGRAM_BASE_URL": "http://127.0.0.1:\(port)",
                ])
                _ = try await command.withRunning { trader in
                    #expect(await trader.wait(timeout: .seconds(120)) { (fixture.lastTraded() ?? 0) > fixture.start + 300_000 })
                    // The read-only commands.
                    for (text, expected) in [("/start", "at your command"), ("/help", "/chart [SYMBOL] — "), ("/positions", "No open positions.|x, stop "),
                                             ("/profit 30", "30 days"), ("/daily 3", "PnL per day"), ("/logs 5", "recent events"),
                                             ("/reconcile", "no exchange account to reconcile")] {
                        let before = Self.messages(telegram).count
                        telegram.sendText(text, from: Self.operatorID)
                        #expect(await trader.wait(timeout: .seconds(20)) {
                            Self.messages(telegram).dropFirst(before).contains { message in expected.split(separator: "|").contains { message.text.contains($0) } }
                        }, "\(text) answers with \(expected)")
                    }
                    telegram.sendText("/agents", from: Self.operatorID)
                    #expect(await Self.answered("/agents: done", telegram, trader))
                    #expect(Self.messages(telegram).last { $0.text.contains("/agents: done") }?.text.contains("BTCUSDT") == true)

                    // A question answered after it expired does nothing.
                    let expired = try await Self.confirm("/halt BTCUSDT", press: "No", telegram: telegram, trader: trader)
                    #expect(await trader.wait(timeout: .seconds(20)) { telegram.sent.contains { $0.method == "editMessageText" && $0.text.contains("cancelled") } })
                    telegram.sendText("/halt BTCUSDT", from: Self.operatorID)
                    #expect(await trader.wait(timeout: .seconds(20)) { Self.messages(telegram).filter { !$0.buttons.isEmpty }.count == 2 })
                    let late = try #require(Self.messages(telegram).last { !$0.buttons.isEmpty })
                    #expect(late.messageID != expired.messageID)
                    try await Task.sleep(for: .seconds(4))
                    telegram.pressButton(late.buttons[0][1], from: Self.operatorID, messageID: late.messageID)
                    #expect(await trader.wait(timeout: .seconds(20)) { telegram.sent.contains { $0.method == "editMessageText" && $0.text.contains("expired") } })

                    // /stop keeps the positions (or has none to ask about), /start_trading lifts it.
                    try await Self.stopKeepingPositions(telegram, trader)
                    telegram.sendText("/start_trading", from: Self.operatorID)
                    #expect(await Self.answered("<b>start</b> all: BTCUSDT: entries allowed again", telegram, trader))

                    // /promote and /rollback through the pipeline's registry; the trader picks each up.
                    _ = try await Self.confirm("/promote BTCUSDT 20261201T000000000Z-s2", press: "Yes", telegram: telegram, trader: trader)
                    #expect(await Self.answered("BTCUSDT: current is now 20261201T000000000Z-s2 (was 20261201T000000000Z-s1)", telegram, trader))
                    #expect(await Self.answered("agent: trading agent 20261201T000000000Z-s2", telegram, trader), "the reload is alerted")
                    _ = try await Self.confirm("/rollback BTCUSDT", press: "Yes", telegram: telegram, trader: trader)
                    #expect(await Self.answered("BTCUSDT: current is now 20261201T000000000Z-s1 (rolled back from 20261201T000000000Z-s2)", telegram, trader))

                    // /init_db: the schema is current.
                    _ = try await Self.confirm("/init_db", press: "Yes", telegram: telegram, trader: trader)
                    #expect(await Self.answered("schema already at version", telegram, trader))

                    // /retrain runs the pipeline (download → … → publish) and sends its stage table; a second one meanwhile is told to wait.
                    _ = try await Self.confirm("/retrain BTCUSDT", press: "Yes", telegram: telegram, trader: trader)
                    #expect(await Self.answered("/retrain BTCUSDT: started", telegram, trader))
                    _ = try await Self.confirm("/retrain", press: "Yes", telegram: telegram, trader: trader)
                    #expect(await Self.answered("/retrain BTCUSDT is still running", telegram, trader))
                    // /halt is carried out while the pipeline runs.
                    _ = try await Self.confirm("/halt BTCUSDT", press: "Yes", telegram: telegram, trader: trader)
                    #expect(await trader.wait(timeout: .seconds(30)) {
                        Self.messages(telegram).contains { $0.text.contains("<b>halt</b> BTCUSDT: BTCUSDT: ") && $0.text.contains("→ HALTED") }
                    })
                    #expect(!Self.messages(telegram).contains { $0.text.contains("/retrain BTCUSDT: done") }, "the halt did not wait for the pipeline")
                    telegram.sendText("/resume BTCUSDT", from: Self.operatorID)
                    #expect(await Self.answered("<b>resume</b> BTCUSDT: BTCUSDT: HALTED → ACTIVE", telegram, trader))
                    #expect(await Self.answered("/retrain BTCUSDT: done", telegram, trader, timeout: .seconds(600)))
                    let table = try #require(Self.messages(telegram).last { $0.text.contains("/retrain BTCUSDT: done") }?.text)
                    for stage in ["download", "align", "train", "evaluate", "rank", "publish"] { #expect(table.contains(stage), "\(stage) in \(table)") }
                    if ProcessInfo.processInfo.environment["TELEGRAM_TEST_TRANSCRIPT"] != nil {
                        print(telegram.sent.map { "[\($0.method)] \($0.text) \($0.buttons)" }.joined(separator: "\n---\n"))
                    }
                }
            }
        }
    }

    /// `/stop` (keeping positions) holds across a restart: no entry is sent while paused, by either run,
    /// until `trader unpause` (the command line's `/start_trading`, queued while no trader runs).
    @Test func aStopFromTelegramHoldsAcrossARestart() async throws {
        let fixture = try await TraderFixture(agentVersion: "20261201T000000000Z-s1")
        let telegramEnvironment = { (telegram: FakeTelegramServer, port: Int) in
            ["TELEGRAM_TOKEN": telegram.token, "ALLOWED_USER_ID": "\(Self.operatorID)", "TELEGRAM_BASE_URL": "http://127.0.0.1:\(port)"]
        }
        func entries(after time: Int64) -> Int {
            let rows = try? fixture.store.rows("SELECT count(*) FROM orders WHERE mode = 'paper' AND reduce_only = 0 AND created_at > $1",
                                               [.integer(time)], context: "test")
            return Int(rows?.first?.first.flatMap { $0 } ?? "") ?? -1
        }
        try await FakeTelegramServer.serving { telegram, port in
            try await fixture.withSimulator(speed: 600) { simulator in
                var environment = ["BITGET_BASE_URL": simulator.baseURL, "BITGET_WS_URL": simulator.webSocketURL]
                environment.merge(telegramEnvironment(telegram, port)) { $1 }
                var pausedAt: Int64 = 0
                // A pipeline that lists the agents only once the test lets it (at most 120 s): a command after /agents must not wait for it.
                let slowPipeline = fixture.workspace.path("slow-pipeline"), release = fixture.workspace.path("release-pipeline")
                try "#!/bin/sh\ni=0\nwhile [ ! -f '\(release)' ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i+1)); done\necho 'BTCUSDT current 20261201T000000000Z-s1 (slowly)'\n"
                    .write(toFile: slowPipeline, atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: slowPipeline)
                _ = try await fixture.workspace.trader(["run", "--pipeline", slowPipeline], environment: environment).withRunning { trader in
                    #expect(await trader.wait(timeout: .seconds(180)) { entries(after: 0) >= 2 }, "the agent trades before the stop")
                    telegram.sendText("/agents", from: Self.operatorID)
                    try await Self.stopKeepingPositions(telegram, trader)
                    #expect(!Self.messages(telegram).contains { $0.text.contains("/agents: done") }, "/stop did not wait behind the slow /agents")
                    FileManager.default.createFile(atPath: release, contents: nil)
                    #expect(await Self.answered("/agents: done", telegram, trader), "the slow command still ends and is reported")
                    #expect(Self.messages(telegram).last { $0.text.contains("/agents: done") }?.text.contains("(slowly)") == true)
                    pausedAt = fixture.lastTraded() ?? 0
                    #expect(await trader.wait(timeout: .seconds(60)) { (fixture.lastTraded() ?? 0) > pausedAt + 30 * 60_000 })
                }
                // The trader is stopped and started again (without Telegram): the pause is the symbol's stored state.
                let restarted = fixture.workspace.trader(["run"], environment: ["BITGET_BASE_URL": simulator.baseURL, "BITGET_WS_URL": simulator.webSocketURL])
                let resumedAt: Int64 = try await restarted.withRunning { trader in
                    let before = fixture.lastTraded() ?? 0
                    #expect(await trader.wait(timeout: .seconds(60)) { (fixture.lastTraded() ?? 0) > before + 30 * 60_000 })
                    return fixture.lastTraded() ?? 0
                }.value
                // One bar of slack: an entry decided at the bar before the answer was cancelled, not filled.
                #expect(entries(after: pausedAt + 60_000) == 0, "no entry while paused, before or after the restart")
                #expect(resumedAt > pausedAt + 60 * 60_000, "an hour of bars was traded while paused")
                // `trader unpause` (the command line's /start_trading) queued while no trader runs: the next start carries it out.
                let unpause = try await fixture.workspace.trader(["unpause", "--all"]).run()
                #expect(unpause.succeeded && unpause.standardOutput.contains("queued request"), "\(unpause.standardOutput)\(unpause.standardError)")
                _ = try await restarted.withRunning { trader in
                    #expect(await trader.wait(timeout: .seconds(180)) { entries(after: resumedAt) > 0 }, "entries resume after unpause")
                }
                let events = try fixture.store.rows("SELECT message FROM trader_events WHERE kind = 'operator' ORDER BY id", [], context: "test").map { $0[0] ?? "" }
                #expect(events == ["entries stopped by the operator", "entries allowed again by the operator"], "\(events)")
            }
        }
    }
}

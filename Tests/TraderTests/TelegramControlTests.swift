import FakeTelegram
import Foundation
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

    static func withFakeTelegram<Value: Sendable>(_ body: (FakeTelegramServer, Int) async throws -> Value) async throws -> Value {
        let server = FakeTelegramServer()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await server.run { continuation.yield($0) }
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else { throw CancellationError() }
            let value = try await body(server, port)
            group.cancelAll()
            return value
        }
    }

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
        try await Self.withFakeTelegram { telegram, port in
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

                    // A command sent while the trader was down is not carried out.
                    telegram.sendText("/halt", from: Self.operatorID, sentSecondsAgo: 900)
                    #expect(await trader.wait(timeout: .seconds(20)) { Self.messages(telegram).contains { $0.text.contains("Not carried out: /halt") } })

                    // /halt asks first; Yes halts (the result and the risk alert arrive); the same button again does nothing.
                    telegram.sendText("/halt BTCUSDT", from: Self.operatorID)
                    #expect(await trader.wait(timeout: .seconds(20)) { Self.messages(telegram).contains { !$0.buttons.isEmpty } })
                    let question = try #require(Self.messages(telegram).last { !$0.buttons.isEmpty })
                    let yes = try #require(question.buttons.first { $0[0] == "Yes" }?[1])
                    telegram.pressButton(yes, from: Self.stranger, messageID: question.messageID)
                    telegram.pressButton(yes, from: Self.operatorID, messageID: question.messageID)
                    #expect(await trader.wait(timeout: .seconds(30)) {
                        Self.messages(telegram).contains { $0.text.contains("<b>halt</b> BTCUSDT: BTCUSDT: ACTIVE → HALTED") }
                    })
                    #expect(await trader.wait(timeout: .seconds(30)) {
                        Self.messages(telegram).contains { $0.text.contains("risk ACTIVE → HALTED") }
                    }, "the risk transition is alerted")
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
        // Every message went out once: nothing waits in the outbox, nothing was refused.
        let counts = try fixture.store.rows("SELECT status, COUNT(*) FROM telegram_outbox GROUP BY status", [], context: "test")
        #expect(!counts.contains { $0[0] == "refused" }, "\(counts)")
    }
}

import ArgumentParser
import FakeTelegram
import Foundation
import Logging

/// `telegram-fake`: the fake Bot API server as a process, for the demo (and anyone trying the bot
/// without Telegram): it sends the operator's commands on a schedule and prints what the bot answers.
@main
struct FakeTelegramCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "telegram-fake",
        abstract: "A Telegram Bot API server on loopback that plays the operator and prints the bot's messages.",
        discussion: """
            Point the trader at it with TELEGRAM_BASE_URL=http://127.0.0.1:PORT, TELEGRAM_TOKEN=<--token> and \
            ALLOWED_USER_ID=<--user>. Each --send is a message from that user, sent --every seconds apart once \
            the bot has polled; photos the bot sends are written to --photos.
            """)

    @Option(help: "Port on 127.0.0.1 (0: any free port; the chosen one is printed).") var port = 0
    @Option(help: "The bot token it accepts.") var token = "123456:DEMO-token"
    @Option(help: "The operator's user id.") var user: Int64 = 4242
    @Option(help: "A command to send (repeatable), in order.") var send: [String] = []
    @Option(help: "Seconds between the commands (the first one waits this long after the bot's first poll).") var every = 3.0
    @Option(help: "Directory for the photos the bot sends.") var photos: String?

    func run() async throws {
        var logger = Logger(label: "telegram-fake")
        logger.logLevel = .warning
        let server = FakeTelegramServer(token: token, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.run(port: port) { bound in
                    print("telegram-fake: listening on http://127.0.0.1:\(bound)")
                    fflush(nil)
                }
            }
            group.addTask { try await play(server) }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Sends the commands, then prints every message and photo the bot sends until stopped.
    func play(_ server: FakeTelegramServer) async throws {
        while (server.calls["getupdates"] ?? 0) == 0 { try await Task.sleep(for: .milliseconds(100)) }
        var pending = send
        var printedMessages = 0, printedPhotos = 0
        var nextSend = ContinuousClock.now + .milliseconds(Int64(every * 1000))
        while true {
            if !pending.isEmpty, ContinuousClock.now >= nextSend {
                let text = pending.removeFirst()
                print("operator → bot: \(text)")
                server.sendText(text, from: user)
                nextSend = ContinuousClock.now + .milliseconds(Int64(every * 1000))
            }
            let sent = server.sent
            for message in sent[printedMessages...] {
                let buttons = message.buttons.isEmpty ? "" : "  [" + message.buttons.map { $0[0] }.joined(separator: "] [") + "]"
                print("bot → operator (\(message.method)):\n" + message.text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + buttons)
            }
            printedMessages = sent.count
            let received = server.photos
            for (index, photo) in received.enumerated().dropFirst(printedPhotos) {
                var saved = ""
                if let photos {
                    try FileManager.default.createDirectory(atPath: photos, withIntermediateDirectories: true)
                    let path = "\(photos)/\(index + 1)-\(photo.filename)"
                    try Data(photo.bytes).write(to: URL(fileURLWithPath: path))
                    saved = ", saved as \(path)"
                }
                print("bot → operator (sendPhoto): \(photo.filename), \(photo.bytes.count) bytes PNG\(saved); caption: \(photo.caption ?? "")")
            }
            printedPhotos = received.count
            fflush(nil)
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

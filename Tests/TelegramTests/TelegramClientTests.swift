import ControlCommands
import FakeTelegram
import Foundation
import Telegram
import Testing

/// The Bot API client against the fake Bot API server over loopback, and the one chunker.
@Suite(.serialized) struct TelegramClientTests {
    static func withServer<Value: Sendable>(_ body: (FakeTelegramServer, TelegramClient) async throws -> Value) async throws -> Value {
        try await FakeTelegramServer.serving { server, port in
            try await body(server, TelegramClient(baseURL: "http://127.0.0.1:\(port)", token: server.token, requestTimeout: 5))
        }
    }

    @Test func commandsAndButtonPressesArriveOnceAndInOrder() async throws {
        try await Self.withServer { server, client in
            server.sendText("/status", from: 42)
            server.pressButton("c:ab12:y", from: 42, messageID: 7)
            let first = try await client.updates(offset: nil, timeoutSeconds: 0)
            #expect(first.count == 2)
            guard case let .message(chat, from, _, text, sentAt, isPrivate)? = first.first?.content else { Issue.record("\(first)"); return }
            #expect(chat == 42 && from == 42 && text == "/status" && isPrivate && abs(sentAt - Int64(Date().timeIntervalSince1970)) < 10)
            guard case let .callback(_, from, chat, message, data)? = first.last?.content else { Issue.record("\(first)"); return }
            #expect(from == 42 && chat == 42 && message == 7 && data == "c:ab12:y")
            let next = try await client.updates(offset: first.last!.updateID + 1, timeoutSeconds: 0)
            #expect(next.isEmpty && server.pendingUpdates == 0, "an offset above an id confirms it: nothing is read twice")
            // A malformed update is skipped, confirmed with the others, and the poll goes on.
            server.sendRawUpdate { id in #"{"update_id":\#(id),"message":{"text":"no chat"}}"# }
            server.sendText("/help", from: 42, chatID: -100_5, sentSecondsAgo: 3_600)
            let mixed = try await client.updates(offset: first.last!.updateID + 1, timeoutSeconds: 0)
            #expect(mixed.map(\.content).first == .other && mixed.count == 2)
            guard case let .message(groupChat, _, _, _, sentAt, isPrivate)? = mixed.last?.content else { Issue.record("\(mixed)"); return }
            #expect(groupChat == -100_5 && !isPrivate && Int64(Date().timeIntervalSince1970) - sentAt >= 3_599,
                    "a group message, sent an hour ago: the caller can tell both")
        }
    }

    @Test func aLongPollWaitsForTheNextUpdate() async throws {
        try await Self.withServer { server, client in
            let started = ContinuousClock.now
            async let polled = client.updates(offset: nil, timeoutSeconds: 5)
            try await Task.sleep(nanoseconds: 300_000_000)
            server.sendText("/positions", from: 42)
            let updates = try await polled
            #expect(updates.count == 1 && ContinuousClock.now - started < .milliseconds(2_500), "answered as the update came, not at the deadline")
        }
    }

    @Test func aSecondPollerIsAConflictAndErrorsAreTypedByWhatToDo() async throws {
        try await Self.withServer { server, client in
            let first = Task { () async -> TelegramError? in
                do {
                    _ = try await client.updates(offset: nil, timeoutSeconds: 3)
                    return nil
                } catch {
                    return error as? TelegramError
                }
            }
            try await Task.sleep(nanoseconds: 300_000_000)
            _ = try await client.updates(offset: nil, timeoutSeconds: 0)
            guard case let .conflict(text)? = await first.value else { Issue.record("the first poll ends with 409"); return }
            #expect(text.contains("only one bot instance"))

            server.inject([.init(status: 429, retryAfter: 3)], method: "sendMessage")
            await #expect(throws: TelegramError.retryAfter(seconds: 3)) { try await client.sendMessage(chatID: 42, html: "hello") }
            #expect(!(TelegramError.badRequest("x").isRetryable) && TelegramError.retryAfter(seconds: 1).isRetryable)
            do {
                try await client.sendMessage(chatID: 42, html: "a <b unescaped")
                Issue.record("bare < is refused in HTML mode")
            } catch {
                guard case .badRequest? = error as? TelegramError else { Issue.record("\(error)"); return }
            }
            let stranger = TelegramClient(baseURL: client.baseURL, token: "999:wrong", requestTimeout: 5)
            do {
                _ = try await stranger.updates(offset: nil, timeoutSeconds: 0)
                Issue.record("a wrong token is refused")
            } catch {
                guard case .unauthorized? = error as? TelegramError else { Issue.record("\(error)"); return }
            }
            let unreachable = TelegramClient(baseURL: "http://127.0.0.1:1", token: "777:secret-token", requestTimeout: 2)
            do {
                try await unreachable.sendMessage(chatID: 42, html: "hello")
                Issue.record("nothing listens there")
            } catch {
                guard case .unavailable? = error as? TelegramError else { Issue.record("\(error)"); return }
                #expect(!"\(error)".contains("secret-token"), "the token never appears in an error: \(error)")
            }
        }
    }

    @Test func messagesButtonsEditsAndTheCommandMenuAreSent() async throws {
        try await Self.withServer { server, client in
            let id = try await client.sendMessage(chatID: 42, html: TelegramText.escapeHTML("PnL < 0 & falling"),
                                                  buttons: [[("Yes", "c:1:y"), ("No", "c:1:n")]])
            try await client.editMessage(chatID: 42, messageID: id, html: "confirmed")
            try await client.answerCallback(id: "cb1", notice: "done")
            try await client.setCommands(ControlCatalogue.entries.map { ($0.name, $0.summary) })
            let sent = server.sent
            #expect(sent.first?.text == "PnL &lt; 0 &amp; falling" && sent.first?.buttons == [["Yes", "c:1:y"], ["No", "c:1:n"]])
            #expect(sent.last?.method == "editMessageText" && sent.last?.messageID == id && sent.last?.text == "confirmed")
            #expect(server.callbackAnswers == ["cb1"])
            #expect(server.commands == ControlCatalogue.entries.map(\.name))
        }
    }

    @Test func aChartIsUploadedAsAPhotoWithItsCaption() async throws {
        // A PNG signature and header-like bytes, with every byte value (CR, LF and dashes included) in the body.
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<4_096).map { UInt8($0 % 256) }
        try await Self.withServer { server, client in
            let id = try await client.sendPhoto(chatID: 42, png: png, htmlCaption: TelegramText.escapeHTML("BTCUSDT 7d: +1.2% & 3 trades"))
            let photo = try #require(server.photos.first)
            #expect(photo.messageID == id && photo.chatID == 42 && photo.filename == "chart.png")
            #expect(photo.bytes == png, "the bytes arrive unchanged")
            #expect(photo.caption == "BTCUSDT 7d: +1.2% &amp; 3 trades")
            // 10 MB through a debug build of both ends on a loaded machine: a deadline that waits for the answer.
            let patient = TelegramClient(baseURL: client.baseURL, token: server.token, requestTimeout: 120)
            await #expect(throws: TelegramError.badRequest("sendPhoto: Bad Request: photo is larger than 10 MB")) {
                try await patient.sendPhoto(chatID: 42, png: [UInt8](repeating: 1, count: (10 << 20) + 1))
            }
        }
    }

    @Test func aLongReplyIsCutOnLineBoundariesAndEachPieceIsAccepted() async throws {
        let lines = (1...160).map { "line \($0): " + String(repeating: "x", count: 12) + " &amp; more" }
        let text = lines.joined(separator: "\n")
        #expect(text.utf16.count > 5_000)
        let pieces = TelegramText.chunks(text)
        #expect(pieces.count == 2 && pieces.allSatisfy { $0.utf16.count <= 4096 } && pieces.joined() == text)
        #expect(pieces[0].hasSuffix("\n"), "cut after a newline")
        let unbroken = String(repeating: "ab&amp;", count: 1_000)
        let hard = TelegramText.chunks(unbroken, limit: 100)
        #expect(hard.joined() == unbroken && hard.allSatisfy { $0.utf16.count <= 100 && $0.range(of: "&[#a-z0-9]*$", options: .regularExpression) == nil })
        #expect(TelegramText.chunks("").isEmpty)
        // One character wider than a message (a letter with 5000 combining accents): cut between its scalars, never stuck.
        let wide = "e" + String(repeating: "\u{0301}", count: 5_000)
        let widePieces = TelegramText.chunks(wide)
        #expect(widePieces.count == 2 && widePieces.allSatisfy { $0.utf16.count <= 4096 } && widePieces.joined() == wide)
        // A leading newline never makes a blank piece.
        #expect(TelegramText.chunks("\n" + String(repeating: "y", count: 5_000)).allSatisfy { !$0.allSatisfy(\.isWhitespace) })
        // A span cut across pieces is closed and opened again: each piece is valid HTML on its own.
        let table = "<b>Stages</b>\n<pre>" + (1...400).map { "stage \($0) done in 1.0 s" }.joined(separator: "\n") + "</pre>"
        let tablePieces = TelegramText.chunks(table)
        #expect(tablePieces.count >= 2 && tablePieces.dropFirst().allSatisfy { $0.hasPrefix("<pre>") } && tablePieces.dropLast().allSatisfy { $0.hasSuffix("</pre>") })
        try await Self.withServer { server, client in
            for piece in pieces { try await client.sendMessage(chatID: 42, html: piece) }
            #expect(server.sent.map(\.text) == pieces, "two messages, in order")
            for piece in tablePieces { try await client.sendMessage(chatID: 42, html: piece) }  // the fake refuses unbalanced tags
            await #expect(throws: TelegramError.badRequest("sendMessage: Bad Request: can't parse entities: unsupported start tag or unescaped character")) {
                try await client.sendMessage(chatID: 42, html: "<pre>never closed")
            }
            await #expect(throws: TelegramError.badRequest("sendMessage: Bad Request: message is too long")) {
                try await client.sendMessage(chatID: 42, html: text)
            }
        }
    }
}

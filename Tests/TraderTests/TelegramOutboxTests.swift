import FakeTelegram
import Foundation
import Logging
import Storage
import Telegram
import TestSupport
import Testing
@testable import TraderRuntime

/// The durable outbox against the fake Bot API server and a real store of each backend: flood control,
/// backoff, refusals, long replies and a restart with messages still unsent.
@Suite(.serialized, .removesTemporaryFiles) struct TelegramOutboxTests {
    static let chat: Int64 = 4_242

    /// A migrated store, the fake server and an outbox on them, for the closure's duration.
    static func withOutbox<Value: Sendable>(_ backend: StoreBackend,
                                            _ body: (FakeTelegramServer, @Sendable () -> TelegramOutbox, TelegramRecords) async throws -> Value) async throws -> Value {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        return try await FakeTelegramServer.serving { server, port in
            let store = AsyncStore(fixture.store, label: "outbox-test")
            let records = TelegramRecords(store: fixture.store, mode: "paper")
            let client = TelegramClient(baseURL: "http://127.0.0.1:\(port)", token: server.token, requestTimeout: 5)
            let make: @Sendable () -> TelegramOutbox = { TelegramOutbox(records: records, store: store, client: client, logger: Logger(label: "test")) }
            return try await body(server, make, records)
        }
    }

    static func sentTexts(_ server: FakeTelegramServer) -> [String] { server.sent.filter { $0.method == "sendMessage" }.map(\.text) }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func floodControlIsWaitedOutAndEachMessageArrivesOnceInOrder(backend: StoreBackend) async throws {
        try await Self.withOutbox(backend) { server, make, records in
            server.inject([.init(status: 429, retryAfter: 1)], method: "sendMessage")
            let outbox = make()
            await outbox.send("first", to: Self.chat)
            await outbox.send("second &amp; last", to: Self.chat)
            let sender = Task { await outbox.run() }
            defer { sender.cancel() }
            #expect(try await eventually(timeout: .seconds(20)) { Self.sentTexts(server).count >= 1 && (try? records.waiting())?.isEmpty == true })
            // The two were merged into one send after the 429 (a burst is one message), in their order.
            #expect(Self.sentTexts(server) == ["first\nsecond &amp; last"])
            #expect(server.calls["sendmessage"] == 2, "one refused by flood control, one delivered")
            let counts = try records.outboxCounts()
            #expect(counts == ["sent": 2])
        }
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func aLongReplyArrivesInTwoMessagesWithinTheLimit(backend: StoreBackend) async throws {
        try await Self.withOutbox(backend) { server, make, _ in
            let lines = (0..<100).map { "line \($0): " + String(repeating: "x", count: 45) }
            let text = lines.joined(separator: "\n")
            #expect(text.utf16.count > 5_000)
            let outbox = make()
            await outbox.send(text, to: Self.chat)
            let sender = Task { await outbox.run() }
            defer { sender.cancel() }
            #expect(try await eventually(timeout: .seconds(20)) { Self.sentTexts(server).count == 2 })
            let sent = Self.sentTexts(server)
            #expect(sent.allSatisfy { $0.utf16.count <= 4_096 })
            #expect(sent.map { $0.trimmingCharacters(in: .newlines) }.joined(separator: "\n") == text, "cut on a line boundary, nothing lost or repeated")
        }
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func aRefusedMessageIsDroppedAndTheNextOneStillGoes(backend: StoreBackend) async throws {
        try await Self.withOutbox(backend) { server, make, records in
            server.inject([.init(status: 400)], method: "sendMessage")
            let outbox = make()
            await outbox.send("<b>refused", to: Self.chat, critical: true)
            let sender = Task { await outbox.run() }
            defer { sender.cancel() }
            #expect(try await eventually(timeout: .seconds(10)) { (try? records.outboxCounts())?["refused"] == 1 })
            await outbox.send("fine", to: Self.chat)
            #expect(try await eventually(timeout: .seconds(10)) { Self.sentTexts(server) == ["fine"] })
            #expect(server.calls["sendmessage"] == 2, "a 400 is never retried")
        }
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func messagesLeftUnsentByAStoppedTraderAreSentByTheNextOne(backend: StoreBackend) async throws {
        try await Self.withOutbox(backend) { server, make, records in
            server.inject([.init(status: 502), .init(status: 503)], method: "sendMessage")
            let first = make()
            await first.send("kept across the restart", to: Self.chat)
            await first.send("critical, first", to: Self.chat, critical: true)
            let sender = Task { await first.run() }
            #expect(try await eventually(timeout: .seconds(10)) { (try? records.waiting())?.contains { $0.attempts >= 1 } == true })
            sender.cancel()
            await sender.value
            #expect(Self.sentTexts(server).isEmpty)

            let second = make()
            let restored = try await second.restore()
            #expect(restored == 2)
            let resumed = Task { await second.run() }
            defer { resumed.cancel() }
            #expect(try await eventually(timeout: .seconds(30)) { Self.sentTexts(server).count == 2 && (try? records.waiting())?.isEmpty == true })
            #expect(Self.sentTexts(server) == ["critical, first", "kept across the restart"], "critical first, each once")
            let left = try records.waiting()
            #expect(left.isEmpty)
        }
    }

    /// A database of version 5 (one outbox and unprefixed state keys for every account) migrated to 6:
    /// its rows become the paper account's, a key kept in both forms keeps the newer, prefixed one.
    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func anUpgradedDatabaseKeepsItsOutboxAndStateAsThePaperAccounts(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations.filter { $0.version <= 5 })
        _ = try fixture.store.rows("""
            INSERT INTO telegram_outbox (chat_id, text, priority, status, attempts, not_before, created_at) VALUES (7, 'left unsent', 1, 'waiting', 0, 0, 1)
            """, [], context: "test")
        for (key, value) in [("alerts.trader_events", "41"), ("daily_summary_day", "20000"), ("paper.daily_summary_day", "20001")] {
            _ = try fixture.store.rows("INSERT INTO telegram_state (key, value) VALUES ($1, $2)", [.text(key), .text(value)], context: "test")
        }
        let report = try fixture.store.migrate(fixture.migrations)
        #expect(report.applied.map(\.version).contains(6), "\(report)")
        let paper = TelegramRecords(store: fixture.store, mode: "paper"), live = TelegramRecords(store: fixture.store, mode: "live")
        #expect(try paper.waiting().map(\.text) == ["left unsent"] && live.waiting().isEmpty)
        #expect(try paper.value("alerts.trader_events") == "41" && paper.value("daily_summary_day") == "20001")
        #expect(try live.value("alerts.trader_events") == nil)
        let keys = try fixture.store.rows("SELECT key FROM telegram_state ORDER BY key", [], context: "test").map { $0[0] ?? "" }
        #expect(keys == ["paper.alerts.trader_events", "paper.daily_summary_day"])
    }
}

import Foundation
import MarketModel
import Storage
import TestSupport
import Testing

/// The trader's journal on both backends: one trader per account, order rows per account mode, and an
/// operator request completed in the transaction that carries it out.
@Suite(.removesTemporaryFiles) struct TraderJournalTests {
    /// Two connections to one database (as two trader processes would have).
    static func twoStores(_ backend: StoreBackend) throws -> (first: any Store, second: any Store, migrations: [Migration], cleanup: () -> Void) {
        let migrations = try MigrationCatalog.load(directory: TestEnvironment.migrationsDirectory, backend: backend)
        switch backend {
        case .sqlite:
            let directory = TestEnvironment.temporaryDirectory("journal")
            let path = directory + "/trader.sqlite"
            return (try SQLiteStore(path: path), try SQLiteStore(path: path), migrations, { try? FileManager.default.removeItem(atPath: directory) })
        case .postgresql:
            let database = try PostgresTestDatabase.create()
            return (try PostgresStore(url: database.url, displayLocation: database.name), try PostgresStore(url: database.url, displayLocation: database.name),
                    migrations, { database.drop() })
        }
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func oneTraderPerAccountAndStore(backend: StoreBackend) throws {
        let (first, second, migrations, cleanup) = try Self.twoStores(backend)
        defer { cleanup() }
        _ = try first.migrate(migrations)
        var paper: TraderAccountLock? = try TraderAccountLock(store: first, mode: "paper")
        #expect(throws: TraderAccountLock.Busy.self, "a second trader of the paper account is refused") {
            try TraderAccountLock(store: second, mode: "paper")
        }
        let live = try TraderAccountLock(store: second, mode: "live")
        _ = live
        paper = nil
        _ = paper
        #expect(throws: Never.self, "released with its holder") { _ = try TraderAccountLock(store: second, mode: "paper") }
    }

    /// What a migration holds while it runs: every account's lock, refused (naming the account) while a
    /// trader runs one on another connection, and given back when done.
    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func aMigrationHoldsEveryAccountOrWaitsForTheTraders(backend: StoreBackend) throws {
        let (first, second, migrations, cleanup) = try Self.twoStores(backend)
        defer { cleanup() }
        _ = try first.migrate(migrations)
        var demo: TraderAccountLock? = try TraderAccountLock(store: first, mode: "demo")
        do {
            _ = try TraderAccountLock.every(store: second)
            Issue.record("a running demo trader must be seen")
        } catch let busy as TraderAccountLock.Busy {
            #expect(busy.mode == "demo")
        }
        #expect(throws: Never.self, "the paper lock taken on the way was given back") { _ = try TraderAccountLock(store: first, mode: "paper") }
        demo = nil
        _ = demo
        var all: [TraderAccountLock]? = try TraderAccountLock.every(store: second)
        #expect(all?.count == 3)
        #expect(throws: TraderAccountLock.Busy.self, "no trader starts during the migration") { try TraderAccountLock(store: first, mode: "live") }
        all = nil
        _ = all
        #expect(throws: Never.self) { _ = try TraderAccountLock(store: first, mode: "live") }
    }

    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func ordersAreKeptPerModeAndARequestIsDoneWithItsEntry(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        let paper = TraderJournal(store: fixture.store, mode: "paper"), live = TraderJournal(store: fixture.store, mode: "live")
        let order = OrderRow(clientOrderID: "BTCUSDT-E-1750000000000-1a2b3c4d", symbol: "BTCUSDT", side: "buy", size: "0.01", reduceOnly: false,
                             status: "accepted", agentVersion: "v1", createdAt: 1, updatedAt: 1)
        let request = try paper.request("halt", symbol: "BTCUSDT", reason: "by hand", at: 5)
        for journal in [paper, live] {
            var entry = BarJournalEntry(symbol: "BTCUSDT", lastBarOpenTime: 1_750_000_000_000, agentVersion: "v1", state: #"{"n":1}"#)
            entry.orders = [order]
            if journal.mode == "paper" { entry.completedRequest = CompletedRequest(id: request, result: "BTCUSDT: ACTIVE → HALTED") }
            try journal.record(entry, at: 10)
        }
        #expect(try paper.workingOrders().map(\.clientOrderID) == [order.clientOrderID])
        #expect(try live.workingOrders().map(\.clientOrderID) == [order.clientOrderID], "the same decision in both accounts: two rows")
        #expect(try paper.pendingRequests().isEmpty, "done in the entry's transaction")
        #expect(try paper.requests(limit: 1).first?.status == "done")
        var filled = order
        filled.status = "filled"
        var next = BarJournalEntry(symbol: "BTCUSDT", lastBarOpenTime: 1_750_000_060_000, agentVersion: "v1", state: #"{"n":2}"#)
        next.orders = [filled]
        try paper.record(next, at: 11)
        #expect(try paper.workingOrders().isEmpty && live.workingOrders().count == 1, "a fill in one account leaves the other's row")
    }

    /// A retry after an error the commit outlived asks whether the entry is stored already: by value, so
    /// PostgreSQL's `jsonb` (its own key order and spacing) still says yes, and another state says no.
    @Test(arguments: [StoreBackend.sqlite, .postgresql])
    func aStoredEntryIsRecognisedWhateverTheJSONSpelling(backend: StoreBackend) throws {
        let fixture = try StoreFixture.make(backend)
        defer { fixture.tearDown() }
        _ = try fixture.store.migrate(fixture.migrations)
        let journal = TraderJournal(store: fixture.store, mode: "paper")
        let state = #"{"zeta":{"b":[1,2.5,-0.000125],"a":null},"alpha":"x","equity":5910.987350384892}"#
        let entry = BarJournalEntry(symbol: "BTCUSDT", lastBarOpenTime: 1_750_000_000_000, agentVersion: "v1", state: state)
        #expect(try journal.holds(entry) == false, "nothing stored yet")
        try journal.record(entry, at: 10)
        #expect(try journal.holds(entry))
        var other = entry
        other.state = #"{"zeta":{"b":[1,2.5,-0.000125],"a":null},"alpha":"x","equity":5910.98735038}"#
        #expect(try journal.holds(other) == false, "another equity is another state")
        var later = entry
        later.lastBarOpenTime += 60_000
        #expect(try journal.holds(later) == false, "the same state at another bar was not written")
    }
}

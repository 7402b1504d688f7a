import Foundation

/// One trader per account mode and store: two traders writing the same account would overwrite each
/// other's state and record every trade twice. Held for the life of the process and released by the
/// system when it ends, even by `kill -9`: a file lock beside a SQLite database, a session advisory lock
/// on PostgreSQL (held by the store's connection).
public final class TraderAccountLock: @unchecked Sendable {
    private let descriptor: Int32?
    /// PostgreSQL: the store whose session holds the lock, and its key.
    private let session: (store: any Store, key: Int64)?

    public struct Busy: Error, CustomStringConvertible {
        public var mode: String
        public var location: String
        public var description: String {
            "another trader is running the \(mode) account of \(location); stop it first (one trader per account and store)"
        }
    }

    /// Takes the lock of `mode` on `store` at once, or throws `Busy`.
    public init(store: any Store, mode: String) throws {
        if let sqlite = store as? SQLiteStore {
            let path = sqlite.path + ".trader-\(mode).lock"
            let handle = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard handle >= 0 else { throw StoreError.connectionFailed(location: store.location, reason: "cannot open the account lock \(path)") }
            guard flock(handle, LOCK_EX | LOCK_NB) == 0 else {
                close(handle)
                throw Busy(mode: mode, location: store.location)
            }
            descriptor = handle
            session = nil
        } else {
            let key = Self.key(mode)
            let granted = try store.rows("SELECT pg_try_advisory_lock($1)", [.integer(key)], context: "locking the \(mode) account")
            guard granted.first?.first == "t" else { throw Busy(mode: mode, location: store.location) }
            descriptor = nil
            session = (store, key)
        }
    }

    /// Every account's lock on `store`, taken at once: a migration holds them while it runs, so no trader
    /// runs meanwhile (a trader keeps writing by the schema it started with). Throws `Busy` for the first
    /// account a trader runs; the locks taken until then are released.
    public static func every(store: any Store) throws -> [TraderAccountLock] {
        try modes.map { try TraderAccountLock(store: store, mode: $0) }
    }

    /// Every account mode a trader may lock.
    public static let modes = ["paper", "demo", "live"]

    /// 8410100 + mode: the pipeline's migration lock is 8410013.
    static func key(_ mode: String) -> Int64 { 8_410_100 + (["paper": 0, "live": 1, "demo": 2][mode] ?? 9) }

    deinit {
        if let descriptor {
            flock(descriptor, LOCK_UN)
            close(descriptor)
        }
        if let session { _ = try? session.store.rows("SELECT pg_advisory_unlock($1)", [.integer(session.key)], context: "unlocking the account") }
    }
}

/// What went wrong in the store, typed by what the caller does next.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    /// The server cannot be reached or refused the login: retry later or fix `DB_URL`.
    case connectionFailed(location: String, reason: String)
    /// The database has no schema or an older one: run `pipeline init-db`.
    case schemaBehind(databaseVersion: Int, codeVersion: Int)
    /// The database was migrated by newer code: refuse to touch it.
    case schemaNewer(databaseVersion: Int, codeVersion: Int)
    /// An applied migration's file was edited after it ran: fix the file or the database by hand.
    case migrationChanged(version: Int, file: String)
    /// The migrations directory is missing or holds a malformed file name.
    case migrationsInvalid(path: String, reason: String)
    /// A statement failed; `context` says what the store was doing.
    case statementFailed(context: String, message: String)

    public var description: String {
        switch self {
        case let .connectionFailed(location, reason):
            "cannot open the database \(location): \(reason)"
        case let .schemaBehind(database, code):
            database == 0
                ? "the database has no schema yet: run `pipeline init-db` (this build's schema version is \(code))"
                : "the database schema is at version \(database) but this build needs \(code): run `pipeline init-db`"
        case let .schemaNewer(database, code):
            "the database schema is at version \(database), newer than this build's \(code): it was migrated by a newer release; upgrade this program or point DB_URL at another database (nothing was changed)"
        case let .migrationChanged(version, file):
            "migration \(version) (\(file)) was changed after it was applied to this database; restore the original file and add a new migration instead"
        case let .migrationsInvalid(path, reason):
            "migrations at \(path): \(reason) (set `migrations` in system/paths.yaml)"
        case let .statementFailed(context, message):
            "database error while \(context): \(message)"
        }
    }
}

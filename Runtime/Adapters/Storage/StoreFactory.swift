import MarketModel

/// Opens the store a configuration names and checks its schema.
public enum StoreFactory {
    /// Opens the database. `migrationsDirectory` overrides the migrations built into the binary. With `requireCurrentSchema` (every command but `init-db`), a database whose
    /// schema is older than the code is refused with "run pipeline init-db", and a newer one is refused
    /// outright.
    public static func open(sqlitePath: String?, postgresURL: String?, displayLocation: String,
                            migrationsDirectory: String?, requireCurrentSchema: Bool) throws -> (any Store, [Migration]) {
        let store: any Store
        if let postgresURL {
            store = try PostgresStore(url: postgresURL, displayLocation: displayLocation)
        } else {
            store = try SQLiteStore(path: sqlitePath ?? "data/trader.sqlite")
        }
        let migrations = try MigrationCatalog.load(directory: migrationsDirectory, backend: store.backend)
        if requireCurrentSchema { try store.verifySchema(migrations) }
        return (store, migrations)
    }
}

import ArgumentParser
import Storage

/// `pipeline init-db`: applies the pending migrations; safe to run any number of times.
struct InitDatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-db",
        abstract: "Create or upgrade the database schema (idempotent; refuses a schema newer than this build).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let context = try CommandContext.load(global, label: "pipeline.init-db")
        let (store, migrations) = try context.openStore(requireCurrentSchema: false)
        let report: MigrationReport
        do {
            // A trader started on the old schema would go on writing by its rules (an account's records
            // under the mode they had before): the migration waits until it is stopped.
            let applied = Set(try store.appliedMigrations().map(\.version))
            var accounts: [TraderAccountLock] = []
            if migrations.contains(where: { !applied.contains($0.version) }) {
                do {
                    accounts = try TraderAccountLock.every(store: store)
                } catch let busy as TraderAccountLock.Busy {
                    printError("\(store.location): a trader is running the \(busy.mode) account; stop it (SIGTERM), then run init-db again: nothing was migrated")
                    throw ExitCode(75)  // EX_TEMPFAIL
                }
            }
            report = try store.migrate(migrations)
            withExtendedLifetime(accounts) {}
        } catch let error as StoreError {
            printError(error.description)
            throw ExitCode.failure
        }
        if report.applied.isEmpty {
            print("\(store.location): schema already at version \(report.version); nothing to apply")
        } else {
            for migration in report.applied { print("applied \(migration.file)") }
            print("\(store.location): schema now at version \(report.version)")
        }
        context.logger.info("database initialised", metadata: [
            "location": "\(store.location)", "version": "\(report.version)", "applied": "\(report.applied.count)",
        ])
    }
}

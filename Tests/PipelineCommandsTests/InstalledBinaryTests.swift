import ChildProcesses
import Foundation
import Storage
import TestSupport
import Testing

/// A binary installed on a VPS or in a container has only itself and a configuration: it must not read
/// anything from the source tree at run time (migrations, code version).
@Suite(.removesTemporaryFiles) struct InstalledBinaryTests {
    /// `pipeline` copied away from the build tree, run in a directory holding only `config/`.
    struct Installation {
        let binary: String
        let directory: String

        init() throws {
            let root = TestEnvironment.temporaryDirectory("installed")
            try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
            binary = root + "/bin/pipeline"
            try FileManager.default.copyItem(atPath: ProcessRunner.productsDirectory + "/pipeline", toPath: binary)
            directory = root + "/account"
            let configuration = try ConfigurationFixture()
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: configuration.directory, toPath: directory + "/config")
        }

        func run(_ arguments: String...) async throws -> ChildProcessResult {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            return try await ChildProcess(binary, arguments, environment: .exactly(["PATH": path]), workingDirectory: directory).run()
        }
    }

    @Test func theBinaryCarriesItsMigrationsAndItsVersion() async throws {
        let installed = try Installation()
        let initialised = try await installed.run("init-db")
        #expect(initialised.succeeded, "\(initialised.combined)")
        #expect(initialised.standardOutput.contains("applied 0001_initial_schema.sql"), "\(initialised.standardOutput)")
        let again = try await installed.run("init-db")
        #expect(again.standardOutput.contains("schema already at version"), "\(again.combined)")
        #expect(try await installed.run("config", "check").succeeded)
        #expect(try await installed.run("status").succeeded)
        // The version is the one built in, not whatever repository the working directory is in.
        let version = try await installed.run("--version").standardOutput
        let fromCheckout = try await ChildProcess(installed.binary, ["--version"], workingDirectory: TestEnvironment.packageRoot).run()
        #expect(version.hasPrefix("0.1.0") && version == fromCheckout.standardOutput, "\(version) vs \(fromCheckout.standardOutput)")

        // What it applied is byte for byte db/migrations/ (same checksums as the files).
        let store = try SQLiteStore(path: installed.directory + "/data/trader.sqlite")
        let files = try MigrationCatalog.load(directory: TestEnvironment.migrationsDirectory, backend: .sqlite)
        #expect(try store.appliedMigrations().map(\.checksum) == files.map(\.checksum))
        #expect(try MigrationCatalog.embedded(backend: .postgresql).map(\.checksum)
            == MigrationCatalog.load(directory: TestEnvironment.migrationsDirectory, backend: .postgresql).map(\.checksum))
    }

    /// `system/paths.yaml` `migrations:` still replaces the built-in ones, and a wrong path says so.
    @Test func aConfiguredMigrationsDirectoryOverridesTheBuiltInOnes() async throws {
        let installed = try Installation()
        let custom = installed.directory + "/migrations"
        try FileManager.default.createDirectory(atPath: custom + "/sqlite", withIntermediateDirectories: true)
        try "CREATE TABLE custom_only (id INTEGER);\n".write(toFile: custom + "/sqlite/0001_custom.sql", atomically: true, encoding: .utf8)
        let paths = installed.directory + "/config/system/paths.yaml"
        try (try String(contentsOfFile: paths, encoding: .utf8) + "migrations: migrations\n").write(toFile: paths, atomically: true, encoding: .utf8)
        let applied = try await installed.run("init-db")
        #expect(applied.succeeded && applied.standardOutput.contains("applied 0001_custom.sql"), "\(applied.combined)")

        try (try String(contentsOfFile: paths, encoding: .utf8).replacingOccurrences(of: "migrations: migrations", with: "migrations: nowhere"))
            .write(toFile: paths, atomically: true, encoding: .utf8)
        let missing = try await installed.run("init-db")
        #expect(!missing.succeeded && missing.standardError.contains("nowhere/sqlite"), "\(missing.combined)")
    }
}

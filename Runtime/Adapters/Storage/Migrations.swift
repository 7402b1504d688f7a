import BuildInfo
import Foundation

/// The two database backends.
public enum StoreBackend: String, Sendable {
    case sqlite, postgresql
}

/// One versioned SQL migration from `db/migrations/{backend}/NNNN_description.sql`.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    /// File name, for messages.
    public var file: String
    public var sql: String
    /// FNV-1a 64 of the file's bytes, recorded when applied, to detect later edits.
    public var checksum: String
}

/// A migration as recorded in a database's `schema_migrations` table.
public struct AppliedMigration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var checksum: String
    /// When it was applied, UTC ms.
    public var appliedAt: Int64
}

/// What `migrate` did.
public struct MigrationReport: Sendable {
    /// Migrations applied by this call, in order.
    public var applied: [Migration]
    /// The schema version after the call.
    public var version: Int
}

public enum MigrationCatalog {
    /// Reads every `NNNN_description.sql` for `backend` under `directory`, in version order.
    public static func load(directory: String, backend: StoreBackend) throws(StoreError) -> [Migration] {
        let folder = directory + "/" + backend.rawValue
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw .migrationsInvalid(path: folder, reason: "directory not found")
        }
        var files: [(name: String, contents: Data?)] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            files.append((name, FileManager.default.contents(atPath: folder + "/" + name)))
        }
        return try parse(files, origin: folder)
    }

    /// The migrations built into this binary (`db/migrations/` of the tree it was built from).
    public static func embedded(backend: StoreBackend) throws(StoreError) -> [Migration] {
        let prefix = backend.rawValue + "/"
        let files = BuildInfo.migrationFiles.filter { $0.path.hasPrefix(prefix) }
            .map { (name: String($0.path.dropFirst(prefix.count)), contents: Optional($0.contents)) }
        return try parse(files, origin: "the migrations built into this binary (\(backend.rawValue))")
    }

    /// From a configured directory when one is given (`system/paths.yaml` `migrations`), else the
    /// embedded ones.
    public static func load(directory: String?, backend: StoreBackend) throws(StoreError) -> [Migration] {
        if let directory { return try load(directory: directory, backend: backend) }
        return try embedded(backend: backend)
    }

    /// Checks names and versions of `files` (`NNNN_description.sql` and their bytes) and returns them in
    /// version order; `origin` names where they came from in messages.
    static func parse(_ files: [(name: String, contents: Data?)], origin: String) throws(StoreError) -> [Migration] {
        var migrations: [Migration] = []
        for (name, contents) in files {
            let stem = name.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]), version > 0 else {
                throw .migrationsInvalid(path: origin + "/" + name, reason: "file names must look like 0001_description.sql")
            }
            guard let data = contents, let sql = String(data: data, encoding: .utf8)
            else { throw .migrationsInvalid(path: origin + "/" + name, reason: "cannot be read as UTF-8") }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw .migrationsInvalid(path: origin, reason: "\(clash.file) and \(name) share version \(version)")
            }
            migrations.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]),
                                        file: name, sql: sql, checksum: fnv1a64(data)))
        }
        guard !migrations.isEmpty else { throw .migrationsInvalid(path: origin, reason: "no .sql files") }
        return migrations.sorted { $0.version < $1.version }
    }

    /// Checks what a database has applied against the code's migrations; throws when the database is
    /// newer or an applied file changed. Returns the migrations still to apply.
    static func pending(known: [Migration], applied: [AppliedMigration]) throws(StoreError) -> [Migration] {
        let codeVersion = known.last?.version ?? 0
        let databaseVersion = applied.map(\.version).max() ?? 0
        if databaseVersion > codeVersion { throw .schemaNewer(databaseVersion: databaseVersion, codeVersion: codeVersion) }
        for record in applied {
            if let migration = known.first(where: { $0.version == record.version }), migration.checksum != record.checksum {
                throw .migrationChanged(version: record.version, file: migration.file)
            }
        }
        let done = Set(applied.map(\.version))
        return known.filter { !done.contains($0.version) }
    }

    static func fnv1a64(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

import Foundation

/// Paths and services the tests use, from the environment with defaults that work from a checkout.
public enum TestEnvironment {
    /// The package root (two levels above this file).
    public static let packageRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()

    /// The real market data: `$TRADER_DATASETS`, else `../shared/datasets` next to the checkout.
    public static var datasetsDirectory: String {
        if let path = ProcessInfo.processInfo.environment["TRADER_DATASETS"], !path.isEmpty { return path }
        return URL(fileURLWithPath: packageRoot).deletingLastPathComponent().appendingPathComponent("shared/datasets").path
    }

    /// A file of the shared datasets, e.g. `mit/binance-usdm_BTCUSDT_1m_20250504-20250624.csv`.
    public static func dataset(_ relativePath: String) -> String { datasetsDirectory + "/" + relativePath }

    /// `TEST_POSTGRES_URL`: a PostgreSQL server the tests may create databases on. `make test` starts a
    /// throwaway server and sets it; without it the PostgreSQL tests fail (they are never skipped).
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The message a PostgreSQL test fails with when no server was given.
    public static let postgresMissing =
        "TEST_POSTGRES_URL is not set: run `make test`, which starts a throwaway PostgreSQL server on loopback"

    /// The repository's migrations directory.
    public static var migrationsDirectory: String { packageRoot + "/db/migrations" }

    /// The repository's default configuration directory.
    public static var configDirectory: String { packageRoot + "/config" }

    /// A new empty temporary directory inside the running test's scratch directory, which the
    /// `.removesTemporaryFiles` trait deletes when the test ends, passed or failed.
    public static func temporaryDirectory(_ label: String = "test") -> String {
        let root = ScratchScope.current?.root ?? ScratchScope.unscoped(label)
        let path = root + "/\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Deletes a file or directory tree (no error when it is gone already).
    public static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}

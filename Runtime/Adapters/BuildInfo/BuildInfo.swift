import Foundation

/// What the build embeds in every binary, so a release binary copied to a VPS or a container needs
/// nothing from the source tree: the code version and the SQL migrations (`db/migrations/`, embedded by
/// the `EmbedBuildInfo` plugin before each build).
public enum BuildInfo {
    /// The package's own version.
    public static let packageVersion = "0.1.0"

    /// A file of the source tree, byte for byte.
    struct EmbeddedFile: Sendable {
        /// Relative to its directory of origin, e.g. `sqlite/0001_initial_schema.sql`.
        var path: String
        var base64: String
    }

    /// The version of the running code: `$TRADER_CODE_VERSION` when set (for builds made without git,
    /// e.g. in a container), else `0.1.0+{git describe --always --dirty}` of the tree it was built from,
    /// else the package version.
    public static func codeVersion(environment: [String: String]) -> String {
        if let value = environment["TRADER_CODE_VERSION"], !value.isEmpty { return value }
        return gitDescription.isEmpty ? packageVersion : "\(packageVersion)+\(gitDescription)"
    }

    /// The migration files built into this binary, by path relative to `db/migrations/`
    /// (`sqlite/0001_initial_schema.sql`, `postgresql/…`), in path order.
    public static var migrationFiles: [(path: String, contents: Data)] {
        embeddedMigrationFiles.compactMap { file in Data(base64Encoded: file.base64).map { (file.path, $0) } }
            .sorted { $0.path < $1.path }
    }
}

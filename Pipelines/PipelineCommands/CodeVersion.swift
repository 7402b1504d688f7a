import BuildInfo
import Foundation

/// The version of the code that produced an artifact or a stage result: `$TRADER_CODE_VERSION` when set,
/// else what the build embedded (`git describe` of the tree it was built from), never the working
/// directory's repository, so an installed binary reports itself wherever it runs.
enum CodeVersion {
    static let current = BuildInfo.codeVersion(environment: ProcessInfo.processInfo.environment)
}

import Foundation
import Synchronization
import Testing

/// The scratch directory of one running test: created on first use under `$TRADER_TEST_SCRATCH` (which
/// `scripts/run-tests` sets, and checks is empty at the end) or else the system's temporary directory, deleted with everything in it when the test ends (passed, failed or thrown), so no test
/// leaves files behind. Apply `.removesTemporaryFiles` to a suite; `TestEnvironment.temporaryDirectory`
/// then creates directories inside it.
public final class ScratchScope: Sendable {
    @TaskLocal static var current: ScratchScope?

    private let path = Mutex<String?>(nil)
    private let label: String

    init(label: String) { self.label = label }

    /// The scope's directory, created on first use.
    var root: String {
        path.withLock { path in
            if let path { return path }
            let created = Self.base + "/trader-\(label)-\(UUID().uuidString.prefix(8))"
            try! FileManager.default.createDirectory(atPath: created, withIntermediateDirectories: true)
            path = created
            return created
        }
    }

    /// Where scopes create their directories.
    static var base: String {
        if let path = ProcessInfo.processInfo.environment["TRADER_TEST_SCRATCH"], !path.isEmpty { return path }
        return String(NSTemporaryDirectory().dropLast(NSTemporaryDirectory().hasSuffix("/") ? 1 : 0))
    }

    /// Deletes the directory, if it was created.
    func remove() {
        path.withLock { path in
            if let created = path { try? FileManager.default.removeItem(atPath: created) }
            path = nil
        }
    }

    /// A directory asked for outside any test scope: a test that forgot the trait. It is recorded as an
    /// issue (so the suite gets fixed), and the directory is still removed when the process exits.
    static func unscoped(_ label: String) -> String {
        Issue.record("TestEnvironment.temporaryDirectory(\"\(label)\") outside a test scope: add .removesTemporaryFiles to the suite")
        return processScope.root
    }

    private static let processScope: ScratchScope = {
        let scope = ScratchScope(label: "unscoped")
        atexit { ScratchScope.processScope.remove() }
        return scope
    }()
}

/// Gives each test of a suite its own scratch directory and deletes it when the test ends.
public struct TemporaryFilesTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    /// A scope per test (case), none for the suite itself.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? { testCase == nil ? nil : self }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let scope = ScratchScope(label: String(test.name.prefix { $0.isLetter || $0.isNumber }.prefix(40)))
        defer { scope.remove() }
        try await ScratchScope.$current.withValue(scope) { try await function() }
    }
}

extension Trait where Self == TemporaryFilesTrait {
    /// Each test gets a scratch directory (`TestEnvironment.temporaryDirectory`), deleted when it ends.
    public static var removesTemporaryFiles: Self { TemporaryFilesTrait() }
}

import ChildProcesses
import Foundation
import TestSupport
import Testing

/// The checks CI runs on the source tree itself.
@Suite(.removesTemporaryFiles) struct RepositoryChecksTests {
    func purity(_ directory: String) async throws -> ChildProcessResult {
        try await ChildProcess(TestEnvironment.packageRoot + "/scripts/check-core-purity", [directory]).run()
    }

    @Test func runtimeCoreDoesNoIO() async throws {
        let result = try await purity(TestEnvironment.packageRoot + "/Runtime/Core")
        #expect(result.succeeded, "\(result.combined)")
    }

    /// The check names each file, line and API it refuses, and lets comments and pure code through.
    @Test func thePurityCheckCatchesIOImportsAndCalls() async throws {
        let directory = TestEnvironment.temporaryDirectory("core")
        try """
            import Foundation
            // Reading files belongs in an adapter, not here: FileManager.default.contents(atPath:)
            func sum(_ values: [Double]) -> Double { values.reduce(0, +) }
            func merged(_ a: [Int], _ b: [Int]) -> [Int] { var c = a; c.append(contentsOf: b); return c }
            """.write(toFile: directory + "/Pure.swift", atomically: true, encoding: .utf8)
        #expect(try await purity(directory).succeeded, "pure code passes")
        try """
            import Foundation
            @preconcurrency import NIOCore
            import Logging
            func load() -> Data? { FileManager.default.contents(atPath: "x") }
            func stamp() -> Double { Date().timeIntervalSince1970 }
            """.write(toFile: directory + "/Impure.swift", atomically: true, encoding: .utf8)
        let result = try await purity(directory)
        #expect(result.status == 1)
        for expected in ["Impure.swift:2: imports an I/O module", "Impure.swift:3: imports an I/O module",
                         "Impure.swift:4: calls an I/O API (FileManager)", "Impure.swift:5: calls an I/O API (Date())",
                         "4 problem(s)"] {
            #expect(result.combined.contains(expected), "\(expected) in:\n\(result.combined)")
        }
        #expect(!result.combined.contains("Pure.swift"))
    }
}

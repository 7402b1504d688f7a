import Foundation
import TestSupport
import Testing

/// Runs commands with known fake secrets and searches everything they wrote: terminal output and log files.
@Suite(.removesTemporaryFiles) struct SecretRedactionTests {
    static let secrets = [
        "BITGET_API_KEY": "fake-key-9f8e7d", "BITGET_SECRET": "fake-secret-6c5b4a",
        "BITGET_PASSPHRASE": "fake-passphrase-3928", "TELEGRAM_TOKEN": "777000:fake-telegram-token-11aa",
    ]

    @Test func noSecretReachesOutputOrLogFiles() async throws {
        let workspace = try Workspace()
        try workspace.configurationFile("system/logging.yaml", replacing: "  enabled: false", with: "  enabled: true")
        try workspace.configurationFile("system/logging.yaml", replacing: "level: info", with: "level: trace")
        var outputs: [String] = []
        var environment = Self.secrets
        environment["DB_URL"] = "sqlite:secret-db.sqlite"
        for arguments in [["config", "check"], ["init-db"], ["export-csv"]] {
            let result = try await ProcessRunner.run("pipeline", arguments, in: workspace.directory, environment: environment,
                                               replaceEnvironment: true)
            #expect(result.status == 0, "\(arguments): \(result.combined)")
            outputs.append(result.combined)
        }
        let logs = try FileManager.default.contentsOfDirectory(atPath: workspace.path("logs"))
        #expect(logs.count == 1 && logs[0].hasPrefix("trader-") && logs[0].hasSuffix(".log"), "\(logs)")
        for log in logs { outputs.append(try String(contentsOfFile: workspace.path("logs/" + log), encoding: .utf8)) }
        let everything = outputs.joined(separator: "\n")
        #expect(everything.contains("BITGET_SECRET=<redacted>"))
        #expect(everything.contains("\"message\":\"database initialised\""))
        for (key, value) in Self.secrets {
            #expect(!everything.contains(value), "\(key) leaked")
        }
    }

    @Test func aPostgresPasswordIsRedactedEverywhere() async throws {
        let workspace = try Workspace()
        let result = try await workspace.pipeline("config", "check",
                                            environment: ["DB_URL": "postgresql://trader:pg-password-5512@127.0.0.1:1/trader"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("# database: postgresql://trader:<redacted>@127.0.0.1:1/trader"))
        let connect = try await workspace.pipeline("init-db", environment: ["DB_URL": "postgresql://trader:pg-password-5512@127.0.0.1:1/trader?connect_timeout=2"])
        #expect(connect.status == 1)
        #expect(connect.standardError.contains("cannot open the database postgresql://trader:<redacted>@127.0.0.1:1/trader"))
        #expect(!(result.combined + connect.combined).contains("pg-password-5512"))
    }
}

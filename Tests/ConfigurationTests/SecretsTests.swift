import TraderConfiguration
import Foundation
import TestSupport
import Testing

@Suite(.removesTemporaryFiles) struct SecretsTests {
    let secrets = [
        "DB_URL": "postgresql://trader:pg-pass-7781@127.0.0.1:5432/trader",
        "BITGET_API_KEY": "bg-key-AAAA1111", "BITGET_SECRET": "bg-secret-BBBB2222",
        "BITGET_PASSPHRASE": "bg-pass-CCCC3333", "TELEGRAM_TOKEN": "123456:tg-token-DDDD4444",
    ]

    @Test func theEffectiveConfigurationNeverShowsASecret() throws {
        let fixture = try ConfigurationFixture()
        let configuration = try fixture.load(environment: secrets)
        let printed = configuration.redactedDescription()
        for value in ["pg-pass-7781", "bg-key-AAAA1111", "bg-secret-BBBB2222", "bg-pass-CCCC3333", "tg-token-DDDD4444"] {
            #expect(!printed.contains(value), "\(value) leaked")
        }
        #expect(printed.contains("DB_URL=postgresql://trader:<redacted>@127.0.0.1:5432/trader"))
        #expect(printed.contains("BITGET_SECRET=<redacted>"))
        #expect(configuration.environment.hasCompleteExchangeCredentials)
        #expect("\(configuration.environment.bitgetSecret!)" == "<redacted>")
        #expect(String(reflecting: configuration.environment.bitgetSecret!) == "<redacted>")
        #expect(configuration.environment.bitgetSecret?.revealed == "bg-secret-BBBB2222")
    }

    @Test func dotEnvIsReadAndTheEnvironmentWins() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write(".env", """
            # comment
            export BITGET_API_KEY="from-file-key"
            BITGET_SECRET='from-file-secret'
            ALLOWED_USER_ID=42
            """)
        let configuration = try fixture.load(environment: ["BITGET_API_KEY": "from-env-key"])
        #expect(configuration.environment.bitgetAPIKey?.revealed == "from-env-key")
        #expect(configuration.environment.bitgetSecret?.revealed == "from-file-secret")
        #expect(configuration.environment.allowedUserID == 42)
        #expect(!configuration.environment.hasCompleteExchangeCredentials, "no passphrase was given")
    }

    @Test func badEnvironmentValuesAreReportedWithoutEchoingSecrets() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write(".env", "BITGET_SECRETT=abc\nthis line holds a secret\n")
        let issues = fixture.issues(environment: ["ALLOWED_USER_ID": "me", "DB_URL": "mysql://root:hunter2@x/db"])
        #expect(issues.contains { $0.hasPrefix(".env:1: BITGET_SECRETT: unknown key; did you mean BITGET_SECRET?") })
        #expect(issues.contains(".env:2: expected KEY=VALUE (the line is not shown: it may hold a secret)"))
        #expect(issues.contains("environment: ALLOWED_USER_ID = me: must be a positive Telegram user id (digits only)"))
        #expect(issues.contains("environment: DB_URL = <redacted>: must start with postgresql://, postgres:// or sqlite:"))
        #expect(!issues.joined().contains("hunter2"))
    }

    @Test func theDatabaseLocationFollowsDBURL() throws {
        let fixture = try ConfigurationFixture()
        #expect(try fixture.load().database == .sqlite(path: "data/trader.sqlite"))
        #expect(try fixture.load(environment: ["DB_URL": "sqlite:/tmp/x.sqlite"]).database == .sqlite(path: "/tmp/x.sqlite"))
        let postgres = try fixture.load(environment: ["DB_URL": "postgresql://u:p4ss@h/db?password=p4ss"]).database
        #expect(postgres.description == "postgresql://u:<redacted>@h/db?password=<redacted>")
    }
}

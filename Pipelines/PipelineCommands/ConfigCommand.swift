import ArgumentParser

/// `pipeline config check`: validates every file and prints the effective configuration, secrets redacted.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Inspect the configuration.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration and print it as the programs see it (secrets redacted).")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let context = try CommandContext.load(global, label: "pipeline.config")
            print(context.configuration.redactedDescription())
            print("# configuration is valid")
        }
    }
}

import ArgumentParser

/// `pipeline`: the offline stages and maintenance commands. Every subcommand takes `--config DIR`.
public struct PipelineCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Offline pipeline of the trading system: data, features, training, evaluation, publishing.",
        version: CodeVersion.current,
        subcommands: [
            InitDatabaseCommand.self, ConfigCommand.self, ImportCSVCommand.self, ExportCSVCommand.self,
            DownloadCommand.self, BackupCommand.self, IndicatorsCommand.self, AlignCommand.self, BacktestCommand.self,
            TrainCommand.self, TrainWorkerCommand.self, EvaluateCommand.self, RankCommand.self, PublishCommand.self, AgentsCommand.self,
            RunCommand.self, StatusCommand.self, WalkForwardCommand.self, ReportCommand.self,
        ])

    public init() {}
}

/// Options every command shares.
public struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp(
        "Configuration directory (default: $TRADER_CONFIG, else config/).", valueName: "DIR"))
    public var configDirectory: String?

    public init() {}
}

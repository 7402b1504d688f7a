import ArgumentParser

/// `bench`: release-build benchmarks that print their figures next to the reference tools' figures.
/// Run with `swift run -c release bench <subcommand>`.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks of the trading system (run in a release build).",
        subcommands: [
            IngestBenchmark.self, IngestOnce.self, IndicatorBenchmark.self, FeatureBenchmark.self, AlignOnce.self, EngineBenchmark.self, DownloadBenchmark.self, PPOBenchmark.self, TradingEnvironmentBenchmark.self,
            TraderBenchmark.self, PlantedEdgeBenchmark.self,
        ])
}

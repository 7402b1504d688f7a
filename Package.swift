// swift-tools-version: 6.2
// Package.swift is the architecture diagram: Runtime/ holds everything the deployed trader needs,
// Pipelines/ adds the offline work on top of it. Nothing in Runtime depends on Pipelines.
import PackageDescription

/// One shared settings array for every Swift target (Swift 6 language mode, strict concurrency).
let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]
/// The hot paths of training and backtests (market model, indicators, features, engine, kernels, policy, the
/// PPO learner) are optimised in debug builds too: the tests train agents end to end (the planted-edge
/// proof), which at -Onone runs about 10× slower. Results are bit for bit the same (no fast-math).
let hotPathSettings: [SwiftSetting] = settings + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let yams = Target.Dependency.product(name: "Yams", package: "Yams")
let grdb = Target.Dependency.product(name: "GRDB", package: "GRDB.swift")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let asyncHTTPClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")
let webSocketClient = Target.Dependency.product(name: "WSClient", package: "swift-websocket")
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let hummingbirdWebSocket = Target.Dependency.product(name: "HummingbirdWebSocket", package: "hummingbird-websocket")
let grdbSQLite = Target.Dependency.product(name: "GRDBSQLite", package: "GRDB.swift")
let subprocess = Target.Dependency.product(name: "Subprocess", package: "swift-subprocess")
let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let coreMetrics = Target.Dependency.product(name: "CoreMetrics", package: "swift-metrics")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")

let package = Package(
    name: "trader",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "trader", targets: ["trader"]),
        .executable(name: "pipeline", targets: ["pipeline"]),
        .executable(name: "bench", targets: ["bench"]),
        .executable(name: "bitget-sim", targets: ["bitget-sim"]),
        .executable(name: "telegram-fake", targets: ["telegram-fake"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: Runtime/Core: pure, deterministic, no I/O.
        .target(name: "MarketModel", path: "Runtime/Core/MarketModel", swiftSettings: hotPathSettings),
        .target(name: "Indicators", path: "Runtime/Core/Indicators", swiftSettings: hotPathSettings),
        .target(
            name: "Features", dependencies: ["MarketModel", "Indicators", crypto], path: "Runtime/Core/Features",
            swiftSettings: hotPathSettings),
        .target(
            // Cross-module optimisation lets the callers (backtests, the PPO environment, the trader) specialise
            // the generic `TradingEngine<Venue>` for `SimulatedVenue`: without it the simulated path ran at half speed.
            name: "TradingEngine", dependencies: ["MarketModel", "Indicators"], path: "Runtime/Core/TradingEngine",
            swiftSettings: hotPathSettings + [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]),
        .systemLibrary(name: "COpenBLAS", path: "Runtime/Core/COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Kernels", dependencies: ["COpenBLAS"], path: "Runtime/Core/Kernels", swiftSettings: hotPathSettings),
        .target(name: "Policy", dependencies: ["Kernels", "TradingEngine"], path: "Runtime/Core/Policy", swiftSettings: hotPathSettings),
        .target(name: "Reconciliation", dependencies: ["MarketModel"], path: "Runtime/Core/Reconciliation", swiftSettings: settings),
        .target(name: "ControlCommands", dependencies: ["MarketModel"], path: "Runtime/Core/ControlCommands", swiftSettings: settings),
        .target(name: "Notifications", path: "Runtime/Core/Notifications", swiftSettings: settings),

        // MARK: Runtime/Adapters: the I/O edges.
        .target(name: "BuildInfo", path: "Runtime/Adapters/BuildInfo", swiftSettings: settings, plugins: ["EmbedBuildInfo"]),
        .plugin(name: "EmbedBuildInfo", capability: .buildTool(), path: "Plugins/EmbedBuildInfo"),
        .target(name: "ChildProcesses", dependencies: [subprocess], path: "Runtime/Adapters/ChildProcesses", swiftSettings: settings),
        .target(
            name: "AgentArtifacts", dependencies: ["Policy", "MarketModel"], path: "Runtime/Adapters/AgentArtifacts",
            swiftSettings: settings),
        .systemLibrary(
            name: "CLibPQ", path: "Runtime/Adapters/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCairo", path: "Runtime/Adapters/CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .target(name: "Charts", dependencies: ["CCairo"], path: "Runtime/Adapters/Charts", swiftSettings: settings),
        .target(
            name: "TraderConfiguration", dependencies: ["MarketModel", "TradingEngine", "LogOutput", yams, logging],
            path: "Runtime/Adapters/TraderConfiguration", swiftSettings: settings),
        .target(
            name: "LogOutput", dependencies: ["MarketModel", logging],
            path: "Runtime/Adapters/LogOutput", swiftSettings: settings),
        .target(
            name: "CSVArchive", dependencies: ["MarketModel"],
            path: "Runtime/Adapters/CSVArchive", swiftSettings: settings),
        .target(
            name: "BitGet", dependencies: ["MarketModel", "Reconciliation", crypto, asyncHTTPClient, webSocketClient, nioCore, nioHTTP1, .product(name: "NIOPosix", package: "swift-nio"), logging],
            path: "Runtime/Adapters/BitGet", swiftSettings: settings),
        .target(
            name: "Storage", dependencies: ["MarketModel", "TradingEngine", "CLibPQ", "BuildInfo", grdb, grdbSQLite],
            path: "Runtime/Adapters/Storage", swiftSettings: settings),

        // MARK: Runtime/App: the live trader.
        .target(
            name: "TraderRuntime",
            dependencies: [
                "MarketModel", "Features", "TradingEngine", "Policy", "Reconciliation", "TraderConfiguration", "Storage", "BitGet",
                "AgentArtifacts", "ChildProcesses", "Telegram", "ControlCommands", "Notifications", "Charts", serviceLifecycle, coreMetrics, prometheus,
                hummingbird, logging,
            ],
            path: "Runtime/App/TraderRuntime", swiftSettings: settings),
        .executableTarget(
            name: "trader",
            dependencies: ["TraderRuntime", "TraderConfiguration", "LogOutput", "Storage", "BuildInfo", "MarketModel", "TradingEngine",
                           "Reconciliation", argumentParser, logging],
            path: "Runtime/App/trader", swiftSettings: settings),

        // MARK: Runtime/Testing: fakes shipped as libraries, shared by tests and the demo.
        .target(
            name: "ScriptedAgents", dependencies: ["Policy", "Features", "TradingEngine"], path: "Runtime/Testing/ScriptedAgents",
            swiftSettings: settings),
        .target(
            name: "ExchangeSimulator",
            dependencies: [
                "MarketModel", "TradingEngine", "Features", "CSVArchive", "BitGet", hummingbird, hummingbirdWebSocket,
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Runtime/Testing/ExchangeSimulator", swiftSettings: settings),
        .target(
            name: "Telegram", dependencies: [asyncHTTPClient, nioCore, nioHTTP1, logging], path: "Runtime/Adapters/Telegram",
            swiftSettings: settings),
        .target(
            name: "FakeTelegram", dependencies: [hummingbird, logging, .product(name: "HTTPTypes", package: "swift-http-types")],
            path: "Runtime/Testing/FakeTelegram", swiftSettings: settings),
        .executableTarget(
            name: "telegram-fake", dependencies: ["FakeTelegram", argumentParser, logging], path: "Runtime/Testing/telegram-fake",
            swiftSettings: settings),
        .executableTarget(
            name: "bitget-sim", dependencies: ["ExchangeSimulator", "MarketModel", argumentParser, logging],
            path: "Runtime/Testing/bitget-sim", swiftSettings: settings),

        // MARK: Pipelines: offline work.
        .systemLibrary(name: "CHDF5", path: "Pipelines/CHDF5", providers: [.apt(["libhdf5-dev"])]),
        .target(
            name: "TensorStore", dependencies: ["CHDF5", "Features", "MarketModel", "Storage", "CSVArchive"],
            path: "Pipelines/TensorStore", swiftSettings: settings),
        .target(
            name: "DataStages", dependencies: ["MarketModel", "CSVArchive", "Storage", "Indicators", "BitGet", "Features"],
            path: "Pipelines/DataStages", swiftSettings: settings),
        .target(
            name: "Training", dependencies: ["Policy", "Kernels", "TradingEngine", "MarketModel", "Features", "TensorStore", crypto], path: "Pipelines/Training",
            swiftSettings: hotPathSettings),
        .target(
            name: "Evaluation", dependencies: ["TradingEngine", "Features", "MarketModel", "Storage", "Policy"],
            path: "Pipelines/Evaluation", swiftSettings: settings),
        .target(
            name: "PipelineCommands",
            dependencies: [
                "MarketModel", "TraderConfiguration", "LogOutput", "CSVArchive", "Storage", "DataStages", "Features", "TensorStore",
                "TradingEngine", "Evaluation", "BitGet", "Training", "Policy", "AgentArtifacts", "BuildInfo", "ChildProcesses", crypto,
                argumentParser, logging,
            ],
            path: "Pipelines/PipelineCommands", swiftSettings: settings),
        .executableTarget(
            name: "pipeline", dependencies: ["PipelineCommands", argumentParser], path: "Pipelines/pipeline",
            swiftSettings: settings),
        .executableTarget(
            name: "bench",
            dependencies: [
                "MarketModel", "CSVArchive", "Storage", "DataStages", "CLibPQ", "Indicators", "Features", "TensorStore",
                "TradingEngine", "BitGet", "Training", "ChildProcesses", "Policy", "TraderConfiguration", "TraderRuntime", "ScriptedAgents",
                "Evaluation", "ExchangeSimulator", "AgentArtifacts", argumentParser,
            ],
            path: "Pipelines/bench", swiftSettings: settings),

        // MARK: Tests: one target per library, plus end-to-end tests of the executables.
        .target(
            name: "TestSupport",
            dependencies: ["CLibPQ", "Storage", "MarketModel", "TraderConfiguration", "ChildProcesses", "Policy", "Features", "TradingEngine"],
            path: "Tests/TestSupport",
            swiftSettings: settings),
        .testTarget(
            name: "MarketModelTests", dependencies: ["MarketModel", "TestSupport"], path: "Tests/MarketModelTests",
            swiftSettings: settings),
        .testTarget(
            name: "IndicatorsTests", dependencies: ["Indicators", "TestSupport"], path: "Tests/IndicatorsTests",
            swiftSettings: settings),
        .testTarget(
            name: "FeaturesTests", dependencies: ["Features", "Indicators", "MarketModel", "CSVArchive", "TestSupport"],
            path: "Tests/FeaturesTests", swiftSettings: settings),
        .testTarget(
            name: "TradingEngineTests", dependencies: ["TradingEngine", "MarketModel", "TestSupport"],
            path: "Tests/TradingEngineTests", swiftSettings: settings),
        .testTarget(
            name: "TraderTests",
            dependencies: ["trader", "pipeline", "bitget-sim", "TraderRuntime", "TestSupport", "Storage", "MarketModel", "TradingEngine",
                           "ChildProcesses", "Policy", "Features", "BitGet", "ScriptedAgents", "FakeTelegram", "Telegram", asyncHTTPClient, logging],
            path: "Tests/TraderTests", swiftSettings: settings),
        .testTarget(
            name: "TelegramTests", dependencies: ["Telegram", "FakeTelegram", "ControlCommands"], path: "Tests/TelegramTests",
            swiftSettings: settings),
        .testTarget(name: "ChartsTests", dependencies: ["Charts"], path: "Tests/ChartsTests", swiftSettings: settings),
        .testTarget(name: "NotificationsTests", dependencies: ["Notifications"], path: "Tests/NotificationsTests", swiftSettings: settings),
        .testTarget(
            name: "ControlCommandsTests", dependencies: ["ControlCommands", "MarketModel"], path: "Tests/ControlCommandsTests",
            swiftSettings: settings),
        .testTarget(
            name: "ReconciliationTests", dependencies: ["Reconciliation", "MarketModel"], path: "Tests/ReconciliationTests",
            swiftSettings: settings),
        .testTarget(
            name: "EvaluationTests", dependencies: ["Evaluation", "TradingEngine", "MarketModel", "Storage"], path: "Tests/EvaluationTests",
            swiftSettings: settings),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["Training", "Policy", "Kernels", "TestSupport", "Features", "MarketModel", "TradingEngine", "CSVArchive", "AgentArtifacts"],
            path: "Tests/TrainingTests",
            swiftSettings: settings),
        .testTarget(
            name: "ConfigurationTests", dependencies: ["TraderConfiguration", "MarketModel", "TestSupport"],
            path: "Tests/ConfigurationTests", swiftSettings: settings),
        .testTarget(
            name: "CSVArchiveTests", dependencies: ["CSVArchive", "MarketModel", "TestSupport"], path: "Tests/CSVArchiveTests",
            swiftSettings: settings),
        .testTarget(
            name: "StorageTests", dependencies: ["Storage", "MarketModel", "TradingEngine", "TestSupport"], path: "Tests/StorageTests",
            swiftSettings: settings),
        .testTarget(
            name: "DataStagesTests", dependencies: ["DataStages", "Storage", "CSVArchive", "MarketModel", "TestSupport"],
            path: "Tests/DataStagesTests", swiftSettings: settings),
        .testTarget(
            name: "BitGetTests", dependencies: ["BitGet", "ExchangeSimulator", "MarketModel", "TestSupport"],
            path: "Tests/BitGetTests", swiftSettings: settings),
        .testTarget(
            name: "TensorStoreTests",
            dependencies: ["TensorStore", "Features", "Storage", "DataStages", "CSVArchive", "MarketModel", "TestSupport"],
            path: "Tests/TensorStoreTests", swiftSettings: settings),
        .testTarget(
            name: "PipelineCommandsTests",
            dependencies: [
                "PipelineCommands", "Evaluation", "pipeline", "bitget-sim", "bench", "LogOutput", "TraderConfiguration", "Storage", "MarketModel",
                "TestSupport", "Training", "Policy", "Features", "AgentArtifacts", "ChildProcesses", logging,
            ],
            path: "Tests/PipelineCommandsTests", swiftSettings: settings),
    ]
)

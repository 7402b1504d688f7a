import Crypto
import Features
import Foundation
import MarketModel
import Storage
import TensorStore
import TraderConfiguration

/// The stages of the offline pipeline, in dependency order.
enum StageName: String, CaseIterable, Codable {
    case download, backup, align, train, evaluate, rank, publish

    /// What each stage reads and writes, for `pipeline run --help` and the README.
    var summary: String {
        switch self {
        case .download: "bars (every configured timeframe) and funding from BitGet into the store; always runs (incremental)"
        case .backup: "data/{SYMBOL}/{SYMBOL}_{tf}.csv from the store; redone when the stored series change"
        case .align: "datasets/{SYMBOL}/features-{spec}.h5 from 1m bars and funding; redone when they, the spec or the split change"
        case .train: "agents/{SYMBOL}/{version}/ from the tensor; redone when it, the training or reward settings or the code change"
        case .evaluate: "reports/evaluation/{SYMBOL}-{version}.json/.svg/.records.json; redone for a new candidate, current agent, data or rules"
        case .rank: "strategy records (best/worst N) in the store and the context analysis; redone when the records change"
        case .publish: "the promotion gate: agents/{SYMBOL}/current or rejected with the reason; redone when the report changes"
        }
    }
}

/// How one stage runs for one symbol: the inputs that decide whether it must run again (hashed), the
/// `pipeline` subcommand that does the work, and the outputs recorded for the stages after it.
struct StageDefinition: Sendable {
    var name: StageName
    /// Symbols run at once (false: one after another, e.g. downloads sharing the exchange's rate limits).
    var parallel: Bool
    /// Never skipped (new exchange data is an input no hash can see in advance).
    var alwaysRuns: Bool
    var inputs: @Sendable (Symbol) throws -> [String: String]
    var arguments: @Sendable (Symbol) throws -> [String]
    /// The recorded outputs, from the child's JSON summary lines.
    var outputs: @Sendable (Symbol, [[String: String]]) throws -> [String: String]
    /// Whether earlier outputs are still there (a skip relies on them).
    var outputsExist: @Sendable ([String: String]) -> Bool
}

/// Builds the stage definitions from the configuration and the store.
struct StageCatalog: Sendable {
    let configuration: PipelineConfiguration
    let store: any Store
    let records: PipelineRecords
    let registry: AgentRegistry
    let configDirectory: String?
    var since: String?
    var timesteps: Int?

    func common(_ arguments: [String]) -> [String] { arguments + (configDirectory.map { ["--config", $0] } ?? []) }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }

    static func sha256(file: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: file) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 22), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    func coverage(_ symbol: Symbol) throws -> [String: String] {
        var inputs: [String: String] = [:]
        for series in try store.candleCoverage() where series.symbol == symbol {
            inputs["bars_\(series.timeframe.rawValue)"] = "\(series.count):\(series.firstOpenTime):\(series.lastOpenTime)"
        }
        let funding = try store.fundingRates(symbol: symbol, from: nil, to: nil)
        inputs["funding"] = "\(funding.count):\(funding.last?.time ?? 0)"
        return inputs
    }

    func upstream(_ stage: StageName, _ symbol: Symbol) throws -> [String: String] {
        try records.lastSuccess(stage: stage.rawValue, symbol: symbol.name)?.outputs ?? [:]
    }

    func definitions() -> [StageName: StageDefinition] {
        let paths = configuration.paths
        let spec = FeatureSpec.standard
        let training = configuration.training
        let tensor = { @Sendable (symbol: Symbol) in "\(paths.datasets)/\(symbol.name)/features-\(spec.shortHash).h5" }
        let filesExist = { @Sendable (outputs: [String: String], keys: [String]) in
            keys.allSatisfy { key in outputs[key].map { FileManager.default.fileExists(atPath: $0) } ?? false }
        }
        return [
            .download: StageDefinition(
                name: .download, parallel: false, alwaysRuns: true, inputs: { _ in [:] },
                arguments: { symbol in common(["download", "--symbols", symbol.name] + (since.map { ["--since", $0] } ?? [])) },
                outputs: { symbol, _ in try coverage(symbol) }, outputsExist: { _ in true }),
            .backup: StageDefinition(
                name: .backup, parallel: true, alwaysRuns: false, inputs: { try coverage($0) },
                arguments: { common(["export-csv", "--symbols", $0.name]) },
                outputs: { symbol, _ in
                    ["directory": "\(paths.data)/\(symbol.name)", "files": configuration.symbols.timeframes.map { "\(symbol.name)_\($0.rawValue).csv" }.joined(separator: ",")]
                },
                outputsExist: { FileManager.default.fileExists(atPath: $0["directory"] ?? "/nonexistent") }),
            .align: StageDefinition(
                name: .align, parallel: true, alwaysRuns: false,
                inputs: { symbol in
                    let stored = try coverage(symbol)
                    return ["bars_1m": stored["bars_1m"] ?? "none", "funding": stored["funding"] ?? "none", "spec": spec.hash,
                            "held_out_fraction": "\(training.walkForward.heldOutFraction)"]
                },
                arguments: { common(["align", "--symbols", $0.name]) },
                outputs: { symbol, _ in
                    let path = tensor(symbol)
                    guard let hash = Self.sha256(file: path) else { throw RegistryError(description: "\(path) was not written") }
                    let metadata = try FeatureTensorReader(path: path).metadata
                    return ["tensor": path, "sha256": hash, "rows": "\(metadata.rows)", "valid_rows": "\(metadata.validRows)",
                            "training_rows": "\(metadata.trainingRows)"]
                },
                outputsExist: { filesExist($0, ["tensor"]) }),
            .train: StageDefinition(
                name: .train, parallel: true, alwaysRuns: false,
                inputs: { symbol in
                    var inputs = ["tensor_sha256": try upstream(.align, symbol)["sha256"] ?? Self.sha256(file: tensor(symbol)) ?? "none",
                                  "training": Self.json(training), "rewards": Self.json(configuration.rewards), "risk": Self.json(configuration.risk),
                                  "execution": Self.json(configuration.execution), "symbols": Self.json(configuration.symbols)]
                    if let timesteps { inputs["timesteps"] = "\(timesteps)" }
                    return inputs
                },
                arguments: { symbol in common(["train", "--symbols", symbol.name, "--resume", "--workers", "1"] + (timesteps.map { ["--timesteps", "\($0)"] } ?? [])) },
                outputs: { _, summaries in
                    // Several seeds: the candidate is the run that did best on its training episodes (never on held-out data).
                    guard let best = summaries.max(by: { (Double($0["mean_return_last100"] ?? "") ?? -.infinity) < (Double($1["mean_return_last100"] ?? "") ?? -.infinity) }),
                          let version = best["version"], let artifact = best["artifact"]
                    else { throw RegistryError(description: "training printed no summary") }
                    return ["version": version, "artifact": artifact, "env_steps": best["env_steps"] ?? "",
                            "versions": summaries.compactMap { $0["version"] }.joined(separator: ",")]
                },
                outputsExist: { filesExist($0, ["artifact"]) }),
            .evaluate: StageDefinition(
                name: .evaluate, parallel: true, alwaysRuns: false,
                inputs: { symbol in
                    var inputs = try coverage(symbol)
                    inputs["candidate"] = try candidate(symbol) ?? "none"
                    inputs["current"] = registry.currentVersion(symbol: symbol.name) ?? "none"
                    inputs["rules"] = Self.json(training.evaluation) + Self.json(training.promotion) + Self.json(training.walkForward)
                    inputs["engine"] = Self.json(configuration.risk) + Self.json(configuration.execution)
                    return inputs
                },
                arguments: { symbol in common(["evaluate", "--symbols", symbol.name] + (try candidate(symbol).map { ["--candidate", $0] } ?? [])) },
                outputs: { _, summaries in summaries.last ?? [:] },
                outputsExist: { $0["outcome"] != nil || filesExist($0, ["report", "records"]) }),
            .rank: StageDefinition(
                name: .rank, parallel: true, alwaysRuns: false,
                inputs: { symbol in
                    let evaluated = try upstream(.evaluate, symbol)
                    return ["records": evaluated["records"].flatMap(Self.sha256(file:)) ?? "none", "version": evaluated["version"] ?? "none",
                            "keep": "\(training.evaluation.keepStrategies)"]
                },
                arguments: { symbol in
                    guard let version = try upstream(.evaluate, symbol)["version"] else { return [] }
                    return common(["rank", "--symbols", symbol.name, "--version", version])
                },
                outputs: { _, summaries in summaries.last ?? [:] }, outputsExist: { _ in true }),
            .publish: StageDefinition(
                name: .publish, parallel: false, alwaysRuns: false,
                inputs: { symbol in
                    let evaluated = try upstream(.evaluate, symbol)
                    return ["report": evaluated["report"].flatMap(Self.sha256(file:)) ?? "none",
                            "current": registry.currentVersion(symbol: symbol.name) ?? "none"]
                },
                arguments: { symbol in
                    guard let version = try upstream(.evaluate, symbol)["version"] else { return [] }
                    return common(["publish", "--symbols", symbol.name, "--version", version])
                },
                outputs: { _, summaries in summaries.last ?? [:] }, outputsExist: { _ in true }),
        ]
    }

    /// The candidate of the last successful training of `symbol`, if the training was not already judged.
    func candidate(_ symbol: Symbol) throws -> String? {
        guard let version = try upstream(.train, symbol)["version"] else { return nil }
        let judged = try records.agents(symbol: symbol.name).first { $0.version == version }.map { $0.status != "candidate" } ?? false
        return judged ? nil : version
    }
}

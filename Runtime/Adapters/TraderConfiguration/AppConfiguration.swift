import Foundation
import MarketModel
import Yams

/// The whole configuration of one account: every YAML file of a configuration directory plus the
/// environment. Loaded once at start-up; all problems of all files are reported together.
public struct AppConfiguration: Sendable {
    /// The directory the files were read from.
    public var directory: String
    public var symbols: SymbolsConfiguration
    public var risk: RiskConfiguration
    public var execution: ExecutionConfiguration
    public var training: TrainingConfiguration
    public var rewards: RewardsConfiguration
    public var paths: PathsConfiguration
    public var logging: LoggingConfiguration
    public var environment: EnvironmentSettings

    /// The configuration files, relative to the directory, in the order they are reported.
    public static let files = [
        "trading/symbols.yaml", "trading/risk.yaml", "trading/execution.yaml", "ml/training.yaml", "ml/rewards.yaml",
        "system/paths.yaml", "system/logging.yaml",
    ]

    /// The environment variable that names the configuration directory when `--config` is not given.
    public static let directoryVariable = "TRADER_CONFIG"

    /// The database this configuration points at.
    public var database: DatabaseLocation { environment.databaseLocation(defaultSQLitePath: paths.sqliteDatabase) }

    /// Loads and validates `directory`. `environment` is the process environment (tests pass their own);
    /// it is merged over `directory/.env` when that file exists.
    public static func load(directory: String, environment: [String: String]) throws(ConfigurationError) -> AppConfiguration {
        var issues: [ConfigurationIssue] = []
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigurationError(issues: [ConfigurationIssue(
                file: directory, keyPath: "",
                message: "configuration directory not found (pass --config DIR or set \(directoryVariable))")])
        }
        let symbols: SymbolsConfiguration? = decodeFile("trading/symbols.yaml", in: directory, issues: &issues)
        let risk: RiskConfiguration? = decodeFile("trading/risk.yaml", in: directory, issues: &issues)
        let execution: ExecutionConfiguration? = decodeFile("trading/execution.yaml", in: directory, issues: &issues)
        let training: TrainingConfiguration? = decodeFile("ml/training.yaml", in: directory, issues: &issues)
        let rewards: RewardsConfiguration? = decodeFile("ml/rewards.yaml", in: directory, issues: &issues)
        let paths: PathsConfiguration? = decodeFile("system/paths.yaml", in: directory, issues: &issues)
        let logging: LoggingConfiguration? = decodeFile("system/logging.yaml", in: directory, issues: &issues)

        var values: [String: String] = [:]
        let dotEnvPath = directory + "/.env"
        if let text = try? String(contentsOfFile: dotEnvPath, encoding: .utf8) {
            values = DotEnvFile.parse(text, file: ".env", issues: &issues)
        }
        for key in EnvironmentSettings.knownKeys { if let value = environment[key] { values[key] = value } }
        let settings = EnvironmentSettings(values: values, file: "environment", sink: &issues)

        guard issues.isEmpty, let symbols, let risk, let execution, let training, let rewards, let paths, let logging else {
            throw ConfigurationError(issues: issues)
        }
        return AppConfiguration(directory: directory, symbols: symbols, risk: risk, execution: execution, training: training,
                                rewards: rewards, paths: paths, logging: logging, environment: settings)
    }

    /// The directory chosen by `--config` (when given), else `TRADER_CONFIG`, else `config`.
    public static func directory(option: String?, environment: [String: String]) -> String {
        option ?? environment[directoryVariable].flatMap { $0.isEmpty ? nil : $0 } ?? "config"
    }

    private static func decodeFile<T: Decodable>(_ file: String, in directory: String,
                                                 issues: inout [ConfigurationIssue]) -> T? {
        let path = directory + "/" + file
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            let exists = FileManager.default.fileExists(atPath: path)
            issues.append(ConfigurationIssue(file: file, keyPath: "",
                                             message: exists ? "cannot be read as UTF-8 text" : "file is missing (expected at \(path))"))
            return nil
        }
        return decode(T.self, yaml: text, file: file, issues: &issues)
    }

    /// Decodes one file's text, appending its problems (all of them) to `issues`.
    static func decode<T: Decodable>(_ type: T.Type, yaml: String, file: String,
                                     issues: inout [ConfigurationIssue]) -> T? {
        let node: Node
        do {
            node = try Yams.compose(yaml: yaml) ?? Node.mapping(Node.Mapping([]))
        } catch let error as YamlError {
            issues.append(ConfigurationIssue(file: file, line: error.line, keyPath: "", message: "not valid YAML: \(error.problem)"))
            return nil
        } catch {
            issues.append(ConfigurationIssue(file: file, keyPath: "", message: "not valid YAML: \(error)"))
            return nil
        }
        let sink = ConfigurationIssueSink(file: file)
        let value = try? YAMLDecoder().decode(T.self, from: node, userInfo: [ConfigurationIssueSink.userInfoKey: sink])
        issues += sink.issues
        return sink.issues.isEmpty ? value : nil
    }

    /// The effective configuration as YAML, every secret redacted: what `pipeline config check` prints.
    public func redactedDescription() -> String {
        var sections: [String] = ["# configuration directory: \(directory)"]
        func section(_ file: String, _ value: some Encodable) {
            let yaml = (try? YAMLEncoder().encode(value)).flatMap { try? Yams.compose(yaml: $0) }
                .flatMap { try? Yams.serialize(node: Self.plainNumbers($0)) }
            sections.append("# \(file)\n" + (yaml ?? "(could not be printed)\n"))
        }
        section("trading/symbols.yaml", symbols)
        section("trading/risk.yaml", risk)
        section("trading/execution.yaml", execution)
        section("ml/training.yaml", training)
        section("ml/rewards.yaml", rewards)
        section("system/paths.yaml", paths)
        section("system/logging.yaml", logging)
        sections.append("# environment (and .env)\n" + environment.description)
        sections.append("# database: \(database)")
        return sections.joined(separator: "\n")
    }
}

extension AppConfiguration {
    /// Rewrites float scalars the way people write them (`5`, `0.0001`) instead of Yams' `5e+0`, `1e-4`.
    static func plainNumbers(_ node: Node) -> Node {
        switch node {
        case let .scalar(scalar):
            guard scalar.style == .plain, scalar.string.contains("e"), let value = Double(scalar.string) else { return node }
            let text = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
            return Node(text)
        case let .mapping(mapping):
            return .mapping(Node.Mapping(mapping.map { ($0.key, plainNumbers($0.value)) }))
        case let .sequence(sequence):
            return .sequence(Node.Sequence(sequence.map(plainNumbers)))
        default:
            return node
        }
    }
}

extension YamlError {
    var line: Int? {
        switch self {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _): mark.line
        default: nil
        }
    }

    var problem: String {
        switch self {
        case let .scanner(context, problem, _, _), let .parser(context, problem, _, _),
            let .composer(context, problem, _, _):
            [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        default: String(describing: self)
        }
    }
}

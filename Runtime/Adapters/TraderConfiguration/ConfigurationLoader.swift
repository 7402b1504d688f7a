import Foundation
import MarketModel
import Yams

/// Reads the files of a configuration directory, collecting every problem of every file instead of
/// stopping at the first, so one run reports them all. Shared by the trading and pipeline configurations.
struct ConfigurationLoader {
    let directory: String
    var issues: [ConfigurationIssue] = []

    /// The environment variable that names the configuration directory when `--config` is not given.
    static let directoryVariable = "TRADER_CONFIG"

    /// Starts reading `directory`; throws at once when it is not a directory.
    init(directory: String) throws(ConfigurationError) {
        self.directory = directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigurationError(issues: [ConfigurationIssue(
                file: directory, keyPath: "",
                message: "configuration directory not found (pass --config DIR or set \(Self.directoryVariable))")])
        }
    }

    /// Decodes one file, or records why it cannot be.
    mutating func decodeFile<T: Decodable>(_ file: String) -> T? {
        let path = directory + "/" + file
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            let exists = FileManager.default.fileExists(atPath: path)
            issues.append(ConfigurationIssue(file: file, keyPath: "",
                                             message: exists ? "cannot be read as UTF-8 text" : "file is missing (expected at \(path))"))
            return nil
        }
        return Self.decode(T.self, yaml: text, file: file, issues: &issues)
    }

    /// The settings of `environment` merged over `directory/.env` (when that file exists).
    mutating func environmentSettings(_ environment: [String: String]) -> EnvironmentSettings {
        var values: [String: String] = [:]
        if let text = try? String(contentsOfFile: directory + "/.env", encoding: .utf8) {
            values = DotEnvFile.parse(text, file: ".env", issues: &issues)
        }
        for key in EnvironmentSettings.knownKeys { if let value = environment[key] { values[key] = value } }
        return EnvironmentSettings(values: values, file: "environment", sink: &issues)
    }

    /// Throws every problem found so far, if any.
    func finish() throws(ConfigurationError) {
        if !issues.isEmpty { throw ConfigurationError(issues: issues) }
    }

    /// The directory chosen by `--config` (when given), else `TRADER_CONFIG`, else `config`.
    static func directory(option: String?, environment: [String: String]) -> String {
        option ?? environment[directoryVariable].flatMap { $0.isEmpty ? nil : $0 } ?? "config"
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

    /// One file's section of a printed configuration, as YAML.
    static func section(_ file: String, _ value: some Encodable) -> String {
        let yaml = (try? YAMLEncoder().encode(value)).flatMap { try? Yams.compose(yaml: $0) }
            .flatMap { try? Yams.serialize(node: plainNumbers($0)) }
        return "# \(file)\n" + (yaml ?? "(could not be printed)\n")
    }
}

extension ConfigurationLoader {
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

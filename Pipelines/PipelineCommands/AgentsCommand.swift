import AgentArtifacts
import ArgumentParser
import Foundation
import Policy

/// `pipeline agents …`: look at agent artifacts.
struct AgentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents", abstract: "List, inspect, promote and roll back agent versions.",
        subcommands: [ListAgentsCommand.self, InspectAgentCommand.self, PromoteAgentCommand.self, RollbackAgentCommand.self])
}

/// `pipeline agents inspect VERSION_DIR --obs OBS.csv`.
struct InspectAgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print an agent's manifest summary, and with --obs the action probabilities and value of each observation row.",
        discussion: """
            OBS.csv has a header naming the columns: every feature of the manifest (raw, un-normalised values, \
            as in the tensor or the aligned CSV) and optionally the position features (absent ones are 0, \
            i.e. flat with no drawdown). Other columns are ignored. The output is CSV: row, one probability \
            per action, value, and the most likely action.
            """)

    @Argument(help: "An agent directory, e.g. agents/BTCUSDT/20261126T104508123Z-s0.") var directory: String
    @Option(help: "CSV of observations.") var obs: String?

    func run() throws {
        let agent: AgentArtifact
        do {
            agent = try AgentFiles.load(directory: directory)
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        let manifest = agent.manifest
        let architecture = manifest.architecture
        print("# \(manifest.symbol) \(manifest.version) (\(manifest.environment)), code \(manifest.codeVersion), created \(manifest.createdAt)")
        print("# observation \(architecture.observationSize) = \(manifest.featureNames.count) features + \(manifest.positionFeatures.count) position; \(architecture.hiddenLayers.map(String.init).joined(separator: "×")) \(architecture.activation.rawValue); actions \(manifest.actionMeanings.joined(separator: ", ")); feature spec \(manifest.featureSpecHash.prefix(16))")
        print("# trained \(manifest.metrics.environmentSteps) env steps in \(String(format: "%.1f", manifest.metrics.wallSeconds)) s, mean return (last 100) \(manifest.metrics.meanReturnLast100.map { String(format: "%.4f", $0) } ?? "-")")
        guard let obs else { return }
        let rows: [[Double]]
        do {
            rows = try ObservationFile.read(path: obs, features: manifest.featureNames, optional: manifest.positionFeatures)
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        print((["row"] + manifest.actionMeanings.map { "p_\($0)" } + ["value", "action"]).joined(separator: ","))
        for (index, row) in rows.enumerated() {
            let (probabilities, value) = agent.evaluate(rawObservation: row)
            let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
            let fields = ["\(index + 1)"] + probabilities.map { String(format: "%.6f", $0) } + [String(format: "%.6f", value), manifest.actionMeanings[best]]
            print(fields.joined(separator: ","))
        }
    }
}

/// Observation rows from a CSV with a header, columns picked by name.
enum ObservationFile {
    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    /// Each row as `features` then `optional` (absent optional columns read as 0).
    static func read(path: String, features: [String], optional: [String]) throws -> [[Double]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ReadError(description: "\(path): cannot be read") }
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard let headerLine = lines.first, !headerLine.isEmpty else { throw ReadError(description: "\(path): empty; expected a header row") }
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let missing = features.filter { !header.contains($0) }
        guard missing.isEmpty else {
            throw ReadError(description: "\(path):1: missing feature column(s) \(missing.joined(separator: ", ")) (the agent needs \(features.count) features: \(features.joined(separator: ", ")))")
        }
        let columns = (features + optional).map { header.firstIndex(of: $0) }
        var rows: [[Double]] = []
        for (offset, line) in lines.enumerated().dropFirst() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            var row: [Double] = []
            for (slot, column) in columns.enumerated() {
                guard let column else {
                    row.append(0)
                    continue
                }
                let name = (features + optional)[slot]
                guard column < fields.count else { throw ReadError(description: "\(path):\(offset + 1): no value for \(name) (column \(column + 1))") }
                let field = fields[column].trimmingCharacters(in: .whitespaces)
                guard let value = Double(field), value.isFinite else {
                    throw ReadError(description: "\(path):\(offset + 1): \(name) = \"\(field)\": expected a finite number")
                }
                row.append(value)
            }
            rows.append(row)
        }
        return rows
    }
}

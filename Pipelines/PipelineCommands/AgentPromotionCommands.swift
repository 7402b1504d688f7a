import ArgumentParser
import Foundation
import Storage

extension CommandContext {
    /// The agents directory with the store's bookkeeping.
    func registry() throws -> AgentRegistry {
        let (store, _) = try openStore()
        return AgentRegistry(directory: configuration.paths.agents, records: PipelineRecords(store: store))
    }
}

/// `pipeline agents list [--symbols …]`.
struct ListAgentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Per symbol: versions, status, key out-of-sample metrics; * marks current.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Comma-separated symbols (default: every symbol with agents).") var symbols: String?

    func run() throws {
        let context = try CommandContext.load(global, label: "pipeline.agents")
        let registry = try context.registry()
        let selected = symbols.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? registry.symbols()
        print("  symbol     version                    status     return   sharpe  max dd  trades  reason")
        for symbol in selected {
            let recorded = Dictionary(uniqueKeysWithValues: try registry.records.agents(symbol: symbol).map { ($0.version, $0) })
            let current = registry.currentVersion(symbol: symbol)
            let versions = registry.versions(symbol: symbol)
            if versions.isEmpty { print("  \(symbol): no agents under \(registry.directory)/\(symbol)/") }
            for version in versions {
                let record = recorded[version]
                let metrics = record?.metrics.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
                func number(_ key: String, _ format: String, _ scale: Double = 1) -> String {
                    (metrics[key] as? Double).map { String(format: format, $0 * scale) } ?? "-"
                }
                let mark = version == current ? "*" : " "
                let status = record?.status ?? "unevaluated"
                func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
                    let fill = String(repeating: " ", count: max(0, width - text.count))
                    return right ? fill + text : text + fill
                }
                let line = [mark, pad(symbol, 10), pad(version, 26), pad(status, 10), pad(number("total_return", "%+.2f%%", 100), 7, right: true),
                            pad(number("sharpe", "%.2f"), 8, right: true), pad(number("max_drawdown", "%.2f%%", 100), 7, right: true),
                            pad((metrics["trades"] as? Int).map(String.init) ?? "-", 7, right: true), " " + (record?.reason ?? "")].joined(separator: " ")
                print(line)
            }
        }
    }
}

/// `pipeline agents promote VERSION`.
struct PromoteAgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote", abstract: "Make a version agents/{SYMBOL}/current (it must load: files intact, same feature spec).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "A version, SYMBOL/VERSION, or a version directory.") var version: String
    @Option(help: "Why, for the record.") var reason = "promoted by hand"

    func run() throws {
        let context = try CommandContext.load(global, label: "pipeline.agents")
        let registry = try context.registry()
        do {
            let (symbol, version) = try registry.resolve(version)
            let previous = try registry.promote(symbol: symbol, version: version, kind: "promote", reason: reason,
                                                now: Int64(Date().timeIntervalSince1970 * 1000))
            print("\(symbol): current is now \(version)" + (previous.map { " (was \($0))" } ?? ""))
            context.logger.notice("agent promoted", metadata: ["symbol": "\(symbol)", "version": "\(version)", "previous": "\(previous ?? "-")"])
        } catch let error as RegistryError {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}

/// `pipeline agents rollback SYMBOL`.
struct RollbackAgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback", abstract: "Point agents/{SYMBOL}/current back at the version the current one replaced.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Symbol, e.g. BTCUSDT.") var symbol: String

    func run() throws {
        let context = try CommandContext.load(global, label: "pipeline.agents")
        let registry = try context.registry()
        guard let current = registry.currentVersion(symbol: symbol) else {
            printError("\(symbol): no current agent to roll back")
            throw ExitCode.failure
        }
        guard let target = try registry.rollbackTarget(symbol: symbol) else {
            printError("\(symbol): \(current) replaced no earlier version; nothing to roll back to")
            throw ExitCode.failure
        }
        do {
            _ = try registry.promote(symbol: symbol, version: target, kind: "rollback", reason: "rolled back from \(current)",
                                     now: Int64(Date().timeIntervalSince1970 * 1000))
            print("\(symbol): current is now \(target) (rolled back from \(current))")
            context.logger.notice("agent rolled back", metadata: ["symbol": "\(symbol)", "version": "\(target)", "from": "\(current)"])
        } catch let error as RegistryError {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}

import ArgumentParser
import Foundation
import MarketModel
import Reconciliation
import TraderRuntime

/// `trader reconcile --dry-run [--live] [--demo-trading]`: the store's view of the exchange account next
/// to BitGet's, per symbol, and what reconciliation would do; sends nothing that changes the account.
struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare the store's positions and in-flight orders with the BitGet account and print what reconciliation would do.",
        discussion: """
            Reads, per symbol, the position and the orders without a known outcome from the store, and from \
            BitGet the position, its TP/SL plan orders, the working orders and each in-flight order by its \
            client id; prints both and the actions the rules decide (flatten or adopt an unknown position, \
            re-arm a missing stop, book a missed fill, cancel leftovers, halt on an unknown outcome). \
            Exit status: 0 when every symbol agrees, 3 when there are differences, 1 when a side cannot be read. \
            Acting on them is the running live trader's job: this command only reports (--dry-run is required).
            """)

    @OptionGroup var common: CommonOptions
    @Flag(help: "Report only (required: this command never changes the account).") var dryRun = false
    @OptionGroup var selection: SymbolSelection
    @Option(help: "What to do with a position the bot did not open: flatten or adopt (default: exchange.unknown_position in trading/runtime.yaml, as the trader does).")
    var unknownPosition: String?

    func validate() throws {
        guard dryRun else {
            throw ValidationError("reconcile only reports in this version: pass --dry-run (the running live trader acts on the differences)")
        }
        if let unknownPosition, UnknownPositionPolicy(rawValue: unknownPosition) == nil { throw ValidationError("--unknown-position: flatten or adopt") }
    }

    func run() async throws {
        let context = try TraderContext.load(common, label: "trader.reconcile")
        guard common.liveAccount else {
            printError("the paper account is the trader's own book: there is no exchange account to reconcile it with "
                       + "(--live: the live account's records, with --demo-trading for BitGet's demo account)")
            throw ExitCode(64)
        }
        let store = try context.openStore()
        let configured = context.configuration.symbols
        let selected = selection.chosen
            ?? configured.enabledSymbols.map(\.symbol)
        let unknown = selected.filter { symbol in !configured.symbols.contains { $0.symbol == symbol } }
        guard unknown.isEmpty else {
            printError("\(unknown.map(\.name).joined(separator: ", ")) not in trading/symbols.yaml")
            throw ExitCode(78)
        }
        let reconciliation: AccountReconciliation
        do {
            reconciliation = try AccountReconciliation.make(configuration: context.configuration, store: store, mode: common.mode, demoTrading: common.demoTrading,
                                                            unknownPosition: UnknownPositionPolicy(rawValue: unknownPosition ?? context.configuration.runtime.exchange.unknownPosition) ?? .flatten)
        } catch {
            printError("trader reconcile: \(error)")
            throw ExitCode(78)
        }
        print("reconciling the \(common.mode) records of \(store.location) with BitGet\(common.demoTrading ? " demo trading" : "") at "
              + "\(context.configuration.environment.bitgetBaseURL) (dry run: nothing is sent)")
        let findings = await reconciliation.check(selected)
        for finding in findings { print(AccountReconciliation.lines(finding).joined(separator: "\n")) }
        switch await reconciliation.positionsElsewhere(than: selected) {
        case let others? where !others.isEmpty:
            print("positions on symbols not reconciled here (left alone): \(others.joined(separator: ", "))")
        case nil: print("the account's other positions could not be listed")
        default: break
        }
        let failed = findings.filter { $0.failure != nil }.count, differing = findings.filter { !$0.agrees && $0.failure == nil }.count
        print("\(findings.count - failed - differing) agree, \(differing) differ, \(failed) cannot be read")
        if failed > 0 { throw ExitCode.failure }
        if differing > 0 { throw ExitCode(3) }
    }
}

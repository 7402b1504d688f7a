import BitGet
import Foundation
import MarketModel
import Reconciliation
import Storage
import TraderConfiguration

/// `trader reconcile --dry-run`: per symbol, what the store believes about the exchange account (the
/// journal's position and the orders it sent without a known outcome), what BitGet reports (the
/// position, its TP/SL plan orders, working orders, each in-flight order looked up by its client id),
/// and what the reconciliation rules would do to make them agree. It reads and sends nothing that
/// changes the account; a symbol whose exchange side cannot be read is reported as failing (the running
/// trader would halt it).
public struct AccountReconciliation: Sendable {
    public struct Finding: Sendable {
        public var symbol: Symbol
        public var believed: BelievedState
        public var storeUnreadable = false
        public var report: VenueReport?
        public var actions: [ReconciliationAction]
        /// Why the store or the exchange could not be read.
        public var failure: String?
        public var agrees: Bool { failure == nil && actions.isEmpty }
    }

    let journal: TraderJournal
    let venue: BitGetVenue
    let rules: Reconciliation.Rules

    public init(journal: TraderJournal, venue: BitGetVenue, rules: Reconciliation.Rules) {
        self.journal = journal
        self.venue = venue
        self.rules = rules
    }

    /// The check of `store`'s `mode` account against the BitGet account of the configured credentials
    /// (`demoTrading`: BitGet's demo account, `paptrading: 1`). Missing credentials are refused.
    public static func make(configuration: TradingConfiguration, store: any Store, mode: String, demoTrading: Bool,
                            unknownPosition: UnknownPositionPolicy) throws -> AccountReconciliation {
        let environment = configuration.environment
        guard environment.hasCompleteExchangeCredentials, let key = environment.bitgetAPIKey?.revealed, let secret = environment.bitgetSecret?.revealed,
              let passphrase = environment.bitgetPassphrase?.revealed
        else { throw TraderStartError("reconciling needs the account's BITGET_API_KEY, BITGET_SECRET and BITGET_PASSPHRASE (all three; config/.env or the environment)") }
        var contracts: [Symbol: ContractSpec] = [:]
        for entry in configuration.symbols.symbols { contracts[entry.symbol] = entry.contract }
        let client = BitGetRESTClient(baseURL: environment.bitgetBaseURL, credentials: BitGetCredentials(apiKey: key, secret: secret, passphrase: passphrase),
                                      demoTrading: demoTrading)
        return AccountReconciliation(journal: TraderJournal(store: store, mode: mode), venue: BitGetVenue(client: client, contracts: contracts),
                                     rules: Reconciliation.Rules(unknownPosition: unknownPosition))
    }

    /// What the store believes about `symbol`, and when each in-flight order was sent (UTC ms, this
    /// machine's clock): a `submitted` row may not have left yet, so it counts as sent `now` (which
    /// only delays a "never received" verdict); another takes its last update, the venue's time.
    public func believed(_ symbol: Symbol, now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) throws
        -> (state: BelievedState, sent: [ClientOrderID: Int64])
    {
        let orders = try journal.workingOrders().filter { $0.symbol == symbol.name }
        let sent = Dictionary(orders.map { (ClientOrderID(rawValue: $0.clientOrderID), $0.status == "submitted" ? now : max($0.createdAt, $0.updatedAt)) }) { first, _ in first }
        return (BelievedState(position: try journal.storedPosition(symbol: symbol), inFlight: sent.keys.sorted()), sent)
    }

    /// The symbols with an open position at the exchange that are not among `symbols` (left alone: the
    /// trader never touches what it does not trade); nil when they cannot be read.
    public func positionsElsewhere(than symbols: [Symbol]) async -> [String]? {
        guard let held = try? await venue.symbolsWithPositions() else { return nil }
        let traded = Set(symbols.map(\.name))
        return Array(Set(held.filter { !traded.contains($0) })).sorted()
    }

    /// The finding of every symbol, in order.
    public func check(_ symbols: [Symbol]) async -> [Finding] {
        var findings: [Finding] = []
        for symbol in symbols {
            let believed: (state: BelievedState, sent: [ClientOrderID: Int64])
            do {
                believed = try self.believed(symbol)
            } catch {
                findings.append(Finding(symbol: symbol, believed: BelievedState(position: nil), storeUnreadable: true, actions: [], failure: "the store: \(error)"))
                continue
            }
            do {
                let report = try await venue.report(symbol: symbol, inFlight: believed.sent)
                findings.append(Finding(symbol: symbol, believed: believed.state, report: report,
                                        actions: Reconciliation.reconcile(believed: believed.state, report: report, rules: rules)))
            } catch {
                findings.append(Finding(symbol: symbol, believed: believed.state, actions: [], failure: "the exchange: \(error)"))
            }
        }
        return findings
    }

    /// A finding in words: the two sides, then each action as what would be done.
    public static func lines(_ finding: Finding) -> [String] {
        var lines = ["\(finding.symbol): " + (finding.agrees ? "the store and the exchange agree" : finding.failure == nil ? "differences" : "cannot be reconciled")]
        lines.append("  store:    " + (finding.storeUnreadable ? "unreadable" : describe(finding.believed.position)) + (finding.believed.inFlight.isEmpty ? ""
                     : "; orders without a known outcome: " + finding.believed.inFlight.map(\.rawValue).joined(separator: ", ")))
        if let report = finding.report {
            let position = report.position.map { "\($0.side.rawValue) \(OperatorView.decimal($0.size)) @ \(OperatorView.decimal($0.entryPrice)) \(String(format: "%.0fx", $0.leverage))" } ?? "flat"
            let protections = report.protections.map { "\($0.kind == .stopLoss ? "stop" : "take-profit") \(OperatorView.decimal($0.trigger)) (\($0.venueOrderID))" }
            lines.append("  exchange: \(position)" + (protections.isEmpty ? ", no TP/SL orders" : ", " + protections.joined(separator: ", "))
                         + (report.strayOrders.isEmpty ? "" : "; working orders not sent by the bot: " + report.strayOrders.joined(separator: ", ")))
        }
        if let failure = finding.failure { lines.append("  would halt the symbol: \(failure) cannot be read") }
        lines += finding.actions.map { "  would " + describe($0) }
        return lines
    }

    static func describe(_ position: Position?) -> String {
        guard let position else { return "flat" }
        return "\(position.side.rawValue) \(OperatorView.decimal(position.size)) @ \(OperatorView.decimal(position.entryPrice)) \(String(format: "%.0fx", position.leverage))"
            + ", stop \(position.stopLoss.map(OperatorView.decimal) ?? "none"), take-profit \(position.takeProfit.map(OperatorView.decimal) ?? "none")"
    }

    /// An action as what the trader would do.
    static func describe(_ action: ReconciliationAction) -> String {
        switch action {
        case let .bookFill(id, fill): "book the fill of \(id): \(OperatorView.decimal(fill.size)) @ \(OperatorView.decimal(fill.price)), fee \(OperatorView.decimal(fill.fee))"
        case let .forgetOrder(id, reason): "forget order \(id) (\(reason))"
        case let .bookClosedAtVenue(position): "book the close of the \(position.side.rawValue) position of \(OperatorView.decimal(position.size)) from the exchange's fills (it closed there; halt if they cannot be found)"
        case let .adoptPosition(reported): "take the exchange's position as the truth: \(reported.side.rawValue) \(OperatorView.decimal(reported.size)) @ \(OperatorView.decimal(reported.entryPrice))"
        case let .flatten(reason): "close the position at the exchange, reduce-only market (\(reason))"
        case let .armProtection(stopLoss, takeProfit): "place the stop at \(OperatorView.decimal(stopLoss))" + (takeProfit.map { " and the take-profit at \(OperatorView.decimal($0))" } ?? "") + " (modified in place when one exists)"
        case let .cancelOrders(ids, reason): "cancel \(ids.joined(separator: ", ")) (\(reason))"
        case let .cancelOrder(id, reason): "cancel the rest of \(id) (\(reason))"
        case let .retryLater(reason): "wait and reconcile again, trading nothing for the symbol: \(reason)"
        case let .halt(reason): "halt the symbol and alert: \(reason)"
        }
    }
}

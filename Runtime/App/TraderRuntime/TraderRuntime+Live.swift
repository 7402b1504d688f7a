import BitGet
import Foundation
import Logging
import MarketModel
import Reconciliation
import TraderConfiguration

/// The BitGet account a live trader sends its orders to.
public struct LiveAccount: Sendable {
    public var credentials: BitGetCredentials
    /// BitGet's demo trading (the `paptrading: 1` header, demo API keys): the real path without money.
    public var demoTrading: Bool
    /// Compare this machine's clock with the exchange's at start (off only against a replaying simulator).
    public var checksServerTime: Bool

    public init(apiKey: String, secret: String, passphrase: String, demoTrading: Bool, checksServerTime: Bool = true) {
        credentials = BitGetCredentials(apiKey: apiKey, secret: secret, passphrase: passphrase)
        self.demoTrading = demoTrading
        self.checksServerTime = checksServerTime
    }
}

extension TraderRuntime {
    /// The exchange of a live trader, verified before anything trades: credentials, clock, one-way mode,
    /// isolated margin and the contracts (set when flat, refused otherwise, naming what to fix).
    func liveExchange(_ account: LiveAccount, symbols: [Symbol]) async throws -> DeskExchange {
        let environment = configuration.environment
        var contracts: [Symbol: ContractSpec] = [:]
        for entry in configuration.symbols.symbols { contracts[entry.symbol] = entry.contract }
        let client = BitGetRESTClient(baseURL: environment.bitgetBaseURL, credentials: account.credentials,
                                      logger: Logger(label: "trader.bitget.orders"), demoTrading: account.demoTrading)
        let settings = configuration.runtime.exchange
        let venue = BitGetVenue(client: client, contracts: contracts,
                                settings: LiveVenueSettings(stopConfirmationSeconds: settings.stopConfirmationSeconds,
                                                            checksServerTime: account.checksServerTime),
                                logger: Logger(label: "trader.venue"))
        let report: LiveStartReport
        do {
            report = try await venue.verifyForLiveTrading(symbols: symbols)
            logger.notice("the exchange account is ready", metadata: [
                "demo_trading": "\(account.demoTrading)", "available_usdt": "\(report.availableBalance)",
                "clock_skew_ms": "\(report.clockSkewMilliseconds)", "changes": "\(report.changes.joined(separator: "; "))",
            ])
        } catch let refusal as LiveStartRefusal {
            throw TraderStartError("\(refusal)")
        } catch {
            throw TraderStartError("the BitGet account cannot be checked: \(error)")
        }
        let stream = BitGetPrivateStream(url: ExchangeWatcher.privateURL(publicURL: environment.bitgetWebSocketURL, demoTrading: account.demoTrading),
                                         credentials: account.credentials)
        return DeskExchange(venue: venue, stream: stream, rules: Reconciliation.Rules(unknownPosition: UnknownPositionPolicy(rawValue: settings.unknownPosition) ?? .flatten),
                            reconcileSeconds: settings.reconcileSeconds, accountEquity: report.equity)
    }
}

extension TraderRuntime {
    /// The books size every trade on their allocated capital (1% of it at risk): an exchange account
    /// holding much less would risk more of the real money than that. The capital they may size by is the
    /// larger of their equity now and what the allocator gives the traded symbols at its next rebalance
    /// (`initial_capital` of trading/risk.yaml, each symbol's weight at most `maximum_weight`). Refused
    /// below 95% of it (the rest is what fees, funding and a by-hand close may have moved apart). The
    /// account must be this trader's alone: two traders on one account would each see all of it.
    /// `account`: its USDT equity, as the start-up checks read it.
    func checkAccountCovers(_ bookEquities: [Double], symbols: [Symbol], account: Double) throws {
        let plan = configuration.allocationRules(symbols: symbols)
        let sizing = min(plan.totalCapital, Double(symbols.count) * plan.maximumWeight * plan.totalCapital)
        let books = max(bookEquities.reduce(0, +), sizing)
        guard account < 0.95 * books else { return }
        throw TraderStartError(String(format: "the account's equity is %.2f USDT, less than the %.2f USDT the books of the traded symbols size by: "
                                          + "lower initial_capital in trading/risk.yaml to what the account holds, or add funds; nothing was traded",
                                      account, books))
    }
}

import ArgumentParser
import BuildInfo
import Foundation
import MarketModel
import TraderRuntime

/// `trader run [--symbols …] [--paper | --live [--demo-trading]] [--config DIR]`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Trade until SIGTERM or SIGINT (paper by default).",
        discussion: """
            Paper trading (the default) executes on the simulated venue — the backtester's fill model, fees, \
            slippage, funding, liquidation, with the stop-loss and take-profit as exchange-side triggers — on \
            the live bars of BITGET_BASE_URL / BITGET_WS_URL; its account survives restarts. Each symbol trades \
            its promoted agent (agents/{SYMBOL}/current, reloaded when a promotion or rollback switches it); \
            a symbol without one holds. `--live` trades the BitGet account (with --demo-trading, BitGet's demo \
            account and its demo API keys): each order's row is stored before it is sent under its deterministic clientOid, each position's \
            stop is placed and confirmed on the exchange (closed and halted otherwise), and the account is \
            reconciled at start and every exchange.reconcile_seconds. Live trading needs --live, `live: true` \
            in trading/runtime.yaml and complete BitGet credentials; without --demo-trading it trades real \
            money. The demo account keeps its own records (mode demo) apart from the real one's (mode live).
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var selection: SymbolSelection
    @Flag(help: "Trade on paper (the default).") var paper = false
    @Option(help: "The pipeline executable the retrain trigger starts (default: beside trader).") var pipeline: String?

    func validate() throws {
        if paper, common.liveAccount { throw ValidationError("--paper and --live exclude each other") }
    }

    func run() async throws {
        let context = try TraderContext.load(common, label: "trader")
        let configuration = context.configuration
        var live: LiveAccount?
        if common.liveAccount {
            var missing: [String] = []
            if !configuration.runtime.live { missing.append("`live: true` in trading/runtime.yaml") }
            if !configuration.environment.hasCompleteExchangeCredentials {
                missing.append("BITGET_API_KEY, BITGET_SECRET and BITGET_PASSPHRASE (all three)")
            }
            if !missing.isEmpty {
                printError("live trading refused: it needs --live and " + missing.joined(separator: " and ") + "; nothing was started")
                throw ExitCode(78)
            }
            let environment = configuration.environment
            live = LiveAccount(apiKey: environment.bitgetAPIKey?.revealed ?? "", secret: environment.bitgetSecret?.revealed ?? "",
                               passphrase: environment.bitgetPassphrase?.revealed ?? "",
                               demoTrading: common.demoTrading, checksServerTime: !Self.isLoopback(environment.bitgetBaseURL))
        }
        var telegram: TelegramSettings?
        if let token = configuration.environment.telegramToken?.revealed, !token.isEmpty {
            guard let user = configuration.environment.allowedUserID else {
                printError("trader cannot start: TELEGRAM_TOKEN is set but ALLOWED_USER_ID is not: set it to your Telegram user id (digits), or unset the token to run without Telegram")
                throw ExitCode(78)
            }
            let behaviour = configuration.runtime.telegram
            telegram = TelegramSettings(token: token, allowedUserID: user, baseURL: configuration.environment.telegramBaseURL,
                                        pollSeconds: behaviour.pollSeconds, staleCommandSeconds: behaviour.staleCommandSeconds,
                                        confirmationSeconds: behaviour.confirmationSeconds, dailySummary: behaviour.dailySummary)
        }
        let store = try context.openStore()
        let selected = selection.chosen
        let version = BuildInfo.codeVersion(environment: ProcessInfo.processInfo.environment)
        let runtime = TraderRuntime(configuration: configuration, options: .init(
            mode: common.mode, symbols: selected, pipelineExecutable: pipeline, telegram: telegram, live: live,
            onMonitoringPort: { port in
                print("trader: monitoring on http://\(configuration.runtime.metrics.host):\(port) (/metrics, /health)")
                fflush(nil)
            }), version: version, logger: context.logger)
        do {
            let traded = try runtime.symbols()
            print("trader \(version): \(Self.account(live)) trading \(traded.map(\.name).joined(separator: ", ")) on \(configuration.environment.bitgetBaseURL), store \(store.location)")
            print(telegram.map { "trader: Telegram control for user \($0.allowedUserID) on \($0.baseURL)" } ?? "trader: Telegram off (no TELEGRAM_TOKEN): no commands or alerts on Telegram")
            fflush(nil)
            try await runtime.run(store: store)
            print("trader: stopped")
        } catch let error as TraderStartError {
            printError("trader cannot start: \(error)")
            throw ExitCode.failure
        }
    }

    /// What the trader trades, for its first line.
    static func account(_ live: LiveAccount?) -> String {
        guard let live else { return "paper" }
        return live.demoTrading ? "BitGet demo" : "LIVE real-money"
    }

    /// A simulator on this machine (replaying recorded time): its clock is not compared with this one's.
    static func isLoopback(_ url: String) -> Bool {
        guard let host = URL(string: url)?.host else { return false }
        return host == "127.0.0.1" || host == "localhost" || host == "::1"
    }
}

import Foundation

/// `trading/runtime.yaml`: how the live trader (`trader run`) runs: paper by default, market data
/// checks, agent reloads, metrics, equity snapshots, and the live-Sharpe retrain trigger.
public struct RuntimeConfiguration: Sendable, Codable, Equatable {
    /// Live trading also needs `trader run --live` and complete BitGet credentials.
    public var live: Bool
    public var marketData: MarketDataSettings
    /// Seconds between checks of `agents/{SYMBOL}/current` for a promotion or rollback.
    public var agentReloadSeconds: Double
    public var metrics: MetricsSettings
    /// Minutes between equity snapshots per symbol.
    public var equitySnapshotMinutes: Int
    public var liveSharpe: LiveSharpeSettings
    public var retrain: RetrainSettings
    public var telegram: TelegramBehaviour
    /// What `SIGTERM` may take (finishing the bar in hand, persisting, closing sockets), seconds.
    public var shutdownGraceSeconds: Double
    public var exchange: ExchangeSettings

    enum CodingKeys: String, CodingKey, CaseIterable {
        case live, metrics, retrain, telegram, exchange
        case marketData = "market_data"
        case agentReloadSeconds = "agent_reload_seconds"
        case equitySnapshotMinutes = "equity_snapshot_minutes"
        case liveSharpe = "live_sharpe"
        case shutdownGraceSeconds = "shutdown_grace_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        live = fields.value(.live, or: false)
        marketData = fields.value(.marketData, or: MarketDataSettings())
        agentReloadSeconds = fields.number(.agentReloadSeconds, or: 2, within: 0.05...3_600, unit: " s")
        metrics = fields.value(.metrics, or: MetricsSettings())
        equitySnapshotMinutes = fields.integer(.equitySnapshotMinutes, or: 1, within: 1...1_440)
        liveSharpe = fields.value(.liveSharpe, or: LiveSharpeSettings())
        retrain = fields.value(.retrain, or: RetrainSettings())
        telegram = fields.value(.telegram, or: TelegramBehaviour())
        shutdownGraceSeconds = fields.number(.shutdownGraceSeconds, or: 10, within: 1...600, unit: " s")
        exchange = fields.value(.exchange, or: ExchangeSettings())
    }
}

/// The `market_data:` block: when bars count as stale and whether streamed bars are confirmed.
public struct MarketDataSettings: Sendable, Codable, Equatable {
    /// No closed bar for this long (wall clock) marks a symbol stale: entries blocked until bars arrive.
    public var staleAfterSeconds: Double
    /// A bar that closed longer ago than this (exchange time) when it arrives is a catch-up bar (a
    /// backfill): it updates features and stops but opens no position.
    public var catchUpLagSeconds: Double
    /// Confirm each streamed bar against the exchange's REST candle and trade on the exchange's bar.
    public var confirmBars: Bool
    /// A symbol's bar that starts a new capital rebalance waits up to this long (wall clock) for the other
    /// symbols' bars to reach the volatility it is computed from; then it trades on what is known.
    public var allocationWaitSeconds: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case staleAfterSeconds = "stale_after_seconds"
        case catchUpLagSeconds = "catch_up_lag_seconds"
        case confirmBars = "confirm_bars"
        case allocationWaitSeconds = "allocation_wait_seconds"
    }

    init() {
        staleAfterSeconds = 150
        catchUpLagSeconds = 90
        confirmBars = true
        allocationWaitSeconds = 120
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        staleAfterSeconds = fields.number(.staleAfterSeconds, or: 150, within: 10...86_400, unit: " s")
        catchUpLagSeconds = fields.number(.catchUpLagSeconds, or: 90, within: 1...86_400, unit: " s")
        confirmBars = fields.value(.confirmBars, or: true)
        allocationWaitSeconds = fields.number(.allocationWaitSeconds, or: 120, within: 0...3_600, unit: " s")
    }
}

/// The `metrics:` block: the Prometheus `/metrics` and JSON `/health` endpoint.
public struct MetricsSettings: Sendable, Codable, Equatable {
    public var enabled: Bool
    /// Loopback by default; expose it through a reverse proxy if needed.
    public var host: String
    /// 0 picks a free port (the trader logs it).
    public var port: Int

    enum CodingKeys: String, CodingKey, CaseIterable { case enabled, host, port }

    init() {
        enabled = true
        host = "127.0.0.1"
        port = 9464
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        enabled = fields.value(.enabled, or: true)
        host = fields.value(.host, or: "127.0.0.1")
        fields.check(!host.isEmpty && !host.contains(" "), .host, value: host, "must be a host name or address")
        port = fields.integer(.port, or: 9464, within: 0...65_535)
    }
}

/// The `live_sharpe:` block: the rolling Sharpe of each symbol's live (or paper) equity.
public struct LiveSharpeSettings: Sendable, Codable, Equatable {
    /// Days of daily equity returns the Sharpe is computed over (annualised with √365).
    public var windowDays: Int
    /// Hours between checks of the retrain trigger.
    public var checkHours: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case windowDays = "window_days"
        case checkHours = "check_hours"
    }

    init() {
        windowDays = 14
        checkHours = 1
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        windowDays = fields.integer(.windowDays, or: 14, within: 2...365)
        checkHours = fields.number(.checkHours, or: 1, within: 0.0001...168, unit: " h")
    }
}

/// The `retrain:` block: when the live runtime's Sharpe trigger may start a retrain of a symbol.
public struct RetrainSettings: Sendable, Codable, Equatable {
    /// A symbol whose rolling live Sharpe drops under this is retrained.
    public var sharpeThreshold: Double
    /// Fewer live trades than this in the window: the Sharpe is noise, no retrain.
    public var minimumTrades: Int
    /// Hours after a Sharpe-triggered run of a symbol before another may start.
    public var cooldownHours: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sharpeThreshold = "sharpe_threshold"
        case minimumTrades = "minimum_trades"
        case cooldownHours = "cooldown_hours"
    }

    public init() {
        sharpeThreshold = 1.5
        minimumTrades = 30
        cooldownHours = 24
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        sharpeThreshold = fields.number(.sharpeThreshold, or: 1.5, within: -10...20)
        minimumTrades = fields.integer(.minimumTrades, or: 30, within: 1...1_000_000)
        cooldownHours = fields.number(.cooldownHours, or: 24, within: 0...8_760, unit: " h")
    }
}

/// The `telegram:` block: how the bot polls and asks (the token and the allowed user come from the
/// environment: TELEGRAM_TOKEN, ALLOWED_USER_ID).
public struct TelegramBehaviour: Sendable, Codable, Equatable {
    /// How long one `getUpdates` long poll holds, seconds.
    public var pollSeconds: Int
    /// How long a Yes/No question stays answerable, seconds.
    public var confirmationSeconds: Double
    /// A command older than this when read was sent while the trader was down: one that changes anything
    /// is not carried out (the operator is told to send it again); one that only reads is answered.
    public var staleCommandSeconds: Double
    /// The summary (and equity chart) of each UTC day, sent at 00:00 UTC.
    public var dailySummary: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case pollSeconds = "poll_seconds"
        case confirmationSeconds = "confirmation_seconds"
        case staleCommandSeconds = "stale_command_seconds"
        case dailySummary = "daily_summary"
    }

    public init() {
        pollSeconds = 25
        confirmationSeconds = 60
        staleCommandSeconds = 120
        dailySummary = true
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        pollSeconds = fields.integer(.pollSeconds, or: 25, within: 1...50)
        confirmationSeconds = fields.number(.confirmationSeconds, or: 60, within: 1...3_600, unit: " s")
        staleCommandSeconds = fields.number(.staleCommandSeconds, or: 120, within: 5...86_400, unit: " s")
        dailySummary = fields.value(.dailySummary, or: true)
    }
}

/// The `exchange:` block: how the live trader keeps its books and BitGet's account in agreement.
public struct ExchangeSettings: Sendable, Codable, Equatable {
    /// Seconds between two reconciliations of every symbol with the exchange (positions, orders, stops).
    public var reconcileSeconds: Double
    /// A position the bot did not open: `flatten` (close it, reduce-only) or `adopt` (keep it, with a stop).
    public var unknownPosition: String
    /// How long a new position may wait for its stop to be confirmed at the exchange before it is closed, seconds.
    public var stopConfirmationSeconds: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case reconcileSeconds = "reconcile_seconds"
        case unknownPosition = "unknown_position"
        case stopConfirmationSeconds = "stop_confirmation_seconds"
    }

    init() {
        reconcileSeconds = 45
        unknownPosition = "flatten"
        stopConfirmationSeconds = 10
    }

    public init(from decoder: any Decoder) throws {
        let fields = ConfigMapping(decoder, keys: CodingKeys.self)
        reconcileSeconds = fields.number(.reconcileSeconds, or: 45, within: 1...600, unit: " s")
        unknownPosition = fields.value(.unknownPosition, or: "flatten")
        fields.check(["flatten", "adopt"].contains(unknownPosition), .unknownPosition, value: unknownPosition, "must be flatten or adopt")
        stopConfirmationSeconds = fields.number(.stopConfirmationSeconds, or: 10, within: 1...120, unit: " s")
    }
}

import CoreMetrics
import MarketModel
import Prometheus
import Synchronization
import TradingEngine

/// Every metric the trader exports, defined in this one file (swift-prometheus aborts the process when
/// one name is registered twice with different types or help, so names live only here). Prometheus
/// naming: the `trader_` prefix, base units (`_seconds`, `_usdt`, ratios 0–1), `_total` on counters,
/// no high-cardinality labels (no order or trade ids).
public final class TraderMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let riskStates = Mutex<[Symbol: RiskState]>([:])

    public init(version: String, mode: String) {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // The decision path takes microseconds: buckets from 10 µs to 100 ms.
        factory.durationHistogramBuckets["trader_decision_duration_seconds"] = [
            .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(200), .microseconds(500),
            .milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(100),
        ]
        self.factory = factory
        gauge("trader_build_info", ["version": version, "mode": mode]).record(1)
    }

    // MARK: Definitions

    private func counter(_ name: String, _ labels: [String: String]) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: name, dimensions: labels.sorted { $0.key < $1.key }, factory: factory)
    }

    private func gauge(_ name: String, _ labels: [String: String]) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: name, dimensions: labels.sorted { $0.key < $1.key }, factory: factory)
    }

    /// A closed bar arrived (`source`: stream or backfill).
    public func bar(_ symbol: Symbol, source: String) { counter("trader_bars_total", ["symbol": symbol.name, "source": source]).increment() }

    /// A streamed bar checked against the exchange's REST candle: `match`, `mismatch` (the REST bar was
    /// used) or `unconfirmed` (REST failed; the streamed bar was used).
    public func barConfirmation(_ symbol: Symbol, result: String) {
        counter("trader_bar_confirmations_total", ["symbol": symbol.name, "result": result]).increment()
    }

    /// Seconds since the last closed bar of `symbol` arrived (wall clock).
    public func lastBarAge(_ symbol: Symbol, seconds: Double) { gauge("trader_last_bar_age_seconds", ["symbol": symbol.name]).record(seconds) }

    /// Entries that were not allowed (`reason`: catch_up, stale, no_agent, store_down).
    public func entryBlocked(_ symbol: Symbol, reason: String) {
        counter("trader_entries_blocked_total", ["symbol": symbol.name, "reason": reason]).increment()
    }

    /// Bar → features → inference → risk → command, in process.
    public func decision(seconds: Double) {
        CoreMetrics.Timer(label: "trader_decision_duration_seconds", dimensions: [], factory: factory).recordNanoseconds(Int64(seconds * 1e9))
    }

    /// An order event: `purpose` entry or exit, `result` submitted, filled, rejected or canceled.
    public func order(_ symbol: Symbol, purpose: String, result: String) {
        counter("trader_orders_total", ["symbol": symbol.name, "purpose": purpose, "result": result]).increment()
    }

    public func trade(_ symbol: Symbol, reason: ExitReason) {
        counter("trader_trades_total", ["symbol": symbol.name, "reason": reason.rawValue]).increment()
    }

    /// The account of `symbol` after a bar.
    public func account<Venue: ExecutionVenue>(_ symbol: Symbol, engine: TradingEngine<Venue>) {
        let labels = ["symbol": symbol.name]
        let position = engine.account.position
        gauge("trader_equity_usdt", labels).record(engine.equity)
        gauge("trader_drawdown_ratio", labels).record(engine.risk.drawdown(at: engine.equity))
        gauge("trader_position_size", labels).record((position?.size ?? 0) * (position?.side.sign ?? 0))
        gauge("trader_position_leverage", labels).record(position?.leverage ?? 0)
        gauge("trader_unrealized_pnl_usdt", labels).record(position?.unrealizedPnL(at: engine.lastClose) ?? 0)
        gauge("trader_stop_armed", labels).record(position.map { $0.stopLoss == nil ? 0 : 1 } ?? 0)
        if let position {
            let liquidation = engine.parameters.liquidationPrice(of: position)
            gauge("trader_liquidation_distance_ratio", labels).record(abs(engine.lastClose - liquidation) / max(engine.lastClose, 1e-9))
        }
        riskState(symbol, engine.risk.state)
    }

    /// One gauge per state, 1 for the current one.
    public func riskState(_ symbol: Symbol, _ state: RiskState) {
        let previous = riskStates.withLock { states in
            defer { states[symbol] = state }
            return states[symbol]
        }
        guard previous != state else { return }
        for candidate in [RiskState.active, .reducing, .halted] {
            gauge("trader_risk_state", ["symbol": symbol.name, "state": candidate.rawValue]).record(candidate == state ? 1 : 0)
        }
    }

    /// The agent trading `symbol` (its version as a label, value 1); a refused one counts as `refused`.
    public func agent(_ symbol: Symbol, version: String?, previous: String?) {
        if let previous { gauge("trader_agent_info", ["symbol": symbol.name, "version": previous]).record(0) }
        if let version { gauge("trader_agent_info", ["symbol": symbol.name, "version": version]).record(1) }
    }

    public func agentReload(_ symbol: Symbol, result: String) {
        counter("trader_agent_reloads_total", ["symbol": symbol.name, "result": result]).increment()
    }

    /// The market-data stream: 1 while connected; reconnects and malformed messages counted.
    public func streamConnected(_ connected: Bool) {
        gauge("trader_ws_connected", ["stream": "candles"]).record(connected ? 1 : 0)
        if !connected { counter("trader_ws_reconnects_total", ["stream": "candles"]).increment() }
    }

    public func malformedMessage() { counter("trader_malformed_messages_total", ["stream": "candles"]).increment() }

    public func backfilled(_ symbol: Symbol, bars: Int) {
        counter("trader_backfill_candles_total", ["symbol": symbol.name]).increment(by: Int64(max(0, bars)))
    }

    /// A write to the store failed (it is retried; entries wait for it).
    public func storeFailure() { counter("trader_store_failures_total", [:]).increment() }

    /// The Sharpe trigger started `pipeline run --reason sharpe` (`result`: started, finished, failed).
    public func retrain(_ symbol: Symbol, result: String) {
        counter("trader_retrains_total", ["symbol": symbol.name, "result": result]).increment()
    }

    public func liveSharpe(_ symbol: Symbol, _ value: Double) { gauge("trader_live_sharpe", ["symbol": symbol.name]).record(value) }

    /// The Prometheus text exposition.
    public func exposition() -> String { registry.emitToString() }
}

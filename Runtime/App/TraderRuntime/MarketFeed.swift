import BitGet
import Logging
import MarketModel
import ServiceLifecycle

/// The market-data service: BitGet's candle WebSocket for every traded symbol (REST backfill after any
/// disconnect, so every closed bar arrives once and in order), each streamed bar confirmed against the
/// exchange's REST candle so the bar the agent acts on is the exchange's own (a WebSocket can miss a
/// bar's last update), then handed to the decision loop.
struct MarketFeed: Service {
    let stream: BitGetCandleStream
    let rest: BitGetRESTClient
    /// The open time of the last bar each symbol has already traded (the stream continues after it).
    let lastDelivered: [Symbol: Int64]
    let confirmBars: Bool
    let inputs: AsyncStream<TraderInput>.Continuation
    let metrics: TraderMetrics
    let health: HealthBoard
    let logger: Logger

    func run() async throws {
        health.service("market_feed", "running")
        defer { health.service("market_feed", "stopped") }
        try await untilGracefulShutdown {
            try await stream.run(lastDelivered: lastDelivered) { (symbol: Symbol, closed: ClosedBar) in
                guard !Task.isCancelled else { return }  // stopping: the next start backfills from the stored state
                let final = confirmBars && closed.source == .stream ? await confirm(symbol, closed) : closed
                inputs.yield(.bar(symbol, final))
            }
        }
    }

    /// The exchange's REST candle for the streamed bar (tried a few times while the exchange publishes
    /// it), counting whether the streamed snapshot matched; the streamed bar when REST does not answer.
    func confirm(_ symbol: Symbol, _ closed: ClosedBar) async -> ClosedBar {
        let open = closed.bar.openTime
        for attempt in 0..<3 where !Task.isCancelled {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(200)) }
            guard let page = try? await rest.candles(symbol: symbol, timeframe: .oneMinute, startTime: open, endTime: open + 60_000, limit: 2),
                  let exchange = page.bars.first(where: { $0.openTime == open })
            else { continue }
            if exchange == closed.bar {
                metrics.barConfirmation(symbol, result: "match")
            } else {
                metrics.barConfirmation(symbol, result: "mismatch")
                logger.warning("the streamed bar differs from the exchange's; trading on the exchange's", metadata: [
                    "symbol": "\(symbol)", "open": "\(UTCTime.format(open))", "stream": "\(closed.bar)", "exchange": "\(exchange)",
                ])
            }
            return ClosedBar(bar: exchange, exchangeTime: closed.exchangeTime, source: .stream)
        }
        metrics.barConfirmation(symbol, result: "unconfirmed")
        logger.warning("the exchange did not confirm the bar; trading on the streamed one", metadata: [
            "symbol": "\(symbol)", "open": "\(UTCTime.format(open))",
        ])
        return closed
    }
}

/// A tick about once a second: staleness checks, health, retried writes.
struct Ticker: Service {
    let inputs: AsyncStream<TraderInput>.Continuation
    var interval: Duration = .seconds(1)

    func run() async throws {
        try await untilGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                inputs.yield(.tick)
            }
        }
    }
}

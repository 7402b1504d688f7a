import Foundation
import Logging
import MarketModel
import NIOCore
import NIOPosix
import WSClient

/// A closed bar as the stream delivers it: the bar, the exchange's time when it was known to be closed
/// (the push's `ts`, or the server time of a backfill), and where it came from.
public struct ClosedBar: Sendable, Equatable {
    public enum Source: String, Sendable { case stream, backfill }

    public var bar: Bar
    /// UTC ms, the exchange's clock.
    public var exchangeTime: Int64
    public var source: Source

    public init(bar: Bar, exchangeTime: Int64, source: Source) {
        self.bar = bar
        self.exchangeTime = exchangeTime
        self.source = source
    }
}

/// What happened to the stream's connection, for metrics and logs.
public enum CandleStreamEvent: Sendable, Equatable {
    case connected
    case disconnected(reason: String)
    case backfilled(symbol: Symbol, bars: Int)
    case malformedMessage
}

/// Closed 1m (or other) bars of several symbols from BitGet's public WebSocket, delivered exactly once and
/// in order per symbol. The channel pushes the bar in progress over and over; a bar is final when a row
/// with a later open time arrives. The stream pings every `pingInterval`, reconnects with backoff when the
/// connection drops, resubscribes, and before delivering anything after a reconnect (or whenever a jump
/// in open times shows missed bars) fetches the missing bars over REST, so the consumer never sees a gap
/// or a duplicate. Malformed messages are logged with their text and dropped.
public struct BitGetCandleStream: Sendable {
    public var url: String
    public var symbols: [Symbol]
    public var timeframe: Timeframe
    public var rest: BitGetRESTClient
    public var pingInterval: Duration = .seconds(30)
    public var maximumBackoff: Duration = .seconds(30)
    public var logger = Logger(label: "bitget.stream")
    /// Told about connections, disconnections, backfills and dropped messages.
    public var onEvent: @Sendable (CandleStreamEvent) -> Void = { _ in }

    public init(url: String, symbols: [Symbol], timeframe: Timeframe = .oneMinute, rest: BitGetRESTClient) {
        self.url = url
        self.symbols = symbols
        self.timeframe = timeframe
        self.rest = rest
    }

    /// Runs until cancelled. `lastDelivered` is the open time of the last bar the consumer already has per
    /// symbol (nil: start with what the stream sends). `deliver` is called with every closed bar in order.
    public func run(lastDelivered: [Symbol: Int64] = [:], deliver: @escaping @Sendable (Symbol, Bar) async -> Void) async throws {
        try await run(lastDelivered: lastDelivered) { (symbol: Symbol, closed: ClosedBar) in await deliver(symbol, closed.bar) }
    }

    /// As `run(lastDelivered:deliver:)`, each bar with the exchange's time and its source.
    public func run(lastDelivered: [Symbol: Int64] = [:], deliver: @escaping @Sendable (Symbol, ClosedBar) async -> Void) async throws {
        let state = StreamState(lastDelivered: lastDelivered)
        var failures = 0
        while !Task.isCancelled {
            let connectedAt = ContinuousClock.now
            do {
                try await connect(state: state, deliver: deliver)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("candle stream disconnected", metadata: ["error": "\(error)"])
                onEvent(.disconnected(reason: "\(error)"))
            }
            if Task.isCancelled { return }
            failures = ContinuousClock.now - connectedAt > .seconds(60) ? 1 : failures + 1
            let backoff = min(maximumBackoff, .milliseconds(250) * (1 << min(failures - 1, 7)))
            try? await Task.sleep(for: backoff)
        }
    }

    private func connect(state: StreamState, deliver: @escaping @Sendable (Symbol, ClosedBar) async -> Void) async throws {
        let channel = "candle" + BitGetRESTClient.granularity(timeframe)
        let subscribe = json(["op": "subscribe", "args": symbols.map { ["instType": "USDT-FUTURES", "channel": channel, "instId": $0.name] }])
        let stream = self
        try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 22), logger: logger) { inbound, outbound, _ in
            try await outbound.write(.text(subscribe))
            stream.onEvent(.connected)
            // Whatever was missed while disconnected comes over REST first, the symbols merged in time order.
            try await stream.backfill(stream.symbols, state: state, deliver: deliver)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: stream.pingInterval)
                        try await outbound.write(.text("ping"))
                    }
                }
                group.addTask {
                    for try await message in inbound.messages(maxSize: 1 << 22) {
                        try Task.checkCancellation()
                        guard case let .text(text) = message else { continue }
                        try await stream.handle(text, state: state, deliver: deliver)
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    func handle(_ text: String, state: StreamState, deliver: @escaping @Sendable (Symbol, ClosedBar) async -> Void) async throws {
        if text == "pong" { return }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            logger.warning("malformed stream message dropped", metadata: ["raw": "\(text.prefix(300))"])
            onEvent(.malformedMessage)
            return
        }
        if let event = object["event"] as? String {
            if event == "error" { logger.error("stream error", metadata: ["raw": "\(text.prefix(300))"]) }
            return
        }
        guard let arg = object["arg"] as? [String: Any], let instId = arg["instId"] as? String, let symbol = Symbol(instId),
              let rows = object["data"] as? [Any]
        else {
            logger.warning("unexpected stream message dropped", metadata: ["raw": "\(text.prefix(300))"])
            onEvent(.malformedMessage)
            return
        }
        let pushTime = (object["ts"] as? NSNumber)?.int64Value ?? (object["ts"] as? String).flatMap { Int64($0) }
        var bars: [Bar] = []
        for row in rows {
            switch BitGetRESTClient.parseCandle(row, timeframe: timeframe) {
            case let .success(bar): bars.append(bar)
            case let .failure(problem):
                logger.warning("malformed candle row dropped", metadata: ["symbol": "\(symbol)", "reason": "\(problem)", "raw": "\(row)"])
                onEvent(.malformedMessage)
            }
        }
        for bar in bars.sorted(by: { $0.openTime < $1.openTime }) {
            // A row with a later open time makes the pending bar final.
            if let finished = await state.replacePending(symbol, with: bar) {
                // The later row's open time is the exchange's time at the latest when the bar was closed.
                let known = max(pushTime ?? bar.openTime, bar.openTime)
                try await emit(symbol, ClosedBar(bar: finished, exchangeTime: known, source: .stream), state: state, deliver: deliver)
            }
        }
    }

    /// Delivers `closed` unless it was already delivered, fetching any bars missed before it first.
    private func emit(_ symbol: Symbol, _ closed: ClosedBar, state: StreamState,
                      deliver: @escaping @Sendable (Symbol, ClosedBar) async -> Void) async throws {
        if let last = await state.lastDelivered[symbol], closed.bar.openTime > last + timeframe.milliseconds {
            try await backfill([symbol], state: state, deliver: deliver, before: closed.bar.openTime)
        }
        if await state.markDelivered(symbol, closed.bar.openTime) { await deliver(symbol, closed) }
    }

    private func json(_ object: [String: Any]) -> String {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// Per-symbol bookkeeping of the stream: the pending (unfinished) bar and the last delivered open time.
actor StreamState {
    private(set) var lastDelivered: [Symbol: Int64]
    private var pending: [Symbol: Bar] = [:]

    init(lastDelivered: [Symbol: Int64]) { self.lastDelivered = lastDelivered }

    /// Records the newest row of a symbol; returns the previous pending bar when this row is later.
    func replacePending(_ symbol: Symbol, with bar: Bar) -> Bar? {
        defer { if bar.openTime >= (pending[symbol]?.openTime ?? .min) { pending[symbol] = bar } }
        guard let previous = pending[symbol], bar.openTime > previous.openTime else { return nil }
        return previous
    }

    /// Whether `openTime` is new (later than the last delivered); records it when it is.
    func markDelivered(_ symbol: Symbol, _ openTime: Int64) -> Bool {
        if let last = lastDelivered[symbol], openTime <= last { return false }
        lastDelivered[symbol] = openTime
        return true
    }
}

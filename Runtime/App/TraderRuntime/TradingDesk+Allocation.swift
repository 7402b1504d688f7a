import BitGet
import Foundation
import MarketModel
import TradingEngine

/// A symbol's bars waiting for the other symbols to catch up, oldest first, and since when (wall clock)
/// the first of them waits.
struct HeldBars {
    var bars: [ClosedBar]
    var since: ContinuousClock.Instant
}

extension TradingDesk {
    /// Trades `closed`, unless it starts a capital rebalance whose volatility (every traded symbol's, one
    /// stop-timeframe bar before the rebalance) is not final yet because some symbols' bars are behind,
    /// as when the symbols' missed bars are backfilled one symbol after another. Then the bar, and the
    /// symbol's later bars in order, wait until those symbols have caught up, or
    /// `allocation_wait_seconds` at most (then the capital comes from the volatility known, and says so).
    /// A backtest reads every symbol's volatility at the same bar time; waiting makes the trader's capital
    /// the same whatever order the symbols' bars arrive in. Held bars are not stored yet: after a crash the
    /// feed backfills them again from each symbol's last traded bar.
    func trade(_ symbol: Symbol, _ closed: ClosedBar) async {
        if closed.exchangeTime > latestExchangeTime?.time ?? .min { latestExchangeTime = (closed.exchangeTime, .now) }
        if held[symbol] != nil {
            health.barArrived(symbol)
            held[symbol]?.bars.append(closed)
            return
        }
        let behind = volatilityBehind(symbol, close: closed.bar.openTime + 60_000)
        if !behind.isEmpty, settings.allocationWaitSeconds > 0 {
            health.barArrived(symbol)
            held[symbol] = HeldBars(bars: [closed], since: .now)
            return
        }
        await tradeAfterWaiting(symbol, closed, behind: behind)
        if !held.isEmpty { await releaseHeld() }
    }

    /// Trades `closed`; when symbols are still `behind`, says that the rebalance uses what is known of them.
    private func tradeAfterWaiting(_ symbol: Symbol, _ closed: ClosedBar, behind: [Symbol]) async {
        if !behind.isEmpty {
            let time = settings.allocation.rebalanceTime(before: closed.bar.openTime + 60_000)
            await note(symbol, "allocation", "the capital rebalance at \(UTCTime.format(time)) waited \(Int(settings.allocationWaitSeconds)) s for bars of "
                + "\(behind.map(\.name).joined(separator: ", ")) and uses their last known volatility", level: .warning)
        }
        await tradeNow(symbol, closed)
    }

    /// Trades the held bars whose wait is over (the symbols they wait for caught up, or the wait expired),
    /// until no more can go.
    func releaseHeld() async {
        var progressed = true
        while progressed {
            progressed = false
            for symbol in held.keys.sorted() {
                guard var waiting = held[symbol] else { continue }
                while var next = waiting.bars.first {
                    let behind = volatilityBehind(symbol, close: next.bar.openTime + 60_000)
                    let expired = ContinuousClock.now - waiting.since >= .seconds(settings.allocationWaitSeconds)
                    if !behind.isEmpty && !expired { break }
                    waiting.bars.removeFirst()
                    waiting.since = .now
                    held[symbol] = waiting
                    // A bar traded late is as late as the wait made it: past `catch_up_lag_seconds` it opens nothing.
                    next.exchangeTime = max(next.exchangeTime, estimatedExchangeTime)
                    await tradeAfterWaiting(symbol, next, behind: behind)
                    progressed = true
                }
                held[symbol] = waiting.bars.isEmpty ? nil : waiting
            }
        }
    }

    /// The exchange's time now, UTC ms, as the latest bar's exchange time plus the wall time since it arrived.
    private var estimatedExchangeTime: Int64 {
        guard let latest = latestExchangeTime else { return .min }
        let elapsed = ContinuousClock.now - latest.seen
        return latest.time + elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    /// The traded symbols whose volatility for the rebalance a bar of `symbol` closing at `close` would
    /// start is not final yet (none when that bar starts no rebalance). A symbol's volatility at `t` is
    /// final once it has traded a bar closing at or after `t`, or when its next bar (held) closes after `t`:
    /// so symbols held at the same rebalance never wait for each other.
    func volatilityBehind(_ symbol: Symbol, close: Int64) -> [Symbol] {
        let plan = settings.allocation
        guard plan.method == .inverseVolatility, let trader = traders[symbol] else { return [] }
        let time = plan.rebalanceTime(before: close)
        guard trader.allocationTime != time else { return [] }
        let needed = time - plan.lag
        return plan.symbols.filter { member in
            guard member != symbol, let other = traders[member] else { return false }
            if (other.volatility.lastBarClose ?? .min) >= needed { return false }
            if let next = held[member]?.bars.first, next.bar.openTime + 60_000 > needed { return false }
            return true
        }
    }

    /// Moves the symbol to the allocator's capital for the rebalance that governs a decision at `close`,
    /// read from every traded symbol's volatility one stop-timeframe bar before it.
    func allocate(_ trader: inout SymbolTrader<Venue>, close: Int64) {
        let plan = settings.allocation
        let time = plan.rebalanceTime(before: close)
        guard trader.allocationTime != time else { return }
        let symbol = trader.symbol
        let capitals = plan.capitals(at: time) { member, at in
            member == symbol ? trader.volatility.value(at: at) : self.traders[member]?.volatility.value(at: at)
        }
        let capital = capitals[symbol] ?? plan.equalShare
        if trader.allocationTime != nil, abs(capital - trader.engine.allocatedCapital) > 1e-9 {
            logger.info("capital re-balanced", metadata: ["symbol": "\(symbol)", "capital": "\(capital)", "rebalance": "\(UTCTime.format(time))"])
        }
        trader.setAllocation(capital, at: time)
    }
}

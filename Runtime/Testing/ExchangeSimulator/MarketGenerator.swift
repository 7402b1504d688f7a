import Foundation
import MarketModel

/// A seeded synthetic market that looks like crypto: volatility that clusters (GARCH(1,1)), fat-tailed
/// returns (Student t, 4 degrees of freedom), trends and ranges that alternate (a slowly switching drift),
/// a daily volume cycle, and every bar valid. The same seed (and edge) gives the same market.
///
/// With `edge > 0` the market carries a planted edge, a known answer for the learner and the promotion
/// gate: the UTC day is cut into six 4-hour blocks (see `PlantedEdgeSchedule`), each with a sign in
/// {−1, 0, +1}, and every 1m bar opening in a block of sign s gets an extra log-return drift of
/// s · `driftPerMinute`. The agents can see the block through the `time_of_day_sin/cos` features. The
/// signs come from their own stream, so the bars of `edge == 0` are bit for bit those of the generator
/// without the planted edge, and a seed's signs are the same for every edge (edge 0 is a placebo of the
/// same schedule). Funding ignores the planted drift.
public struct MarketGenerator {
    public var seed: UInt64
    /// Drift of the time-of-day regimes in units of the long-run per-minute volatility σ = sqrt(1e-7)
    /// (0: no planted edge; 0.05 ≈ 1.58e-5 per minute ≈ 0.38% over a 4-hour block). Finite and ≥ 0.
    public var edge: Double

    /// Long-run per-minute return variance of the GARCH process (σ ≈ 0.032% per minute).
    static let longRunVariance = 1e-7

    public init(seed: UInt64, edge: Double = 0) {
        precondition(edge.isFinite && edge >= 0, "planted edge must be finite and >= 0, got \(edge)")
        self.seed = seed
        self.edge = edge
    }

    /// The planted drift of a +1 block: a log-return per 1m bar (a fraction of price), edge · sqrt(1e-7).
    public var driftPerMinute: Double { edge * Self.longRunVariance.squareRoot() }

    /// The time-of-day schedule of `symbol`'s planted regimes (drawn even when `edge == 0`).
    public func schedule(symbol: Symbol) -> PlantedEdgeSchedule { PlantedEdgeSchedule(seed: seed, symbol: symbol) }

    /// Starting prices of the known symbols (others start at 100).
    static let startPrices: [String: Double] = [
        "BTCUSDT": 60_000, "ETHUSDT": 3_000, "SOLUSDT": 150, "ADAUSDT": 0.6, "DOGEUSDT": 0.15, "LINKUSDT": 15,
    ]

    /// `minutes` 1m bars of `symbol` from `start` (UTC ms, on the minute), and funding every 8 hours.
    public func generate(symbol: Symbol, start: Int64, minutes: Int) -> (bars: [Bar], funding: [FundingRate]) {
        var random = SplitMixRandom(seed: seed &+ UInt64(truncatingIfNeeded: symbol.name.hashValueStable))
        let regimes = schedule(symbol: symbol), planted = driftPerMinute
        let tick = KnownContracts.spec(for: symbol)?.tickSize ?? 0.0001
        var price = Self.startPrices[symbol.name] ?? 100
        var variance = Self.longRunVariance  // per-minute return variance (≈ 0.03% per minute)
        let longRun = Self.longRunVariance, alpha = 0.06, beta = 0.93
        var drift = 0.0
        var bars: [Bar] = [], funding: [FundingRate] = []
        bars.reserveCapacity(minutes)
        for index in 0..<minutes {
            if random.unit() < 1.0 / 2_880 {  // about twice a day the regime may change
                drift = random.unit() < 0.5 ? 0 : (random.unit() - 0.5) * 4e-5
            }
            let shock = random.studentT(degrees: 4) * variance.squareRoot()
            variance = longRun * (1 - alpha - beta) + alpha * shock * shock + beta * variance
            variance = min(max(variance, 1e-9), 4e-6)
            let time = start + Int64(index) * 60_000
            let open = price
            // With edge 0 the planted term is ±0.0, which leaves `drift + shock` unchanged bit for bit.
            let close = max(tick, open * exp(drift + Double(regimes.sign(at: time)) * planted + shock))
            let wick = abs(random.normal()) * variance.squareRoot() * 0.8
            let high = max(open, close) * (1 + wick), low = min(open, close) * (1 - abs(random.normal()) * variance.squareRoot() * 0.8)
            let hour = Double((time / 3_600_000) % 24)
            let volume = exp(3 + 0.5 * sin(hour / 24 * 2 * .pi) + 0.5 * random.normal()) * (1 + abs(shock) * 2_000)
            func onTick(_ value: Double) -> Double { max(tick, (value / tick).rounded() * tick) }
            let roundedOpen = onTick(open), roundedClose = onTick(close)
            bars.append(Bar(openTime: time, open: roundedOpen, high: max(onTick(high), roundedOpen, roundedClose),
                            low: min(onTick(low), roundedOpen, roundedClose), close: roundedClose, volume: (volume * 1_000).rounded() / 1_000))
            price = close
            if (time + 60_000) % 28_800_000 == 0 {
                let rate = 0.0001 + drift * 20 + random.normal() * 0.00005
                funding.append(FundingRate(time: time + 60_000, rate: (rate * 1e6).rounded() / 1e6))
            }
        }
        return (bars, funding)
    }

    /// A market of several symbols over the same minutes.
    public func market(symbols: [Symbol], start: Int64, minutes: Int) -> SimulatedMarket {
        var bars: [Symbol: [Bar]] = [:], funding: [Symbol: [FundingRate]] = [:]
        for symbol in symbols {
            let generated = generate(symbol: symbol, start: start, minutes: minutes)
            bars[symbol] = generated.bars
            funding[symbol] = generated.funding
        }
        return SimulatedMarket(minuteBars: bars, funding: funding)
    }
}

/// SplitMix64 with normal and Student-t draws.
struct SplitMixRandom {
    private var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(state: seed) }

    mutating func next() -> UInt64 { generator.next() }
    mutating func unit() -> Double { generator.unit() }

    mutating func normal() -> Double {
        let u = max(unit(), 1e-300), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    /// Student t scaled to unit variance.
    mutating func studentT(degrees: Int) -> Double {
        var chiSquare = 0.0
        for _ in 0..<degrees { let value = normal(); chiSquare += value * value }
        let t = normal() / (chiSquare / Double(degrees)).squareRoot()
        return t / (Double(degrees) / Double(degrees - 2)).squareRoot()
    }
}

extension String {
    /// A hash that is the same in every process (Swift's `hashValue` is seeded per process).
    var hashValueStable: UInt64 {
        utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }
}

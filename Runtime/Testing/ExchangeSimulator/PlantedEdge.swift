import MarketModel
import TradingEngine

/// The time-of-day regimes of a planted edge (see `MarketGenerator.edge`): the UTC day cut into six
/// 4-hour blocks (00–04, 04–08, …, 20–24), each with a sign in {−1, 0, +1}. In a block of sign s every
/// 1m bar's log-return gets an extra drift of s · `MarketGenerator.driftPerMinute`.
///
/// The signs are drawn once per (seed, symbol) from their own SplitMix64 stream, separate from the
/// stream of the bars, so drawing them never changes a bar. Each sign is uniform on {−1, 0, +1}; a draw
/// without at least one +1 block and one −1 block, or with more of one than of the other, is redrawn
/// (still from the same stream): every schedule has a long and a short opportunity and no net daily
/// drift, so the edge is in the time of day, not in a trend a whole day shares (which "always long"
/// would collect).
public struct PlantedEdgeSchedule: Sendable, Hashable {
    /// Blocks per UTC day.
    public static let blockCount = 6
    /// Length of a block, ms (4 hours).
    public static let blockMilliseconds: Int64 = 14_400_000
    /// Tag mixed into the seed so the schedule's stream is unrelated to the bars' stream.
    static let streamTag: UInt64 = 0x504C_414E_5445_4447  // "PLANTEDG"

    /// Sign of each block, −1, 0 or +1; index 0 is 00–04 UTC, index 5 is 20–24 UTC.
    public let signs: [Int]

    /// The schedule of `symbol` under the generator seed `seed`.
    public init(seed: UInt64, symbol: Symbol) {
        var random = SplitMix64(seed: (seed &+ symbol.name.hashValueStable) ^ Self.streamTag)
        var signs: [Int] = []  // initialised: a `repeat` over an unset array crashes swiftc 6.3 -O (OSSA lifetime)
        repeat {
            signs = (0..<Self.blockCount).map { _ in Int(random.unit() * 3) - 1 }
        } while !(signs.contains(1) && signs.contains(-1)) || signs.reduce(0, +) != 0
        self.signs = signs
    }

    /// The block (0…5) of the bar opening at `openTime`, UTC ms (times before 1970 included).
    public static func block(at openTime: Int64) -> Int {
        let day: Int64 = 86_400_000
        return Int(((openTime % day) + day) % day / blockMilliseconds)
    }

    /// The sign of the bar opening at `openTime`, UTC ms.
    public func sign(at openTime: Int64) -> Int { signs[Self.block(at: openTime)] }

    /// The signs as text, e.g. `+,0,−,+,0,−`.
    public var signText: String { signs.map { $0 > 0 ? "+" : $0 < 0 ? "−" : "0" }.joined(separator: ",") }

    /// The UTC hours of the blocks, e.g. `00-04,04-08,…,20-24`.
    public static var blockHoursText: String {
        (0..<blockCount).map { block in
            let from = block * 4, to = from + 4
            return (from < 10 ? "0\(from)" : "\(from)") + "-" + (to < 10 ? "0\(to)" : "\(to)")
        }.joined(separator: ",")
    }
}

/// The policy that knows the planted regime: at each close it wants the side of the next bar's block
/// (long in +1, short in −1, nothing new in 0). Through the engine it pays the same costs and obeys the
/// same risk rules as an agent: the yardstick of what the planted edge is worth after costs.
public struct PlantedEdgeOracle: TradingPolicy {
    public let name = "oracle"
    public let schedule: PlantedEdgeSchedule
    /// Bar length, ms: the decision at a close is filled at the next bar's open.
    public let barMilliseconds: Int64

    public init(schedule: PlantedEdgeSchedule, barMilliseconds: Int64 = 60_000) {
        self.schedule = schedule
        self.barMilliseconds = barMilliseconds
    }

    public mutating func action(for observation: Observation) -> AgentAction {
        switch schedule.sign(at: observation.bar.openTime + barMilliseconds) {
        case 1: .long
        case -1: .short
        default: .hold
        }
    }
}

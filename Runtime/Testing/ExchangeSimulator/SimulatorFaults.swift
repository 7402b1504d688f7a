import Foundation
import MarketModel
import Synchronization

/// Faults the simulator injects, parsed from `--faults "ws-close=10,http-429=0.05,http-5xx=0.02,latency-ms=50,malformed=0.01"`.
public struct SimulatorFaults: Sendable, Equatable {
    /// Close every WebSocket connection this often, wall seconds (nil: never).
    public var closeWebSocketsEverySeconds: Double?
    /// Fractions of REST requests answered with 429, or with a 5xx error.
    public var rateLimitedFraction = 0.0
    public var serverErrorFraction = 0.0
    /// Added to every REST response, ms.
    public var latencyMilliseconds = 0
    /// Fraction of WebSocket pushes sent malformed.
    public var malformedFraction = 0.0
    /// Fractions of order requests (place, cancel, position TP/SL) that the exchange carries out but
    /// whose answer is lost (held back past any client timeout), or answered with a 5xx afterwards.
    public var lostResponseFraction = 0.0
    public var acceptedServerErrorFraction = 0.0

    public init() {}

    public static let keys = ["ws-close", "http-429", "http-5xx", "latency-ms", "malformed", "lost-response", "accepted-5xx"]

    /// Parses the flag; throws with the offending part and the allowed keys.
    public init(parsing text: String) throws {
        for part in text.split(separator: ",") where !part.trimmingCharacters(in: .whitespaces).isEmpty {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, let value = Double(pair[1]), value >= 0 else {
                throw FaultParseError(description: "--faults \(part): expected key=number (keys: \(Self.keys.joined(separator: ", ")))")
            }
            switch pair[0] {
            case "ws-close": closeWebSocketsEverySeconds = value > 0 ? value : nil
            case "http-429": rateLimitedFraction = value
            case "http-5xx": serverErrorFraction = value
            case "latency-ms": latencyMilliseconds = Int(value)
            case "malformed": malformedFraction = value
            case "lost-response": lostResponseFraction = value
            case "accepted-5xx": acceptedServerErrorFraction = value
            default: throw FaultParseError(description: "--faults \(pair[0]): unknown fault (keys: \(Self.keys.joined(separator: ", ")))")
            }
        }
        if rateLimitedFraction + serverErrorFraction > 1 {
            throw FaultParseError(description: "--faults: http-429 + http-5xx must not exceed 1")
        }
        if lostResponseFraction + acceptedServerErrorFraction > 1 {
            throw FaultParseError(description: "--faults: lost-response + accepted-5xx must not exceed 1")
        }
    }
}

public struct FaultParseError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// A seeded source of fault decisions shared by the server's handlers.
final class FaultDice: Sendable {
    private let generator: Mutex<SplitMix64>
    init(seed: UInt64) { generator = Mutex(SplitMix64(state: seed)) }

    func roll() -> Double { generator.withLock { $0.unit() } }
}

import Foundation

/// Per-endpoint request budgets (BitGet: market data 20/s, place and cancel 10/s, leverage and margin
/// mode 5/s), enforced as token buckets so bursts stay within the limit.
public actor RateLimiter {
    public struct Budget: Sendable {
        public var requestsPerSecond: Double
        public var burst: Double
        public init(requestsPerSecond: Double, burst: Double? = nil) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = burst ?? requestsPerSecond
        }
    }

    private var budgets: [String: Budget]
    private var tokens: [String: Double] = [:]
    private var refilled: [String: Double] = [:]
    private let now: @Sendable () -> Double

    /// `now` is seconds on a monotonic clock (injectable for tests).
    public init(budgets: [String: Budget] = RateLimiter.bitget,
                now: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        self.budgets = budgets
        self.now = now
    }

    /// BitGet's documented limits by endpoint group.
    public static let bitget: [String: Budget] = [
        "market": Budget(requestsPerSecond: 20), "order": Budget(requestsPerSecond: 10),
        "account": Budget(requestsPerSecond: 10), "positions": Budget(requestsPerSecond: 5),
        "leverage": Budget(requestsPerSecond: 5),
    ]

    /// Waits until a request of `group` may be sent.
    public func acquire(_ group: String) async {
        guard let budget = budgets[group] else { return }
        while true {
            let current = now()
            let last = refilled[group] ?? current
            let available = min(budget.burst, (tokens[group] ?? budget.burst) + (current - last) * budget.requestsPerSecond)
            refilled[group] = current
            if available >= 1 {
                tokens[group] = available - 1
                return
            }
            tokens[group] = available
            let wait = (1 - available) / budget.requestsPerSecond
            try? await Task.sleep(nanoseconds: UInt64(wait * 1e9) + 1_000)
        }
    }
}

/// Exponential backoff with jitter for retryable failures; a server's Retry-After wins when given.
public struct RetryPolicy: Sendable {
    public var maximumAttempts: Int
    public var baseDelay: Double
    public var maximumDelay: Double

    public init(maximumAttempts: Int = 6, baseDelay: Double = 0.2, maximumDelay: Double = 10) {
        self.maximumAttempts = maximumAttempts
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    /// Seconds to wait before attempt `attempt` (1-based count of failures so far).
    public func delay(afterFailure attempt: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(retryAfter, maximumDelay * 3) }
        let exponential = min(maximumDelay, baseDelay * pow(2, Double(attempt - 1)))
        return exponential * Double.random(in: 0.5...1)
    }
}

import MarketModel

/// A question the operator answers with Yes or No (Telegram inline buttons), under a nonce that
/// expires.
public struct Confirmation: Sendable, Equatable {
    public var nonce: String
    public var command: ControlCommand
    /// UTC ms.
    public var askedAt: Int64
    public var expiresAt: Int64

    /// The data each button carries (`c:NONCE:y` / `c:NONCE:n`; Telegram allows 64 bytes).
    public var yesData: String { "c:\(nonce):y" }
    public var noData: String { "c:\(nonce):n" }
}

/// What an answer to a confirmation came to.
public enum ConfirmationOutcome: Sendable, Equatable {
    case confirmed(ControlCommand)
    case declined(ControlCommand)
    /// Answered after its time: nothing runs.
    case expired(ControlCommand)
    /// No open question has that nonce (answered before, replayed, from an earlier run, or made up):
    /// nothing runs.
    case unknown
}

/// The open questions. Pure: time comes in with every call (UTC ms) and nonces from a seeded
/// generator the caller owns (seeded from the system's randomness at start, from a constant in tests).
/// Each nonce answers once; at most `capacity` questions stay open (the oldest is dropped).
public struct ConfirmationBook: Sendable {
    public var lifetimeMilliseconds: Int64
    public var capacity: Int
    private var open: [Confirmation] = []
    private var generator: SplitMix64

    public init(lifetimeMilliseconds: Int64 = 60_000, capacity: Int = 32, seed: UInt64) {
        self.lifetimeMilliseconds = lifetimeMilliseconds
        self.capacity = capacity
        generator = SplitMix64(seed: seed)
    }

    /// Opens a question for `command` at `time`.
    public mutating func ask(_ command: ControlCommand, at time: Int64) -> Confirmation {
        var nonce: String
        repeat {
            nonce = String(generator.next(), radix: 16)
        } while open.contains { $0.nonce == nonce }
        let confirmation = Confirmation(nonce: nonce, command: command, askedAt: time, expiresAt: time + lifetimeMilliseconds)
        open.append(confirmation)
        if open.count > capacity { open.removeFirst(open.count - capacity) }
        return confirmation
    }

    /// Settles the question a button's `data` answers, at `time`. The nonce is spent whatever the answer.
    public mutating func answer(_ data: String, at time: Int64) -> ConfirmationOutcome {
        let parts = data.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "c", parts[2] == "y" || parts[2] == "n",
              let index = open.firstIndex(where: { $0.nonce == parts[1] })
        else { return .unknown }
        let question = open.remove(at: index)
        if time > question.expiresAt { return .expired(question.command) }
        return parts[2] == "y" ? .confirmed(question.command) : .declined(question.command)
    }

    /// The questions still open at `time` (expired ones are dropped).
    public mutating func pending(at time: Int64) -> [Confirmation] {
        open.removeAll { time > $0.expiresAt }
        return open
    }
}

/// Who may command: only the allowed user, by the sender's id (never the chat's: in a group every
/// member shares it). Strangers get no answer; they are logged at most once a minute per id, with how
/// many attempts were not logged, and never with their text.
public struct OperatorGate: Sendable {
    public let allowedUserID: Int64
    private var strangers: [Int64: (loggedAt: Int64, unlogged: Int)] = [:]

    public init(allowedUserID: Int64) { self.allowedUserID = allowedUserID }

    public func admits(userID: Int64) -> Bool { userID == allowedUserID }

    /// Records an attempt by a stranger at `time` (UTC ms): the count of attempts to log now (this one
    /// and those held back since the last line), or nil to stay quiet.
    public mutating func strangerAttempt(userID: Int64, at time: Int64) -> Int? {
        if let seen = strangers[userID], time - seen.loggedAt < 60_000 {
            strangers[userID] = (seen.loggedAt, seen.unlogged + 1)
            return nil
        }
        let held = strangers[userID]?.unlogged ?? 0
        strangers[userID] = (time, 0)
        if strangers.count > 1_000 { strangers = strangers.filter { time - $0.value.loggedAt < 60_000 } }  // bounded
        return held + 1
    }
}

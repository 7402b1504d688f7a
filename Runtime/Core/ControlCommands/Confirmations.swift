import MarketModel

/// A question the operator answers with a button (Telegram inline buttons), under a nonce that expires,
/// bound to who was asked, where.
public struct Confirmation: Sendable, Equatable {
    public var nonce: String
    public var command: ControlCommand
    /// The answers offered, each a short word: `y`/`n` by default; `/stop` with open positions offers
    /// `close`, `keep` and `n`.
    public var choices: [String]
    /// Who was asked, in which chat, and (once sent) the message holding the buttons.
    public var userID: Int64
    public var chatID: Int64
    public var messageID: Int64?
    /// UTC ms.
    public var askedAt: Int64
    public var expiresAt: Int64

    /// The data the button for `choice` carries: `c:NONCE:CHOICE` (Telegram allows 1–64 bytes).
    public func data(_ choice: String) -> String { "c:\(nonce):\(choice)" }
}

/// What an answer to a confirmation came to.
public enum ConfirmationOutcome: Sendable, Equatable {
    case confirmed(ControlCommand)
    case declined(ControlCommand)
    /// One of the other choices offered (e.g. `close` or `keep` for `/stop`).
    case chose(ControlCommand, String)
    /// Answered after its time: nothing runs.
    case expired(ControlCommand)
    /// No open question matches (answered before, replayed, from an earlier run, made up, or pressed
    /// by someone else or on another message): nothing runs, and the question stays open.
    case unknown
}

/// The open questions. Pure: time comes in with every call (UTC ms) and each nonce from the caller
/// (`Confirmation.nonce(using:)` with the system's generator: 128 random bits, not guessable from
/// earlier ones). Each nonce answers once; at most `capacity` questions stay open (the oldest goes).
public struct ConfirmationBook: Sendable {
    public var lifetimeMilliseconds: Int64
    public var capacity: Int
    private var open: [Confirmation] = []

    public init(lifetimeMilliseconds: Int64 = 60_000, capacity: Int = 32) {
        self.lifetimeMilliseconds = lifetimeMilliseconds
        self.capacity = capacity
    }

    /// Opens a question for `command`, asked of `userID` in `chatID` at `time`, under `nonce`.
    public mutating func ask(_ command: ControlCommand, choices: [String] = ["y", "n"], of userID: Int64, in chatID: Int64, nonce: String,
                             at time: Int64) -> Confirmation {
        precondition(!open.contains { $0.nonce == nonce }, "a nonce is used once")
        let question = Confirmation(nonce: nonce, command: command, choices: choices, userID: userID, chatID: chatID, messageID: nil,
                                    askedAt: time, expiresAt: time + lifetimeMilliseconds)
        open.append(question)
        if open.count > capacity { open.removeFirst(open.count - capacity) }
        return question
    }

    /// Records the message that carries the question's buttons (answers from any other message are refused).
    public mutating func attach(_ nonce: String, messageID: Int64) {
        if let index = open.firstIndex(where: { $0.nonce == nonce }) { open[index].messageID = messageID }
    }

    /// Settles the question a button's `data` answers, pressed by `userID` on `messageID` in `chatID`
    /// at `time`. Only the one asked, on the question's own message, can answer; the nonce is then spent.
    public mutating func answer(_ data: String, from userID: Int64, in chatID: Int64?, on messageID: Int64?, at time: Int64) -> ConfirmationOutcome {
        let parts = data.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "c",
              let index = open.firstIndex(where: { $0.nonce == parts[1] }),
              open[index].choices.contains(String(parts[2])), open[index].userID == userID, open[index].chatID == chatID,
              open[index].messageID == nil || open[index].messageID == messageID
        else { return .unknown }
        let question = open.remove(at: index)
        if time > question.expiresAt { return .expired(question.command) }
        switch parts[2] {
        case "y": return .confirmed(question.command)
        case "n": return .declined(question.command)
        default: return .chose(question.command, String(parts[2]))
        }
    }

    /// The questions still open at `time` (expired ones are dropped).
    public mutating func pending(at time: Int64) -> [Confirmation] {
        open.removeAll { time > $0.expiresAt }
        return open
    }
}

extension Confirmation {
    /// A nonce of 128 bits from `generator` (the system's in production), as 32 hex digits.
    public static func nonce(using generator: inout some RandomNumberGenerator) -> String {
        (0..<2).map { _ in
            let text = String(generator.next(), radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }
}

/// Who may command: only the allowed user, by the sender's id (never the chat's: in a group every
/// member shares it). Strangers get no answer; they are logged at most once a minute per id, with how
/// many attempts were not logged, and never with their text. At most `strangerCapacity` ids are
/// tracked; beyond them attempts are only counted.
public struct OperatorGate: Sendable {
    public let allowedUserID: Int64
    public let strangerCapacity: Int
    private var strangers: [Int64: (loggedAt: Int64, unlogged: Int)] = [:]
    /// Attempts by ids beyond the capacity, since the last line about them.
    private var untracked = 0

    public init(allowedUserID: Int64, strangerCapacity: Int = 1_000) {
        self.allowedUserID = allowedUserID
        self.strangerCapacity = strangerCapacity
    }

    public func admits(userID: Int64) -> Bool { userID == allowedUserID }

    /// Records an attempt by a stranger at `time` (UTC ms): the count of attempts to log now (this one
    /// and those held back since the last line), or nil to stay quiet.
    public mutating func strangerAttempt(userID: Int64, at time: Int64) -> Int? {
        if let seen = strangers[userID] {
            if time - seen.loggedAt < 60_000 {
                strangers[userID] = (seen.loggedAt, seen.unlogged + 1)
                return nil
            }
            strangers[userID] = (time, 0)
            return seen.unlogged + 1
        }
        if strangers.count >= strangerCapacity {
            strangers = strangers.filter { time - $0.value.loggedAt < 60_000 }
            if strangers.count >= strangerCapacity {
                untracked += 1
                return untracked % 1_000 == 1 ? untracked : nil  // a flood: a line now and then
            }
        }
        strangers[userID] = (time, 0)
        return 1
    }
}

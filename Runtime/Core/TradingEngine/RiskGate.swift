import MarketModel

/// Trading permission: ACTIVE (entries allowed), REDUCING (exits only), HALTED (flatten, no entries).
public enum RiskState: String, Sendable, Codable, Equatable {
    case active = "ACTIVE", reducing = "REDUCING", halted = "HALTED"
}

/// A change of risk state, with its reason (an event: past tense).
public struct RiskStateChanged: Sendable, Equatable, Codable {
    public init(from: RiskState, to: RiskState, reason: String, time: Int64) {
        self.from = from
        self.to = to
        self.reason = reason
        self.time = time
    }

    public var from: RiskState
    public var to: RiskState
    public var reason: String
    /// UTC ms.
    public var time: Int64
}

/// The risk gate as a value-type state machine: feed it mark-to-market equity and closed trades, read
/// its state and the transitions it returns. Drawdown from peak equity past `haltDrawdown` halts until an
/// operator resets it; a day's loss past `dailyLossCap` halts until the next UTC day; past
/// `reducingDrawdown`, or during a cooldown after `cooldownLosses` losing trades in a row, only exits
/// are allowed. A drawdown past `reducingDrawdown` with no position open escalates to a halt: a flat
/// account's drawdown cannot recover (only exits are allowed), so without the escalation it would sit in
/// REDUCING for ever; halted, it says why and waits for the operator.
public struct RiskGate: Sendable {
    public let rules: RiskRules
    public private(set) var state: RiskState = .active
    public private(set) var peakEquity: Double
    public private(set) var dayStartEquity: Double
    private var day: Int64?
    private var consecutiveLosses = 0
    /// Entries are blocked until this time (UTC ms) after a losing streak.
    public private(set) var cooldownUntil: Int64?
    /// A daily-loss halt lifts at this time; a drawdown halt (nil) only by `reset`.
    private var haltLiftsAt: Int64?
    private var haltReason: String?

    public init(rules: RiskRules, equity: Double) {
        self.rules = rules
        peakEquity = equity
        dayStartEquity = equity
    }

    public var allowsEntries: Bool { state == .active }
    /// Halted until the next UTC day (the daily-loss cap), not until an operator resumes.
    public var haltLiftsByItself: Bool { state == .halted && haltLiftsAt != nil }
    public var mustFlatten: Bool { state == .halted }

    /// Drawdown from peak equity as a fraction.
    public func drawdown(at equity: Double) -> Double { peakEquity > 0 ? max(0, (peakEquity - equity) / peakEquity) : 0 }

    /// Takes a mark-to-market equity at `time` (UTC ms), and whether the account is flat; returns the
    /// transition it causes, if any.
    public mutating func observe(equity: Double, time: Int64, isFlat: Bool = false) -> RiskStateChanged? {
        let today = time / 86_400_000
        if day != today {
            day = today
            dayStartEquity = equity
        }
        peakEquity = max(peakEquity, equity)
        var lifted = false
        if state == .halted {
            guard let lifts = haltLiftsAt, time >= lifts else { return nil }
            haltLiftsAt = nil
            haltReason = nil
            lifted = true
        }
        let drawdown = drawdown(at: equity)
        let dailyLoss = dayStartEquity > 0 ? (dayStartEquity - equity) / dayStartEquity : 0
        // The state first; the reason (a string) only when it changes: this runs on every bar.
        let next: RiskState
        let cause: Cause
        if drawdown >= rules.haltDrawdown {
            (next, cause) = (.halted, .drawdownHalt)
        } else if dailyLoss >= rules.dailyLossCap {
            haltLiftsAt = (today + 1) * 86_400_000
            (next, cause) = (.halted, .dailyLoss)
        } else if drawdown >= rules.reducingDrawdown {
            (next, cause) = isFlat ? (.halted, .drawdownFlat) : (.reducing, .drawdownReducing)
        } else if let until = cooldownUntil, time < until {
            (next, cause) = (.reducing, .cooldown)
        } else {
            cooldownUntil = nil
            (next, cause) = (.active, state == .halted ? .haltLifted : .withinLimits)
        }
        // A daily-loss halt that lifts into a drawdown halt is a change too: from now only the operator lifts it.
        guard next != state || lifted else { return nil }
        let reason = switch cause {
        case .drawdownHalt: "drawdown \(percent(drawdown)) from peak \(money(peakEquity)) reached the \(percent(rules.haltDrawdown)) halt; reset to resume"
        case .dailyLoss: "daily loss \(percent(dailyLoss)) reached the \(percent(rules.dailyLossCap)) cap; trading resumes at 00:00 UTC"
        case .drawdownReducing: "drawdown \(percent(drawdown)) passed \(percent(rules.reducingDrawdown)): exits only"
        case .drawdownFlat: "drawdown \(percent(drawdown)) passed \(percent(rules.reducingDrawdown)) with no position open: a flat account cannot recover it; halted until the operator resumes"
        case .cooldown: "cooldown after \(rules.cooldownLosses) losing trades in a row"
        case .haltLifted: "halt lifted"
        case .withinLimits: "back within limits"
        }
        if next == state { return RiskStateChanged(from: state, to: next, reason: reason, time: time) }
        return transition(to: next, reason: reason, time: time)
    }

    private enum Cause { case drawdownHalt, dailyLoss, drawdownReducing, drawdownFlat, cooldown, haltLifted, withinLimits }

    /// Takes a closed trade's net result (USDT); a losing streak of `cooldownLosses` starts a cooldown.
    public mutating func record(tradeResult: Double, time: Int64) -> RiskStateChanged? {
        guard rules.cooldownLosses > 0 else { return nil }
        consecutiveLosses = tradeResult < 0 ? consecutiveLosses + 1 : 0
        guard consecutiveLosses >= rules.cooldownLosses else { return nil }
        consecutiveLosses = 0
        cooldownUntil = time + Int64(rules.cooldownMinutes) * 60_000
        guard state == .active else { return nil }
        return transition(to: .reducing, reason: "cooldown after \(rules.cooldownLosses) losing trades in a row", time: time)
    }

    /// An operator's halt: no entries, flatten at the next open, until `reset`. A halt that would lift by
    /// itself (the daily-loss cap, at 00:00 UTC) becomes the operator's: it now waits for `reset`, and the
    /// HALTED → HALTED change with the operator's reason says so.
    public mutating func halt(reason: String, time: Int64) -> RiskStateChanged? {
        if state == .halted {
            guard haltLiftsAt != nil else { return nil }
            haltLiftsAt = nil
            return RiskStateChanged(from: .halted, to: .halted, reason: reason, time: time)
        }
        haltLiftsAt = nil
        return transition(to: .halted, reason: reason, time: time)
    }

    /// An operator's reset of a halt: the current equity becomes the new peak. Only a halt is lifted: a
    /// resume of an active or reducing symbol changes nothing (it must not move the drawdown reference).
    public mutating func reset(equity: Double, time: Int64, reason: String = "reset by the operator") -> RiskStateChanged? {
        guard state == .halted else { return nil }
        peakEquity = equity
        dayStartEquity = equity
        consecutiveLosses = 0
        cooldownUntil = nil
        haltLiftsAt = nil
        return transition(to: .active, reason: reason, time: time)
    }

    private mutating func transition(to next: RiskState, reason: String, time: Int64) -> RiskStateChanged? {
        guard next != state else { return nil }
        defer { state = next }
        return RiskStateChanged(from: state, to: next, reason: reason, time: time)
    }

    private func percent(_ fraction: Double) -> String {
        let tenths = (fraction * 1000).rounded()
        return "\(tenths / 10)%"
    }

    private func money(_ value: Double) -> String { "\((value * 100).rounded() / 100) USDT" }
}

extension RiskGate {
    /// What a restart must restore (the rules come from the configuration of the restarted process).
    public struct Snapshot: Sendable, Codable, Equatable {
        public var state: RiskState
        public var peakEquity: Double
        public var dayStartEquity: Double
        public var day: Int64?
        public var consecutiveLosses: Int
        public var cooldownUntil: Int64?
        public var haltLiftsAt: Int64?
    }

    public var snapshot: Snapshot {
        Snapshot(state: state, peakEquity: peakEquity, dayStartEquity: dayStartEquity, day: day, consecutiveLosses: consecutiveLosses,
                 cooldownUntil: cooldownUntil, haltLiftsAt: haltLiftsAt)
    }

    /// The gate as it was at `snapshot`, under `rules`.
    public init(rules: RiskRules, snapshot: Snapshot) {
        self.init(rules: rules, equity: snapshot.peakEquity)
        state = snapshot.state
        dayStartEquity = snapshot.dayStartEquity
        day = snapshot.day
        consecutiveLosses = snapshot.consecutiveLosses
        cooldownUntil = snapshot.cooldownUntil
        haltLiftsAt = snapshot.haltLiftsAt
    }
}

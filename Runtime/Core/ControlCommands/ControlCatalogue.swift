import MarketModel

/// Every command with its arguments and a one-line summary: the source of `/help`, of the command menu
/// a channel registers (Telegram's `setMyCommands`) and of the parser's usage messages.
public enum ControlCatalogue {
    public struct Entry: Sendable, Equatable {
        /// As typed after the `/` (lower case, `_` between words).
        public var name: String
        /// How the arguments are written, e.g. `[SYMBOL]`, `SYMBOL VERSION`; empty when none.
        public var arguments: String
        public var summary: String
    }

    public static let entries: [Entry] = [
        Entry(name: "start", arguments: "", summary: "welcome and the list of commands"),
        Entry(name: "help", arguments: "", summary: "the list of commands"),
        Entry(name: "status", arguments: "", summary: "balance, PnL, drawdown, risk state, positions, agents"),
        Entry(name: "positions", arguments: "", summary: "open positions with leverage, stop and liquidation distance"),
        Entry(name: "balance", arguments: "", summary: "balance and equity per symbol"),
        Entry(name: "profit", arguments: "[DAYS]", summary: "realised PnL over the last days (default 7)"),
        Entry(name: "daily", arguments: "[DAYS]", summary: "PnL per day (default 7)"),
        Entry(name: "logs", arguments: "[COUNT]", summary: "recent trades, strategy records and log lines (default 20)"),
        Entry(name: "chart", arguments: "[SYMBOL]", summary: "equity and drawdown, or a symbol's price with its trades"),
        Entry(name: "agents", arguments: "", summary: "per symbol: current agent, candidates, last evaluation"),
        Entry(name: "start_trading", arguments: "", summary: "start trading (asks first in live mode)"),
        Entry(name: "stop", arguments: "", summary: "stop trading (asks what to do with open positions)"),
        Entry(name: "halt", arguments: "[SYMBOL]", summary: "halt one symbol or all (asks first)"),
        Entry(name: "resume", arguments: "[SYMBOL]", summary: "resume a halted symbol or all"),
        Entry(name: "reconcile", arguments: "", summary: "compare positions and orders with the exchange now"),
        Entry(name: "retrain", arguments: "[SYMBOL…]", summary: "run the training pipeline now (asks first)"),
        Entry(name: "promote", arguments: "SYMBOL VERSION", summary: "trade an evaluated agent version (asks first)"),
        Entry(name: "rollback", arguments: "SYMBOL", summary: "go back to the previous agent (asks first)"),
        Entry(name: "download_historical", arguments: "", summary: "download missing history now"),
        Entry(name: "init_db", arguments: "", summary: "create or migrate the database (asks first)"),
    ]

    static func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// The `/help` text, one command a line.
    public static var helpText: String {
        entries.map { "/\($0.name)\($0.arguments.isEmpty ? "" : " " + $0.arguments) — \($0.summary)" }.joined(separator: "\n")
    }
}

extension ControlCommand {
    /// What decides whether a command asks first.
    public struct Situation: Sendable, Equatable {
        public var live: Bool
        public var openPositions: Int
        public init(live: Bool, openPositions: Int) {
            self.live = live
            self.openPositions = openPositions
        }
    }

    /// Whether the command asks for a confirmation (inline Yes/No) before it runs: the ones that change
    /// money, agents or the database.
    public func asksFirst(in situation: Situation) -> Bool {
        switch self {
        case .stop: situation.openPositions > 0
        case .startTrading: situation.live
        case .retrain, .initDatabase, .halt, .promote, .rollback: true
        default: false
        }
    }

    /// The command as the operator would type it (for confirmations and logs).
    public var text: String {
        switch self {
        case .start: "/start"
        case .help: "/help"
        case .status: "/status"
        case .startTrading: "/start_trading"
        case .stop: "/stop"
        case let .retrain(symbols): (["/retrain"] + symbols.map(\.name)).joined(separator: " ")
        case let .logs(count): "/logs \(count)"
        case .initDatabase: "/init_db"
        case .downloadHistorical: "/download_historical"
        case .positions: "/positions"
        case let .profit(days): "/profit \(days)"
        case .balance: "/balance"
        case let .daily(days): "/daily \(days)"
        case .agents: "/agents"
        case let .promote(symbol, version): "/promote \(symbol.name) \(version)"
        case let .rollback(symbol): "/rollback \(symbol.name)"
        case let .chart(symbol): symbol.map { "/chart \($0.name)" } ?? "/chart"
        case .reconcile: "/reconcile"
        case let .halt(symbol): symbol.map { "/halt \($0.name)" } ?? "/halt"
        case let .resume(symbol): symbol.map { "/resume \($0.name)" } ?? "/resume"
        }
    }
}

import ArgumentParser
import Foundation
import MarketModel
import Storage
import TraderRuntime
import TradingEngine

/// `trader status`: the account, positions, risk states and last bars as the store has them.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Print the account, positions, risk states, last bars, recent trades and events from the store.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Recent trades to show.") var trades = 10
    @Option(help: "Recent events to show.") var events = 10

    func run() async throws {
        let context = try TraderContext.load(common, label: "trader.status")
        let store = try context.openStore()
        let journal = TraderJournal(store: store, mode: common.mode)
        let states = try journal.states()
        let coverage = Dictionary(try store.candleCoverage().filter { $0.timeframe == .oneMinute }.map { ($0.symbol.name, $0) },
                                  uniquingKeysWith: { $1 })
        print("\(common.mode) account, store \(store.location)")
        if states.isEmpty { print("  nothing traded yet (`trader run` starts trading)") }
        print("symbol     equity USDT   wallet USDT  risk      drawdown  position                                   agent            last bar (UTC)    stored to")
        var total = 0.0
        for row in states {
            guard let status = SymbolStatus(json: row.state) else {
                print("\(row.symbol): the stored state cannot be read")
                continue
            }
            total += status.equity
            let position = status.position.map { position in
                "\(position.side.rawValue) \(position.size) @ " + String(format: "%.6g %.0fx", position.entryPrice, position.leverage)
                    + " stop " + (position.stopLoss.map { String(format: "%.6g", $0) } ?? "none")
                    + " tp " + (position.takeProfit.map { String(format: "%.6g", $0) } ?? "none")
            } ?? "flat"
            print(cell(row.symbol, 10) + String(format: " %11.2f %13.2f  ", status.equity, status.wallet) + cell(status.risk.state.rawValue, 9)
                  + String(format: " %7.2f%%  ", status.drawdown * 100) + cell(position, 42) + " " + cell(row.agentVersion ?? "none", 16) + " "
                  + (row.lastBarOpenTime > 0 ? UTCTime.format(row.lastBarOpenTime) : cell("none", 16)) + "  " + (coverage[row.symbol].map { UTCTime.format($0.lastOpenTime) } ?? "-"))
        }
        if !states.isEmpty { print(String(format: "total equity %.2f USDT", total)) }
        let recent = try journal.trades(limit: trades)
        if !recent.isEmpty {
            print("recent trades:")
            for trade in recent {
                print("  " + cell(trade.symbol, 9) + " " + cell(trade.side, 5) + " " + UTCTime.format(trade.entryTime) + " → " + UTCTime.format(trade.exitTime)
                      + "  \(trade.size) @ \(price(trade.entryPrice)) → \(price(trade.exitPrice))" + String(format: "  net %+.2f USDT ", trade.netPnL) + "(\(trade.exitReason))")
            }
        }
        let log = try journal.events(limit: events)
        if !log.isEmpty {
            print("recent events:")
            for event in log { print("  \(UTCTime.format(event.time)) \(event.symbol ?? "-") \(event.kind): \(event.message)") }
        }
        let pending = try journal.pendingRequests()
        if !pending.isEmpty { print("pending requests: " + pending.map { "\($0.command) \($0.symbol ?? "all")" }.joined(separator: ", ")) }
    }
}

/// The parts of a stored symbol state that `status` prints.
struct SymbolStatus {
    var equity: Double
    var wallet: Double
    var drawdown: Double
    var risk: RiskGate.Snapshot
    var position: Position?

    init?(json: String) {
        guard let engine = TraderStateReader.engine(json) else { return nil }
        let account = engine.account
        let price = engine.lastClose
        equity = account.equity(at: price)
        wallet = account.walletBalance
        risk = engine.risk
        drawdown = risk.peakEquity > 0 ? max(0, (risk.peakEquity - equity) / risk.peakEquity) : 0
        position = account.position
    }
}

/// `trader resume SYMBOL` / `trader resume --all`: lifts a halt (the equity becomes the new drawdown reference).
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Lift the halt of a symbol (or all): queued for the running trader, or the next one.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var target: SymbolTarget

    func run() async throws {
        try await queue("resume", common: common, symbol: target.chosen, reason: nil)
    }
}

/// `trader halt SYMBOL --reason "…"`: no entries, an open position closed at the next open, until resumed.
struct HaltCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "halt", abstract: "Halt a symbol (or all): no entries, an open position closed at the next open, until resumed.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var target: SymbolTarget
    @Option(help: "Why (recorded with the halt).") var reason: String?

    func run() async throws {
        try await queue("halt", common: common, symbol: target.chosen, reason: reason)
    }
}

/// `trader pause SYMBOL` / `--all` (Telegram's `/stop`): no new entries; an open position keeps its stops.
struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Stop new entries of a symbol (or all); open positions keep their stops. Lasts across restarts, until unpause.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var target: SymbolTarget

    func run() async throws {
        try await queue("pause", common: common, symbol: target.chosen, reason: "from the command line")
    }
}

/// `trader unpause SYMBOL` / `--all` (Telegram's `/start_trading`): entries allowed again (a halt still needs resume).
struct UnpauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpause", abstract: "Allow new entries of a paused symbol (or all) again; a halted one still needs resume.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var target: SymbolTarget

    func run() async throws {
        try await queue("start", common: common, symbol: target.chosen, reason: "from the command line")
    }
}

/// The symbol an operator request is for: one, or `--all`.
struct SymbolTarget: ParsableArguments {
    @Argument(help: "The symbol (omit with --all).") var symbol: String?
    @Flag(help: "Every symbol.") var all = false

    func validate() throws {
        if all, symbol != nil { throw ValidationError("give a symbol or --all, not both") }
        if !all, symbol == nil { throw ValidationError("give a symbol (e.g. BTCUSDT) or --all") }
        if let symbol, Symbol(symbol) == nil { throw ValidationError("\(symbol): upper-case letters and digits, e.g. BTCUSDT") }
    }

    /// The symbol, nil for every symbol.
    var chosen: Symbol? { symbol.flatMap { Symbol($0) } }
}

/// `--symbols A,B`: a subset of the configured symbols (nil: every enabled one).
struct SymbolSelection: ParsableArguments {
    @Option(help: "Comma-separated symbols (default: every enabled symbol).") var symbols: String?

    func validate() throws {
        for name in symbols?.split(separator: ",") ?? [] where Symbol(String(name).trimmingCharacters(in: .whitespaces)) == nil {
            throw ValidationError("--symbols \(name): upper-case letters and digits, e.g. BTCUSDT")
        }
    }

    var chosen: [Symbol]? { symbols?.split(separator: ",").compactMap { Symbol(String($0).trimmingCharacters(in: .whitespaces)) } }
}

func queue(_ command: String, common: CommonOptions, symbol: Symbol?, reason: String?) async throws {
    let context = try TraderContext.load(common, label: "trader.\(command)")
    let store = try context.openStore()
    let id = try TraderJournal(store: store, mode: common.mode).request(command, symbol: symbol, reason: reason,
                                                                        at: Int64(Date().timeIntervalSince1970 * 1000))
    print("queued request \(id): \(command) \(symbol?.name ?? "all symbols") (\(common.mode)); the running trader carries it out within a second, else the next start does")
}

/// `text` left-aligned in a column `width` characters wide (cut to fit), for the status table.
private func cell(_ text: String, _ width: Int) -> String {
    text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
}

/// A stored price (exact decimal text) shown with 10 significant digits: a fill after slippage is off the
/// tick grid, and its binary-double spelling (`0.13061443700000003`) says nothing more.
private func price(_ text: String) -> String {
    Double(text).map { String(format: "%.10g", $0) } ?? text
}

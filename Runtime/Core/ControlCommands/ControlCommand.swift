import MarketModel

/// A command of the operator, whatever channel it came through (Telegram today): parsed from text by a
/// pure function, so the commands and their answers are tested without a network.
public enum ControlCommand: Sendable, Equatable, Hashable {
    case start, help
    /// Balance, PnL, drawdown, risk state per symbol, positions (leverage, stop and its distance,
    /// liquidation distance), agent versions.
    case status
    case startTrading
    case stop
    /// Retrain every symbol, or the ones named.
    case retrain(symbols: [Symbol])
    /// The last `count` trades, strategy records and log lines.
    case logs(count: Int)
    case initDatabase
    case downloadHistorical
    case positions
    /// Realised PnL over the last `days` days.
    case profit(days: Int)
    case balance
    /// One line per day for the last `days` days.
    case daily(days: Int)
    case agents
    case promote(Symbol, version: String)
    case rollback(Symbol)
    /// Equity and drawdown (no symbol), or a symbol's price with its trades marked.
    case chart(Symbol?)
    case reconcile
    /// Halt (resume) one symbol, or every symbol when none is named.
    case halt(Symbol?)
    case resume(Symbol?)
}

/// Why a text is not a command this system takes: a sentence for the operator, naming what to type.
public struct ControlParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension ControlCommand {
    /// Parses `text` (`/name arg…`, names in any case; Telegram's `/name@BotName` only when `BotName` is
    /// `botUsername`, so a command meant for another bot in a group is not taken). Symbols must be among
    /// `symbols` (upper-cased first); counts must be in their ranges. Nil when `text` is not a command for
    /// this bot (no leading `/`, or another bot's).
    public static func parse(_ text: String, symbols: Set<Symbol>, botUsername: String? = nil) -> Result<ControlCommand, ControlParseError>? {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let first = words.first, first.hasPrefix("/") else { return nil }
        let parts = first.dropFirst().split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts.first ?? "").lowercased()
        guard !name.isEmpty else { return nil }
        if parts.count == 2, let botUsername, parts[1].lowercased() != botUsername.lowercased() { return nil }
        let arguments = Array(words.dropFirst())
        guard let entry = ControlCatalogue.entry(named: name) else {
            return .failure(ControlParseError("unknown command /\(clipped(name)); /help lists the commands"))
        }
        let reader = ArgumentReader(entry: entry, arguments: arguments, symbols: symbols)
        do {
            return .success(try reader.command())
        } catch {
            return .failure(error)
        }
    }
}

/// Reads one command's arguments against its catalogue entry.
struct ArgumentReader {
    let entry: ControlCatalogue.Entry
    let arguments: [String]
    let symbols: Set<Symbol>

    func command() throws(ControlParseError) -> ControlCommand {
        switch entry.name {
        case "start": return try none(.start)
        case "help": return try none(.help)
        case "status": return try none(.status)
        case "start_trading": return try none(.startTrading)
        case "stop": return try none(.stop)
        case "retrain":
            var named: [Symbol] = []
            for text in arguments { named.append(try symbol(text)) }
            return .retrain(symbols: named)
        case "logs": return .logs(count: try count(default: 20, range: 1...200))
        case "init_db": return try none(.initDatabase)
        case "download_historical": return try none(.downloadHistorical)
        case "positions": return try none(.positions)
        case "profit": return .profit(days: try count(default: 7, range: 1...365))
        case "balance": return try none(.balance)
        case "daily": return .daily(days: try count(default: 7, range: 1...90))
        case "agents": return try none(.agents)
        case "promote":
            guard arguments.count == 2 else { throw usage() }
            return .promote(try symbol(arguments[0]), version: try version(arguments[1]))
        case "rollback":
            guard arguments.count == 1 else { throw usage() }
            return .rollback(try symbol(arguments[0]))
        case "chart": return .chart(try optionalSymbol())
        case "reconcile": return try none(.reconcile)
        case "halt": return .halt(try optionalSymbol())
        case "resume": return .resume(try optionalSymbol())
        default: throw usage()
        }
    }

    private func usage() -> ControlParseError {
        ControlParseError("usage: /\(entry.name)\(entry.arguments.isEmpty ? "" : " " + entry.arguments) — \(entry.summary)")
    }

    private func none(_ command: ControlCommand) throws(ControlParseError) -> ControlCommand {
        guard arguments.isEmpty else { throw ControlParseError("/\(entry.name) takes no arguments") }
        return command
    }

    private func symbol(_ text: String) throws(ControlParseError) -> Symbol {
        guard let symbol = Symbol(text.uppercased()), symbols.contains(symbol) else {
            throw ControlParseError("\(clipped(text)) is not a symbol traded here (\(symbols.sorted().map(\.name).joined(separator: ", ")))")
        }
        return symbol
    }

    private func optionalSymbol() throws(ControlParseError) -> Symbol? {
        guard arguments.count <= 1 else { throw usage() }
        guard let text = arguments.first else { return nil }
        return try symbol(text)
    }

    private func count(default value: Int, range: ClosedRange<Int>) throws(ControlParseError) -> Int {
        guard arguments.count <= 1 else { throw usage() }
        guard let text = arguments.first else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw ControlParseError("/\(entry.name) takes a number from \(range.lowerBound) to \(range.upperBound), e.g. /\(entry.name) \(value)")
        }
        return number
    }

    /// An agent version as the registry names it: letters, digits, `.`, `-`, `_`, at most 64.
    private func version(_ text: String) throws(ControlParseError) -> String {
        let allowed = text.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || [UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_")].contains($0)
        }
        guard allowed, (1...64).contains(text.utf8.count) else {
            throw ControlParseError("\(clipped(text)) is not an agent version (letters, digits, . - _); /agents lists them")
        }
        return text
    }
}

/// At most 30 Unicode scalars of `text` (an echo in an answer never grows with the input).
func clipped(_ text: String) -> String { String(String.UnicodeScalarView(text.unicodeScalars.prefix(30))) }

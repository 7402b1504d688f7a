import ControlCommands
import MarketModel
import Testing

/// The operator's commands as text → typed commands, their confirmations and who may send them: pure,
/// so every case is a table row.
struct ControlCommandTests {
    static let symbols: Set<Symbol> = ["BTCUSDT", "ETHUSDT"]

    static func parse(_ text: String) -> Result<ControlCommand, ControlParseError>? { ControlCommand.parse(text, symbols: symbols) }

    @Test(arguments: [
        ("/status", ControlCommand.status), ("/STATUS", .status), ("/status@TraderBot", .status), ("  /start  ", .start),
        ("/logs", .logs(count: 20)), ("/logs 50", .logs(count: 50)), ("/profit", .profit(days: 7)), ("/profit 30", .profit(days: 30)),
        ("/daily 3", .daily(days: 3)), ("/chart", .chart(nil)), ("/chart ethusdt", .chart("ETHUSDT")), ("/halt", .halt(nil)),
        ("/halt BTCUSDT", .halt("BTCUSDT")), ("/resume ETHUSDT", .resume("ETHUSDT")), ("/retrain", .retrain(symbols: [])),
        ("/retrain BTCUSDT ETHUSDT", .retrain(symbols: ["BTCUSDT", "ETHUSDT"])), ("/promote BTCUSDT 2026-12-01.3", .promote("BTCUSDT", version: "2026-12-01.3")),
        ("/rollback ETHUSDT", .rollback("ETHUSDT")), ("/init_db", .initDatabase), ("/download_historical", .downloadHistorical),
        ("/start_trading", .startTrading), ("/stop", .stop), ("/reconcile", .reconcile), ("/agents", .agents), ("/balance", .balance),
        ("/positions", .positions), ("/help", .help),
    ])
    func aCommandIsParsed(text: String, expected: ControlCommand) {
        #expect(Self.parse(text) == .success(expected))
    }

    @Test(arguments: [
        ("/frobnicate", "unknown command /frobnicate; /help lists the commands"),
        ("/logs 0", "/logs takes a number from 1 to 200, e.g. /logs 20"),
        ("/logs many", "/logs takes a number from 1 to 200, e.g. /logs 20"),
        ("/status now", "/status takes no arguments"),
        ("/chart DOGEUSDT", "DOGEUSDT is not a symbol traded here (BTCUSDT, ETHUSDT)"),
        ("/promote BTCUSDT", "usage: /promote SYMBOL VERSION — trade an evaluated agent version (asks first)"),
        ("/promote BTCUSDT ../../etc", "../../etc is not an agent version (letters, digits, . - _); /agents lists them"),
        ("/halt BTCUSDT ETHUSDT", "usage: /halt [SYMBOL] — halt one symbol or all (asks first)"),
    ])
    func badInputGetsASentenceNamingWhatToType(text: String, message: String) {
        #expect(Self.parse(text) == .failure(ControlParseError(message)))
    }

    @Test func textThatIsNotACommandIsNotParsed() {
        #expect(Self.parse("hello") == nil)
        #expect(Self.parse("/") == nil)
        #expect(Self.parse("") == nil)
        let huge = "/" + String(repeating: "x", count: 100_000)
        guard case let .failure(error)? = Self.parse(huge) else { Issue.record("a huge unknown command is an error"); return }
        #expect(error.description.count < 120, "the answer does not echo a huge input")
    }

    @Test func everyCatalogueCommandParsesAndPrintsBackAsItself() {
        for entry in ControlCatalogue.entries {
            let example = entry.arguments.hasPrefix("SYMBOL VERSION") ? "/\(entry.name) BTCUSDT v1"
                : entry.arguments.hasPrefix("SYMBOL") ? "/\(entry.name) BTCUSDT" : "/\(entry.name)"
            guard case let .success(command)? = Self.parse(example) else { Issue.record("\(example) does not parse"); continue }
            #expect(Self.parse(command.text) == .success(command), "\(command.text)")
            #expect(ControlCatalogue.helpText.contains("/\(entry.name)"))
        }
    }

    @Test func dangerousCommandsAskFirst() {
        let paper = ControlCommand.Situation(live: false, openPositions: 0)
        let liveWithPositions = ControlCommand.Situation(live: true, openPositions: 2)
        #expect(!ControlCommand.stop.asksFirst(in: paper) && ControlCommand.stop.asksFirst(in: liveWithPositions), "/stop asks with open positions")
        #expect(!ControlCommand.startTrading.asksFirst(in: paper) && ControlCommand.startTrading.asksFirst(in: liveWithPositions))
        for command: ControlCommand in [.retrain(symbols: []), .initDatabase, .halt(nil), .promote("BTCUSDT", version: "v1"), .rollback("BTCUSDT")] {
            #expect(command.asksFirst(in: paper), "\(command.text)")
        }
        for command: ControlCommand in [.status, .logs(count: 5), .chart(nil), .resume(nil), .reconcile, .help] {
            #expect(!command.asksFirst(in: liveWithPositions), "\(command.text)")
        }
    }
}

struct ConfirmationTests {
    @Test func aQuestionIsAnsweredOnceWithinItsTime() {
        var book = ConfirmationBook(lifetimeMilliseconds: 60_000, seed: 7)
        let retrain = book.ask(.retrain(symbols: []), at: 1_000)
        let halt = book.ask(.halt("BTCUSDT"), at: 2_000)
        #expect(retrain.nonce != halt.nonce && retrain.yesData.utf8.count <= 64)
        #expect(book.answer(halt.noData, at: 3_000) == .declined(.halt("BTCUSDT")))
        #expect(book.answer(retrain.yesData, at: 61_000) == .confirmed(.retrain(symbols: [])))
        #expect(book.answer(retrain.yesData, at: 61_500) == .unknown, "a replayed button does nothing")
        #expect(book.answer(halt.yesData, at: 3_500) == .unknown, "an answered question cannot be answered again the other way")
    }

    @Test func anExpiredOrForeignAnswerRunsNothing() {
        var book = ConfirmationBook(lifetimeMilliseconds: 60_000, seed: 7)
        let stop = book.ask(.stop, at: 0)
        #expect(book.answer(stop.yesData, at: 60_001) == .expired(.stop))
        #expect(book.answer(stop.yesData, at: 60_002) == .unknown)
        #expect(book.answer("c:deadbeef:y", at: 1) == .unknown, "a made-up nonce")
        #expect(book.answer("garbage", at: 1) == .unknown)
        var restarted = ConfirmationBook(lifetimeMilliseconds: 60_000, seed: 8)
        #expect(restarted.answer(stop.yesData, at: 1) == .unknown, "a button from before a restart")
        _ = book.ask(.initDatabase, at: 100_000)
        #expect(book.pending(at: 170_001).isEmpty, "expired questions are dropped")
    }

    @Test func theOldestQuestionsGiveWayBeyondTheCapacity() {
        var book = ConfirmationBook(lifetimeMilliseconds: 60_000, capacity: 3, seed: 1)
        let first = book.ask(.initDatabase, at: 0)
        for _ in 0..<3 { _ = book.ask(.halt(nil), at: 1) }
        #expect(book.pending(at: 2).count == 3)
        #expect(book.answer(first.yesData, at: 2) == .unknown)
    }
}

struct OperatorGateTests {
    @Test func onlyTheAllowedUserCommandsAndStrangersAreLoggedSparingly() {
        var gate = OperatorGate(allowedUserID: 42)
        #expect(gate.admits(userID: 42) && !gate.admits(userID: 43))
        #expect(gate.strangerAttempt(userID: 43, at: 0) == 1, "the first attempt is logged")
        for second in 1...10 { #expect(gate.strangerAttempt(userID: 43, at: Int64(second) * 1_000) == nil) }
        #expect(gate.strangerAttempt(userID: 44, at: 11_000) == 1, "another stranger is logged on its own")
        #expect(gate.strangerAttempt(userID: 43, at: 61_000) == 11, "a minute later: this one and the ten held back")
    }
}

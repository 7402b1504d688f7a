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

    @Test func textThatIsNotACommandForThisBotIsNotParsed() {
        #expect(Self.parse("hello") == nil)
        #expect(Self.parse("/") == nil)
        #expect(Self.parse("/@stop") == nil)
        #expect(Self.parse("") == nil)
        #expect(ControlCommand.parse("/stop@OtherBot", symbols: Self.symbols, botUsername: "trade_bot") == nil, "another bot's command")
        #expect(ControlCommand.parse("/stop@Trade_Bot", symbols: Self.symbols, botUsername: "trade_bot") == .success(.stop))
        #expect(Self.parse("/logs\r\n5") == .success(.logs(count: 5)), "any whitespace separates")
        let combining = "/e" + String(repeating: "\u{0301}", count: 5_000)
        guard case let .failure(echo)? = Self.parse(combining) else { Issue.record("an unknown command"); return }
        #expect(echo.description.unicodeScalars.count < 120, "the echo is clipped by scalars, not characters")
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
            let lines = ControlCatalogue.helpText.split(separator: "\n")
            #expect(lines.contains { $0.hasPrefix("/\(entry.name) ") }, "/help has a line for /\(entry.name)")
        }
    }

    @Test func dangerousCommandsAskFirst() {
        let paper = ControlCommand.Situation(live: false, openPositions: 0)
        let liveWithPositions = ControlCommand.Situation(live: true, openPositions: 2)
        let paperWithPositions = ControlCommand.Situation(live: false, openPositions: 1)
        let liveFlat = ControlCommand.Situation(live: true, openPositions: 0)
        #expect(!ControlCommand.stop.asksFirst(in: paper) && ControlCommand.stop.asksFirst(in: paperWithPositions)
            && !ControlCommand.stop.asksFirst(in: liveFlat), "/stop asks with open positions, whatever the mode")
        #expect(!ControlCommand.startTrading.asksFirst(in: paperWithPositions) && ControlCommand.startTrading.asksFirst(in: liveFlat),
                "/start_trading asks in live mode, whatever the positions")
        for command: ControlCommand in [.retrain(symbols: []), .initDatabase, .halt(nil), .promote("BTCUSDT", version: "v1"), .rollback("BTCUSDT")] {
            #expect(command.asksFirst(in: paper), "\(command.text)")
        }
        for command: ControlCommand in [.status, .logs(count: 5), .chart(nil), .resume(nil), .reconcile, .help] {
            #expect(!command.asksFirst(in: liveWithPositions), "\(command.text)")
        }
    }
}

struct ConfirmationTests {
    static let operatorID: Int64 = 42

    static func nonce(_ seed: UInt64) -> String {
        var generator = SplitMix64(seed: seed)
        return Confirmation.nonce(using: &generator)
    }

    @Test func aQuestionIsAnsweredOnceWithinItsTimeByTheOneAskedOnItsMessage() {
        var book = ConfirmationBook(lifetimeMilliseconds: 60_000)
        let retrain = book.ask(.retrain(symbols: []), of: Self.operatorID, in: Self.operatorID, nonce: Self.nonce(1), at: 1_000)
        let halt = book.ask(.halt("BTCUSDT"), of: Self.operatorID, in: Self.operatorID, nonce: Self.nonce(2), at: 2_000)
        book.attach(retrain.nonce, messageID: 10)
        #expect(retrain.nonce.count == 32 && retrain.data("y").utf8.count <= 64)
        #expect(book.answer(retrain.data("y"), from: 43, in: Self.operatorID, on: 10, at: 2_000) == .unknown, "someone else pressed it")
        #expect(book.answer(retrain.data("y"), from: Self.operatorID, in: Self.operatorID, on: 11, at: 2_000) == .unknown, "another message")
        #expect(book.answer(retrain.data("y"), from: Self.operatorID, in: -100, on: 10, at: 2_000) == .unknown, "another chat")
        #expect(book.answer(halt.data("n"), from: Self.operatorID, in: Self.operatorID, on: nil, at: 3_000) == .declined(.halt("BTCUSDT")))
        #expect(book.answer(retrain.data("y"), from: Self.operatorID, in: Self.operatorID, on: 10, at: 61_000) == .confirmed(.retrain(symbols: [])),
                "the question stayed open through the refused presses")
        #expect(book.answer(retrain.data("y"), from: Self.operatorID, in: Self.operatorID, on: 10, at: 61_500) == .unknown, "a replay does nothing")
        #expect(book.answer(halt.data("y"), from: Self.operatorID, in: Self.operatorID, on: nil, at: 3_500) == .unknown)
    }

    @Test func stopWithOpenPositionsOffersThreeAnswers() {
        var book = ConfirmationBook()
        let stop = book.ask(.stop, choices: ["close", "keep", "n"], of: Self.operatorID, in: Self.operatorID, nonce: Self.nonce(3), at: 0)
        #expect(book.answer(stop.data("y"), from: Self.operatorID, in: Self.operatorID, on: nil, at: 1) == .unknown, "not a choice offered")
        #expect(book.answer(stop.data("keep"), from: Self.operatorID, in: Self.operatorID, on: nil, at: 1) == .chose(.stop, "keep"))
    }

    @Test func anExpiredOrForeignAnswerRunsNothing() {
        var book = ConfirmationBook(lifetimeMilliseconds: 60_000)
        let stop = book.ask(.stop, of: Self.operatorID, in: Self.operatorID, nonce: Self.nonce(4), at: 0)
        #expect(book.answer(stop.data("y"), from: Self.operatorID, in: Self.operatorID, on: nil, at: 60_001) == .expired(.stop))
        #expect(book.answer(stop.data("y"), from: Self.operatorID, in: Self.operatorID, on: nil, at: 60_002) == .unknown)
        #expect(book.answer("c:deadbeef:y", from: Self.operatorID, in: Self.operatorID, on: nil, at: 1) == .unknown, "a made-up nonce")
        #expect(book.answer("garbage", from: Self.operatorID, in: Self.operatorID, on: nil, at: 1) == .unknown)
        var restarted = ConfirmationBook()
        #expect(restarted.answer(stop.data("y"), from: Self.operatorID, in: Self.operatorID, on: nil, at: 1) == .unknown, "from before a restart")
        _ = book.ask(.initDatabase, of: Self.operatorID, in: Self.operatorID, nonce: Self.nonce(5), at: 100_000)
        #expect(book.pending(at: 170_001).isEmpty, "expired questions are dropped")
        #expect(Self.nonce(6) != Self.nonce(7))
    }

    @Test func theOldestQuestionsGiveWayBeyondTheCapacity() {
        var book = ConfirmationBook(lifetimeMilliseconds: 60_000, capacity: 3)
        let first = book.ask(.initDatabase, of: Self.operatorID, in: Self.operatorID, nonce: Self.nonce(10), at: 0)
        for seed in 11...13 { _ = book.ask(.halt(nil), of: Self.operatorID, in: Self.operatorID, nonce: Self.nonce(UInt64(seed)), at: 1) }
        #expect(book.pending(at: 2).count == 3)
        #expect(book.answer(first.data("y"), from: Self.operatorID, in: Self.operatorID, on: nil, at: 2) == .unknown)
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

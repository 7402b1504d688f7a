import TraderConfiguration
import Foundation
@testable import LogOutput
import Logging
import TestSupport
import Testing

@Suite(.removesTemporaryFiles) struct LogOutputTests {
    @Test func jsonLinesCarryTheStandardFieldsAndEscape() {
        let formatter = LogRecordFormatter(style: .json, secrets: ["s3cr3t-value"])
        let line = formatter.format(LogRecord(
            time: 1_764_147_199.5, level: .warning, label: "runtime.feed",
            message: "gap \"found\"\nnext s3cr3t-value", metadata: ["symbol": "BTCUSDT", "bars": .array(["1", "2"])]))
        #expect(line == #"{"ts":"2025-11-26T08:53:19.500Z","level":"warning","label":"runtime.feed","message":"gap \"found\"\nnext <redacted>","metadata":{"bars":["1","2"],"symbol":"BTCUSDT"}}"#)
        let parsed = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(parsed?["level"] as? String == "warning")
    }

    @Test func textLinesAreForPeople() {
        let formatter = LogRecordFormatter(style: .text, secrets: [])
        let line = formatter.format(LogRecord(time: 0, level: .info, label: "pipeline", message: "done", metadata: ["rows": "3"]))
        #expect(line == "1970-01-01T00:00:00.000Z INFO pipeline: done rows=3")
    }

    @Test func filesRotateDailyAndOldOnesArePruned() throws {
        let directory = TestEnvironment.temporaryDirectory("logs")
        try "old".write(toFile: directory + "/trader-2000-01-01.log", atomically: true, encoding: .utf8)
        let destination = RotatingFileDestination(directory: directory, prefix: "trader", daily: true, retainDays: 30)
        let now = Date().timeIntervalSince1970
        destination.write("first", time: now)
        destination.write("second", time: now + 86_400)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(files.count == 2, "\(files)")
        #expect(!files.contains("trader-2000-01-01.log"), "files older than retain_days are deleted")
        #expect(try String(contentsOfFile: destination.path(at: now), encoding: .utf8) == "first\n")
        #expect(try String(contentsOfFile: destination.path(at: now + 86_400), encoding: .utf8) == "second\n")
    }

    @Test func consoleFormatFollowsTheTerminalUnlessForced() throws {
        var configuration = try ConfigurationFixture().load().logging
        configuration.console.format = .auto
        let options = configuration.logOptions(logsDirectory: "/nonexistent", secrets: [])
        let onTerminal = LogOutput.makeHandlerFactory(options, standardErrorIsTerminal: true)("x") as? StructuredLogHandler
        let piped = LogOutput.makeHandlerFactory(options, standardErrorIsTerminal: false)("x") as? StructuredLogHandler
        #expect(onTerminal?.outputs.first?.0.style == .text)
        #expect(piped?.outputs.first?.0.style == .json)
    }
}

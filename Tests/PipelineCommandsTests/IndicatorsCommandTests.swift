import Foundation
import TestSupport
import Testing

@Suite(.removesTemporaryFiles) struct IndicatorsCommandTests {
    /// The golden input as a bars file (row i opens at i minutes after an epoch-aligned start).
    func goldenBarsFile(in workspace: Workspace) throws -> (path: String, golden: NumericTable) {
        let golden = try NumericTable(path: NumericTable.goldenDirectory + "/talib_golden.csv")
        var text = "timestamp_ms,open,high,low,close,volume\n"
        for row in golden.rows {
            text += "\(1_746_372_780_000 + Int64(row[0]) * 60_000),\(row[1]),\(row[2]),\(row[3]),\(row[4]),\(row[5])\n"
        }
        let path = workspace.path("golden-bars.csv")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, golden)
    }

    @Test func writesTALibsValuesForTheGoldenInput() async throws {
        let workspace = try Workspace()
        let (input, golden) = try goldenBarsFile(in: workspace)
        let output = workspace.path("indicators.csv")
        let result = try await workspace.pipeline("indicators", "--input", input, "--output", output)
        #expect(result.status == 0, "\(result.combined)")
        #expect(result.standardOutput.contains("500 rows with 9 indicator columns"))
        let table = try NumericTable(path: output)
        #expect(table.columns == ["timestamp_ms", "open", "high", "low", "close", "volume", "rsi_14", "ema_20", "macd_12_26_9",
                                  "macdsignal_12_26_9", "macdhist_12_26_9", "bb_upper_20_2", "bb_middle_20_2",
                                  "bb_lower_20_2", "atr_14"])
        let pairs = [("rsi_14", "rsi_14"), ("ema_20", "ema_20"), ("macd_12_26_9", "macd_12_26_9"),
                     ("macdsignal_12_26_9", "macdsignal_12_26_9"), ("macdhist_12_26_9", "macdhist_12_26_9"),
                     ("bb_upper_20_2", "bb_upper_20_2_2"), ("bb_middle_20_2", "bb_middle_20_2_2"),
                     ("bb_lower_20_2", "bb_lower_20_2_2"), ("atr_14", "atr_14")]
        for (ours, theirs) in pairs {
            #expect(firstMismatch(table.column(ours), golden.column(theirs)) == nil, "\(ours) differs from TA-Lib")
        }
    }

    @Test func malformedRowsAreListedWithLineNumbersAndNothingIsWritten() async throws {
        let workspace = try Workspace()
        let input = workspace.path("bad.csv")
        try """
            timestamp_ms,open,high,low,close,volume
            1746372780000,100,101,99,100.5,3
            1746372840000,100,oops,99,100.5,3
            1746372900000,100,101,99,100.5,3
            1746372900000,100,101,99,100.5,3
            """.write(toFile: input, atomically: true, encoding: .utf8)
        let output = workspace.path("out.csv")
        let result = try await workspace.pipeline("indicators", "--input", input, "--output", output)
        #expect(result.status != 0)
        #expect(result.standardError.contains("bad.csv:3: high \"oops\" is not a number"))
        #expect(result.standardError.contains("bad.csv:5: open time 1746372900000 is not after the previous bar's"))
        #expect(result.standardError.contains("2 malformed rows; no output written"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func alignSaysWhatIsMissing() async throws {
        let workspace = try Workspace()
        _ = try await workspace.pipeline("init-db")
        let result = try await workspace.pipeline("align", "--symbols", "SOLUSDT")
        #expect(result.status != 0)
        #expect(result.standardError.contains("SOLUSDT: no 1m bars in the store"))
        #expect(!FileManager.default.fileExists(atPath: workspace.path("datasets/SOLUSDT")))
    }
}

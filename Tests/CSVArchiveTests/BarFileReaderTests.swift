import CSVArchive
import Foundation
import MarketModel
import TestSupport
import Testing

@Suite(.removesTemporaryFiles) struct BarFileReaderTests {
    @Test func readsARealFileWithoutRejects() throws {
        let path = TestEnvironment.dataset("mit/binance-usdm_BTCUSDT_1m_20250504-20250624.csv")
        let (bars, rejects) = try BarFileReader(path: path, timeframe: .oneMinute).readAll()
        #expect(bars.count == 73_139)
        #expect(rejects.isEmpty)
        #expect(bars.first?.openTime == 1_746_372_780_000)  // 2025-05-04 15:33 UTC
        #expect(zip(bars, bars.dropFirst()).allSatisfy { $0.openTime < $1.openTime })
    }

    @Test func badRowsAreRejectedWithLineNumberAndReasonAndGoodRowsKept() throws {
        let directory = TestEnvironment.temporaryDirectory("csv")
        let path = directory + "/bars.csv"
        try """
            timestamp_ms,open,high,low,close,volume
            1746372780000,100,101,99,100.5,3
            1746372840000,100,abc,99,100.5,3
            1746372900000,100,101,99,100.5
            1746372960000,100,99.5,99,100.5,3
            1746372960000,100,101,99,100.5,3
            1746373000000,100,101,99,100.5,3
            1746373020000,100,101,99,100.5,-1
            1746373080000,nan,101,99,100.5,3
            1746373140000,0x10,101,99,100.5,3
            1746373200000,100,101,99,100.5,3
            1746373200000,100,101,99,100.5,3
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let (bars, rejects) = try BarFileReader(path: path, timeframe: .oneMinute).readAll()
        #expect(bars.map(\.openTime) == [1_746_372_780_000, 1_746_372_960_000, 1_746_373_200_000])
        #expect(rejects.map(\.line) == [3, 4, 5, 7, 8, 9, 10, 12])
        #expect(rejects[0].reason == "high \"abc\" is not a number")
        #expect(rejects[1].reason == "expected 6 fields, found 5")
        #expect(rejects[2].reason == "high 99.5 is below max(open 100.0, close 100.5)")
        #expect(rejects[3].reason.contains("not on the 1m grid"))
        #expect(rejects[4].reason == "volume = -1.0: must be >= 0")
        #expect(rejects[5].reason == "open \"nan\" is not a number")
        #expect(rejects[6].reason == "open \"0x10\" is not a number")
        #expect(rejects[7].reason.contains("is not after the previous bar's"))
        #expect(rejects[1].text == "1746372900000,100,101,99,100.5")
    }

    @Test func aWrongHeaderFailsTheWholeFile() throws {
        let directory = TestEnvironment.temporaryDirectory("csv")
        let path = directory + "/bars.csv"
        try "time,o,h,l,c,v\n1,2,3,4,5,6\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: MarketDataFileError.self) { try BarFileReader(path: path, timeframe: .oneMinute).readAll() }
        #expect(throws: FileAccessError.self) { try BarFileReader(path: directory + "/missing.csv", timeframe: .oneMinute) }
    }

    @Test func handlesCRLFNoFinalNewlineAndLinesAcrossChunkBoundaries() throws {
        let directory = TestEnvironment.temporaryDirectory("csv")
        let path = directory + "/bars.csv"
        let bars = (0..<5_000).map { (index: Int) -> Bar in
            let step = Double(index) / 7
            let time = 1_746_372_780_000 + Int64(index) * 60_000
            return Bar(openTime: time, open: 1 + step, high: 2 + step, low: 0.5, close: 1.5 + step, volume: Double(index) * 1e-7)
        }
        var text = MarketDataFileKind.bars.header + "\r\n"
        text += bars.map { BarCSVFormat.line($0).replacingOccurrences(of: "\n", with: "\r\n") }.joined()
        text.removeLast()  // no final newline ("\r\n" is one Character)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let (read, rejects) = try BarFileReader(path: path, timeframe: .oneMinute, chunkSize: 333).readAll()
        #expect(rejects.isEmpty)
        #expect(read.count == bars.count)
        let mismatch = read.indices.first { read[$0] != bars[$0] }
        #expect(mismatch == nil, "values must survive bit for bit; first difference at \(mismatch.map { "\(read[$0]) vs \(bars[$0])" } ?? "")")
    }

    @Test func writerRoundTripsRealBarsByteForByte() throws {
        let source = TestEnvironment.dataset("mit/binance-usdm_DOGEUSDT_1m_20250525-20250624.csv")
        let (bars, _) = try BarFileReader(path: source, timeframe: .oneMinute).readAll()
        let copy = TestEnvironment.temporaryDirectory("csv") + "/copy.csv"
        try BarCSVFormat.write(bars, to: copy)
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == Data(contentsOf: URL(fileURLWithPath: source)))
    }

    @Test func fundingFilesAreReadAndValidated() throws {
        let path = TestEnvironment.dataset("mit/binance-usdm_BTCUSDT_funding-rate_20250306-20250624.csv")
        let (rates, rejects) = try FundingFileReader(path: path).readAll()
        #expect(rates.count == 329)
        #expect(rejects.isEmpty)
        #expect(rates.allSatisfy { $0.time % 28_800_000 == 0 })
    }
}

@Suite(.removesTemporaryFiles) struct AtomicFileWriterTests {
    @Test func anAbandonedWriteLeavesTheOldFileIntact() throws {
        let path = TestEnvironment.temporaryDirectory("atomic") + "/data.csv"
        try "old complete content\n".write(toFile: path, atomically: false, encoding: .utf8)
        do {
            let writer = try AtomicFileWriter(destination: path)
            try writer.write("new partial content")
            // dropped without commit: a crash mid-write
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old complete content\n")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        #expect(leftovers == ["data.csv"], "the temporary file is removed")

        let writer = try AtomicFileWriter(destination: path)
        try writer.write("new complete content\n")
        try writer.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new complete content\n")
    }
}


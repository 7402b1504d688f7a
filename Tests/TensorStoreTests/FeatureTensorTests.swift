import CSVArchive
import DataStages
import Features
import Foundation
import MarketModel
import Storage
import TensorStore
import TestSupport
import Testing

/// A SQLite store holding real BTCUSDT 1m bars and funding, and an align stage writing into a temporary directory.
struct AlignFixture {
    let fixture: StoreFixture
    let stage: AlignStage
    let directory = TestEnvironment.temporaryDirectory("tensors")

    init(bars file: String = "mit/binance-usdm_BTCUSDT_1m_20250504-20250624.csv", limit: Int? = nil) throws {
        fixture = try StoreFixture.make(.sqlite)
        _ = try fixture.store.migrate(fixture.migrations)
        var (bars, _) = try BarFileReader(path: TestEnvironment.dataset(file), timeframe: .oneMinute).readAll()
        if let limit { bars = Array(bars.prefix(limit)) }
        _ = try fixture.store.upsertCandles(bars, symbol: "BTCUSDT", timeframe: .oneMinute)
        let (funding, _) = try FundingFileReader(path: TestEnvironment.dataset("mit/binance-usdm_BTCUSDT_funding-rate_20250306-20250624.csv")).readAll()
        _ = try fixture.store.upsertFundingRates(funding, symbol: "BTCUSDT")
        stage = AlignStage(store: fixture.store, datasetsDirectory: directory + "/datasets", dataDirectory: directory + "/data",
                           heldOutFraction: 0.2, codeVersion: "test")
    }
}

@Suite(.serialized, .removesTemporaryFiles) struct FeatureTensorTests {
    @Test func theTensorHoldsExactlyTheBatchRowsAndItsMetadata() throws {
        let align = try AlignFixture()
        defer { align.fixture.tearDown() }
        let summary = try align.stage.run(symbol: "BTCUSDT", csv: true)
        #expect(summary.outcome == .written)
        #expect(summary.path.hasSuffix("/datasets/BTCUSDT/features-\(FeatureSpec.standard.shortHash).h5"))
        let reader = try FeatureTensorReader(path: summary.path)
        let metadata = reader.metadata
        #expect(metadata.rows == 73_139)
        #expect(metadata.featureNames == FeatureSpec.standard.names)
        #expect(metadata.specHash == FeatureSpec.standard.hash)
        #expect(metadata.trainingRows == Int(73_139.0 * 0.8))
        #expect(metadata.normalizationMean.count == FeatureSpec.standard.count)
        #expect(metadata.normalizationStandardDeviation.allSatisfy { $0 > 0 })

        let bars = try align.fixture.store.candles(symbol: "BTCUSDT", timeframe: .oneMinute, from: nil, to: nil, limit: nil)
        let funding = try align.fixture.store.fundingRates(symbol: "BTCUSDT", from: nil, to: nil)
        let window = try reader.window(40_000..<40_500)
        var mismatches = 0
        FeatureMatrixBuilder.build(bars: bars, funding: funding) { index, values, isValid in
            guard (40_000..<40_500).contains(index) else { return }
            let row = index - 40_000
            if window.openTime[row] != bars[index].openTime || window.close[row] != bars[index].close
                || window.valid[row] != (isValid ? 1 : 0)
                || zip(window.features[(row * values.count)..<((row + 1) * values.count)], values).contains(where: { $0 != Float($1) })
            { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(window.features.allSatisfy { $0.isFinite })
        #expect(FileManager.default.fileExists(atPath: align.directory + "/data/BTCUSDT/BTCUSDT_aligned.csv"))
        // Unchanged inputs: nothing is rebuilt.
        #expect(try align.stage.run(symbol: "BTCUSDT").outcome == .upToDate)
    }

    @Test func h5pyReadsWhatSwiftWrote() async throws {
        let align = try AlignFixture()
        defer { align.fixture.tearDown() }
        let path = try align.stage.run(symbol: "BTCUSDT").path
        let reader = try FeatureTensorReader(path: path)
        let script = """
            import h5py, json, sys
            f = h5py.File(sys.argv[1], "r")
            print(json.dumps({
                "shape": list(f["features"].shape), "dtype": str(f["features"].dtype),
                "row": [float(x) for x in f["features"][50000]], "open_time": int(f["open_time"][50000]),
                "close": float(f["close"][50000]), "valid": int(f["valid"][50000]),
                "names": json.loads(f.attrs["feature_names"]), "spec_hash": f.attrs["spec_hash"],
                "symbol": f.attrs["symbol"], "rows": int(f.attrs["rows"]),
                "compression": f["features"].compression}))
            """
        let python = try await Python.json(script, [path])
        let window = try reader.window(50_000..<50_001)
        #expect(python["shape"] as? [Int] == [73_139, FeatureSpec.standard.count])
        #expect(python["dtype"] as? String == "float32")
        #expect((python["row"] as? [Double])?.map { Float($0) } == window.features)
        #expect((python["open_time"] as? NSNumber)?.int64Value == window.openTime[0])
        #expect(python["close"] as? Double == window.close[0])
        #expect(python["valid"] as? Int == Int(window.valid[0]))
        #expect(python["names"] as? [String] == FeatureSpec.standard.names)
        #expect(python["spec_hash"] as? String == FeatureSpec.standard.hash)
        #expect(python["symbol"] as? String == "BTCUSDT")
        #expect(python["compression"] as? String == "gzip")
    }

    @Test func tooFewBarsOrNoneWriteNothing() throws {
        let align = try AlignFixture(limit: 2_000)
        defer { align.fixture.tearDown() }
        do {
            _ = try align.stage.run(symbol: "BTCUSDT")
            Issue.record("2,000 bars are fewer than the lookback")
        } catch let error as AlignmentError {
            #expect(error.description.contains("fewer than the \(FeatureSpec.standard.warmUpMinutes) the longest lookback needs"))
        }
        #expect(throws: AlignmentError.self) { try align.stage.run(symbol: "ETHUSDT") }
        #expect(!FileManager.default.fileExists(atPath: align.stage.path(for: "BTCUSDT")))
    }

    @Test func anInterruptedWriteLeavesTheOldTensorIntact() throws {
        let align = try AlignFixture()
        defer { align.fixture.tearDown() }
        let path = try align.stage.run(symbol: "BTCUSDT").path
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            let writer = try FeatureTensorWriter(destination: path, rows: 10, columns: 3)
            try writer.append(openTime: 0, open: 1, high: 1, low: 1, close: 1, values: [1, 2, 3], isValid: true)
            // dropped here without finish(): a crash mid-write
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let siblings = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        #expect(siblings.count == 1, "the temporary file is removed: \(siblings)")
        #expect(throws: HDF5Error.self) { try FeatureTensorReader(path: path + ".missing") }
    }
}

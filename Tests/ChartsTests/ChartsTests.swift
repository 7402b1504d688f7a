@testable import Charts
import Foundation
import Testing

/// The PNG charts: valid files (signature, chunks with correct CRCs, the size asked for), drawn from the
/// data (different data, different pixels), and clear errors for what cannot be drawn.
struct ChartsTests {
    struct Chunk { var type: String; var data: [UInt8] }

    /// CRC-32 (ISO 3309, as PNG uses), bit by bit.
    static func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bigEndian(_ bytes: ArraySlice<UInt8>) -> UInt32 { bytes.reduce(0) { $0 << 8 | UInt32($1) } }

    /// The chunks of a PNG, each CRC checked; throws on anything malformed.
    static func chunks(_ png: [UInt8]) throws -> [Chunk] {
        struct Malformed: Error, CustomStringConvertible { var description: String }
        guard png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw Malformed(description: "no PNG signature") }
        var chunks: [Chunk] = []
        var offset = 8
        while offset < png.count {
            guard offset + 12 <= png.count else { throw Malformed(description: "a chunk is cut at \(offset)") }
            let length = Int(bigEndian(png[offset..<offset + 4]))
            guard offset + 12 + length <= png.count else { throw Malformed(description: "a chunk overruns the file at \(offset)") }
            let typeAndData = png[offset + 4..<offset + 8 + length]
            let stored = bigEndian(png[offset + 8 + length..<offset + 12 + length])
            guard crc32(typeAndData) == stored else { throw Malformed(description: "bad CRC at \(offset)") }
            chunks.append(Chunk(type: String(decoding: typeAndData.prefix(4), as: UTF8.self), data: Array(typeAndData.dropFirst(4))))
            offset += 12 + length
        }
        return chunks
    }

    static let hour: Int64 = 3_600_000
    static let start: Int64 = 1_764_547_200_000  // 2025-12-01 00:00 UTC

    /// Equity that falls 8% and recovers, hourly over three days.
    static var dipAndRecovery: [ChartPoint] {
        (0..<72).map { index in
            let fall = index < 36 ? Double(index) / 36 * 0.08 : Double(72 - index) / 36 * 0.08
            return ChartPoint(time: start + Int64(index) * hour, value: 1_000 * (1 - fall))
        }
    }

    @Test func anEquityChartIsAValidPNGOfTheSizeAsked() throws {
        let png = try Charts.equityPNG(title: "paper equity", equity: Self.dipAndRecovery, width: 900, height: 500)
        let chunks = try Self.chunks(png)
        let header = try #require(chunks.first)
        #expect(header.type == "IHDR")
        #expect(Self.bigEndian(header.data[0..<4]) == 900 && Self.bigEndian(header.data[4..<8]) == 500)
        // Cairo writes an ARGB32 surface as RGBA (colour type 6) only if some pixel is translucent; the white
        // background makes every chart opaque, so it is RGB (2).
        #expect(header.data[8] == 8 && header.data[9] == 2, "8 bits per channel, RGB")
        #expect(chunks.contains { $0.type == "IDAT" })
        #expect(chunks.last?.type == "IEND")
    }

    @Test func differentDataDrawsDifferentPixels() throws {
        let dip = try Charts.equityPNG(title: "equity", equity: Self.dipAndRecovery)
        let rise = try Charts.equityPNG(title: "equity", equity: Self.dipAndRecovery.enumerated().map {
            ChartPoint(time: $0.element.time, value: 1_000 + Double($0.offset))
        })
        let again = try Charts.equityPNG(title: "equity", equity: Self.dipAndRecovery)
        func pixels(_ png: [UInt8]) throws -> [UInt8] { try Self.chunks(png).filter { $0.type == "IDAT" }.flatMap(\.data) }
        #expect(try pixels(dip) != pixels(rise))
        #expect(try pixels(dip) == pixels(again), "the same data draws the same image")
        let blank = try Charts.equityPNG(title: "", equity: [ChartPoint(time: Self.start, value: 1_000)])
        #expect(try pixels(blank) != pixels(dip))
    }

    @Test func aPriceChartMarksTheTrades() throws {
        let prices = (0..<240).map { ChartPoint(time: Self.start + Int64($0) * 60_000, value: 100 + sin(Double($0) / 20) * 2) }
        let trades = [
            ChartTrade(side: .long, entryTime: Self.start + 10 * 60_000, entryPrice: 100.3, exitTime: Self.start + 40 * 60_000, exitPrice: 101.9, netPnL: 3.1),
            ChartTrade(side: .short, entryTime: Self.start + 100 * 60_000, entryPrice: 99, exitTime: Self.start + 130 * 60_000, exitPrice: 98.2, netPnL: -1.2),
        ]
        let marked = try Charts.pricePNG(title: "BTCUSDT", prices: prices, trades: trades)
        let plain = try Charts.pricePNG(title: "BTCUSDT", prices: prices, trades: [])
        #expect(try Self.chunks(marked).last?.type == "IEND")
        #expect(try Self.chunks(marked).filter { $0.type == "IDAT" }.flatMap(\.data) != Self.chunks(plain).filter { $0.type == "IDAT" }.flatMap(\.data))
    }

    @Test func whatCannotBeDrawnIsAClearError() throws {
        #expect(throws: ChartError("no equity points to draw")) { try Charts.equityPNG(title: "x", equity: []) }
        #expect(throws: ChartError("no equity points to draw")) { try Charts.equityPNG(title: "x", equity: [ChartPoint(time: 0, value: .nan)]) }
        #expect(throws: ChartError("no prices to draw")) { try Charts.pricePNG(title: "x", prices: [], trades: []) }
        #expect(throws: ChartError("a chart is 100 to 4000 pixels wide and high, not 50×600")) {
            try Charts.equityPNG(title: "x", equity: Self.dipAndRecovery, width: 50)
        }
        // A flat series and one with a non-finite value in it still draw.
        let flat = (0..<10).map { ChartPoint(time: Self.start + Int64($0) * Self.hour, value: 1_000) }
        #expect(try Self.chunks(Charts.equityPNG(title: "flat", equity: flat + [ChartPoint(time: Self.start, value: .infinity)])).last?.type == "IEND")
    }

    // MARK: What is drawn where, read from the pixels (red, green, blue 0…255) before encoding.

    static func isEquityBlue(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> Bool { blue > 150 && red < 90 && green < 140 }
    static func isGain(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> Bool { green > 120 && red < 100 && blue < 120 }
    static func isLoss(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> Bool { red > 170 && green < 90 && blue < 90 }
    /// The drawdown area's translucent red over white.
    static func isDrawdownFill(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> Bool {
        red > 228 && (170...196).contains(green) && (168...194).contains(blue)
    }

    @Test func aFallShowsAsARedDrawdownAreaAndARiseDoesNot() throws {
        let dip = try Charts.equityCanvas(title: "equity", equity: Self.dipAndRecovery, width: 1000, height: 600)
        let rising = (0..<72).map { ChartPoint(time: Self.start + Int64($0) * Self.hour, value: 1_000 + Double($0)) }
        let rise = try Charts.equityCanvas(title: "equity", equity: rising, width: 1000, height: 600)
        let dipArea = dip.countPixels(where: Self.isDrawdownFill), riseArea = rise.countPixels(where: Self.isDrawdownFill)
        #expect(dipArea > 20_000, "an 8% dip fills much of the drawdown panel: \(dipArea) px")
        #expect(riseArea < 500, "no drawdown, no area (only the antialiased zero line): \(riseArea) px")
        #expect(dip.countPixels(where: Self.isEquityBlue) > 1_000 && rise.countPixels(where: Self.isEquityBlue) > 1_000)
    }

    @Test func aSinglePointAndAFlatSeriesStillDrawTheirLine() throws {
        let single = try Charts.equityCanvas(title: "one", equity: [ChartPoint(time: Self.start, value: 1_000)], width: 400, height: 300)
        #expect(single.countPixels(where: Self.isEquityBlue) > 10, "a dot for the one value")
        let flat = (0..<10).map { ChartPoint(time: Self.start + Int64($0) * Self.hour, value: 0) }
        #expect(try Charts.equityCanvas(title: "flat", equity: flat, width: 400, height: 300).countPixels(where: Self.isEquityBlue) > 300)
        let price = try Charts.priceCanvas(title: "one", prices: [ChartPoint(time: Self.start, value: 97_000)], trades: [], width: 400, height: 300)
        #expect(try Self.chunks(price.png()).last?.type == "IEND")
    }

    @Test func tradesAreColouredBySideAndOutcome() throws {
        let minute: Int64 = 60_000
        let prices = (0..<240).map { ChartPoint(time: Self.start + Int64($0) * minute, value: 100 + Double($0 % 40) / 10) }
        func chart(_ trades: [ChartTrade]) throws -> (gain: Int, loss: Int) {
            let canvas = try Charts.priceCanvas(title: "BTCUSDT", prices: prices, trades: trades, width: 1000, height: 600)
            return (canvas.countPixels(where: Self.isGain), canvas.countPixels(where: Self.isLoss))
        }
        let longWin = ChartTrade(side: .long, entryTime: Self.start + 20 * minute, entryPrice: 101, exitTime: Self.start + 90 * minute, exitPrice: 103, netPnL: 2)
        let shortLoss = ChartTrade(side: .short, entryTime: Self.start + 120 * minute, entryPrice: 101, exitTime: Self.start + 200 * minute, exitPrice: 103, netPnL: -2)
        let none = try chart([])
        #expect(none.gain == 0 && none.loss == 0, "the price line, grid and text are neither green nor red")
        let win = try chart([longWin])
        #expect(win.gain > 100 && win.loss == 0, "a long win: green triangle, line and exit")
        let loss = try chart([shortLoss])
        #expect(loss.loss > 100 && loss.gain == 0, "a short loss: red triangle, line and exit")
        let undrawable = ChartTrade(side: .long, entryTime: Self.start, entryPrice: .nan, exitTime: Self.start + minute, exitPrice: 100, netPnL: .infinity)
        let skipped = try chart([undrawable, ChartTrade(side: .long, entryTime: Self.start, entryPrice: 100, exitTime: Self.start + minute, exitPrice: 100, netPnL: .nan)])
        #expect(skipped.gain == 0 && skipped.loss == 0, "trades with non-finite numbers are left out")
    }

    @Test(arguments: [(99, 600), (4_001, 600), (1_000, 99), (1_000, 4_001), (0, 0), (-5, 600)])
    func aSizeOutsideTheLimitsIsRefused(width: Int, height: Int) {
        #expect(throws: ChartError("a chart is 100 to 4000 pixels wide and high, not \(width)×\(height)")) {
            try Charts.equityPNG(title: "x", equity: Self.dipAndRecovery, width: width, height: height)
        }
        #expect(throws: ChartError.self) { try Charts.pricePNG(title: "x", prices: Self.dipAndRecovery, trades: [], width: width, height: height) }
    }

    @Test(arguments: [(100, 100), (4_000, 100), (100, 4_000)])
    func theSizeLimitsThemselvesDraw(width: Int, height: Int) throws {
        for png in [try Charts.equityPNG(title: "equity", equity: Self.dipAndRecovery, width: width, height: height),
                    try Charts.pricePNG(title: "price", prices: Self.dipAndRecovery, trades: [], width: width, height: height)] {
            let header = try #require(try Self.chunks(png).first)
            #expect(Self.bigEndian(header.data[0..<4]) == UInt32(width) && Self.bigEndian(header.data[4..<8]) == UInt32(height))
        }
    }
}

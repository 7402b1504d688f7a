import Foundation
import MarketModel

/// A contract as the exchange lists it.
public struct ExchangeContract: Sendable, Equatable {
    public var symbol: String
    public var tickSize: Double
    public var sizeStep: Double
    public var minimumSize: Double
    public var minimumNotional: Double
    public var minimumLeverage: Double
    public var maximumLeverage: Double
    public var isTradable: Bool
}

/// A page of candles: the good bars in time order and the rows that could not be used, with why.
public struct CandlePage: Sendable {
    public var bars: [Bar]
    public var rejected: [(raw: String, reason: String)]
}

extension BitGetRESTClient {
    /// The interval string of a timeframe (`1H`, `4H`, `1Dutc`: daily bars on UTC midnight).
    public static func granularity(_ timeframe: Timeframe) -> String {
        switch timeframe {
        case .oneMinute: "1m"
        case .fiveMinutes: "5m"
        case .fifteenMinutes: "15m"
        case .oneHour: "1H"
        case .fourHours: "4H"
        case .oneDay: "1Dutc"
        }
    }

    /// `GET /api/v2/mix/market/contracts`.
    public func contracts() async throws -> [ExchangeContract] {
        let data = try await request(.GET, "/api/v2/mix/market/contracts", query: [("productType", Self.productType)])
        return try objects(data, "contracts").map { row in
            let pricePlace = Int(row.text("pricePlace") ?? "") ?? 0
            let endStep = row.number("priceEndStep") ?? 1
            var tick = endStep
            for _ in 0..<pricePlace { tick /= 10 }
            return ExchangeContract(
                symbol: try row.required("symbol"), tickSize: tick, sizeStep: try row.requiredNumber("sizeMultiplier"),
                minimumSize: row.number("minTradeNum") ?? 0, minimumNotional: row.number("minTradeUSDT") ?? 0,
                minimumLeverage: row.number("minLever") ?? 1, maximumLeverage: row.number("maxLever") ?? 125,
                isTradable: ["normal", "online"].contains(row.text("symbolStatus") ?? "normal"))
        }
    }

    /// `GET /api/v2/mix/market/candles` (recent, up to 1000 a page) or `history-candles` (older, up to
    /// 200). Rows come back in time order; malformed rows (unparseable numbers, high < low…) are
    /// returned as rejects with the raw text, never thrown.
    public func candles(symbol: Symbol, timeframe: Timeframe, startTime: Int64?, endTime: Int64?, limit: Int,
                        history: Bool = false) async throws -> CandlePage {
        var query = [("symbol", symbol.name), ("productType", Self.productType), ("granularity", Self.granularity(timeframe))]
        if let startTime { query.append(("startTime", String(startTime))) }
        if let endTime { query.append(("endTime", String(endTime))) }
        query.append(("limit", String(limit)))
        let path = history ? "/api/v2/mix/market/history-candles" : "/api/v2/mix/market/candles"
        let data = try await request(.GET, path, query: query)
        guard let rows = data as? [Any] else {
            throw BitGetError.malformed(reason: "candles: expected a list of rows", raw: "\(data ?? "nil")")
        }
        var page = CandlePage(bars: [], rejected: [])
        for row in rows {
            let raw = (try? JSONSerialization.data(withJSONObject: row)).map { String(decoding: $0, as: UTF8.self) } ?? "\(row)"
            switch Self.parseCandle(row, timeframe: timeframe) {
            case let .success(bar): page.bars.append(bar)
            case let .failure(reason): page.rejected.append((raw, reason.description))
            }
        }
        page.bars.sort { $0.openTime < $1.openTime }
        return page
    }

    struct CandleProblem: Error, CustomStringConvertible { var description: String }

    /// `[openTime, open, high, low, close, baseVolume, quoteVolume(, usdtVolume)]`, every field a string.
    static func parseCandle(_ row: Any, timeframe: Timeframe) -> Result<Bar, CandleProblem> {
        guard let fields = row as? [Any], fields.count >= 6 else { return .failure(CandleProblem(description: "expected at least 6 fields")) }
        func number(_ index: Int) -> Double? {
            let text = (fields[index] as? String) ?? (fields[index] as? NSNumber)?.stringValue
            return text.flatMap(Double.init).flatMap { $0.isFinite ? $0 : nil }
        }
        let timeText = (fields[0] as? String) ?? (fields[0] as? NSNumber)?.stringValue
        guard let time = timeText.flatMap({ Int64($0) }) else { return .failure(CandleProblem(description: "open time is not a number")) }
        guard let open = number(1), let high = number(2), let low = number(3), let close = number(4), let volume = number(5) else {
            return .failure(CandleProblem(description: "a price or the volume is not a number"))
        }
        let bar = Bar(openTime: time, open: open, high: high, low: low, close: close, volume: volume)
        if let problem = bar.problem(timeframe: timeframe) { return .failure(CandleProblem(description: problem.description)) }
        return .success(bar)
    }

    /// `GET /api/v2/mix/market/history-fund-rate`: newest first, `pageSize` (≤ 100) per page.
    public func fundingHistory(symbol: Symbol, pageSize: Int = 100, pageNumber: Int = 1) async throws -> [FundingRate] {
        let data = try await request(.GET, "/api/v2/mix/market/history-fund-rate", query: [
            ("symbol", symbol.name), ("productType", Self.productType), ("pageSize", String(pageSize)),
            ("pageNo", String(pageNumber)),
        ])
        return try objects(data, "history-fund-rate").map { row in
            FundingRate(time: try row.integer("fundingTime") ?? { throw BitGetError.malformed(reason: "fundingTime", raw: row.describe()) }(),
                        rate: try row.requiredNumber("fundingRate"))
        }
    }

    /// `GET /api/v2/mix/market/symbol-price`: last, index and mark price.
    public func prices(symbol: Symbol) async throws -> (last: Double, index: Double, mark: Double) {
        let data = try await request(.GET, "/api/v2/mix/market/symbol-price", query: [("symbol", symbol.name), ("productType", Self.productType)])
        guard let row = try objects(data, "symbol-price").first else { throw BitGetError.unknownSymbol(symbol.name) }
        return (try row.requiredNumber("price"), try row.requiredNumber("indexPrice"), try row.requiredNumber("markPrice"))
    }

    /// `GET /api/v2/mix/market/ticker`: last price and 24h figures.
    public func ticker(symbol: Symbol) async throws -> (last: Double, fundingRate: Double?, markPrice: Double?) {
        let data = try await request(.GET, "/api/v2/mix/market/ticker", query: [("symbol", symbol.name), ("productType", Self.productType)])
        guard let row = try objects(data, "ticker").first else { throw BitGetError.unknownSymbol(symbol.name) }
        return (try row.requiredNumber("lastPr"), row.number("fundingRate"), row.number("markPrice"))
    }

    /// `GET /api/v2/public/time`, UTC ms.
    public func serverTime() async throws -> Int64 {
        let data = try await request(.GET, "/api/v2/public/time")
        guard let object = data as? [String: Any], let time = JSONObject(object).integer("serverTime") else {
            throw BitGetError.malformed(reason: "serverTime", raw: "\(data ?? "nil")")
        }
        return time
    }
}

import Foundation
import Hummingbird
import MarketModel

extension ExchangeSimulator {
    func registerRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/api/v2/public/time") { _, _ in try await self.respond { self.envelope(["serverTime": String(self.clock.now())]) } }
        router.get("/api/v2/mix/market/contracts") { request, _ in try await self.respond { self.contracts(request) } }
        router.get("/api/v2/mix/market/candles") { request, _ in try await self.respond { self.candles(request, history: false) } }
        router.get("/api/v2/mix/market/history-candles") { request, _ in try await self.respond { self.candles(request, history: true) } }
        router.get("/api/v2/mix/market/history-fund-rate") { request, _ in try await self.respond { self.fundingHistory(request) } }
        router.get("/api/v2/mix/market/current-fund-rate") { request, _ in try await self.respond { self.currentFunding(request) } }
        router.get("/api/v2/mix/market/symbol-price") { request, _ in try await self.respond { self.symbolPrice(request) } }
        router.get("/api/v2/mix/market/ticker") { request, _ in try await self.respond { self.ticker(request) } }
        // ccxt's load_markets also asks for spot coins and symbols and margin currencies: none here.
        for path in ["/api/v2/spot/public/coins", "/api/v2/spot/public/symbols", "/api/v2/margin/currencies"] {
            router.get(RouterPath(path)) { _, _ in try await self.respond { self.envelope([Any]()) } }
        }
        registerPrivateRoutes(router)
        registerPlanRoutes(router)
    }

    /// The symbol parameter, if it is one the simulator serves.
    func symbol(_ request: Request) -> Symbol? {
        request.uri.queryParameters.get("symbol").flatMap { Symbol($0.uppercased()) }.flatMap { market.minuteBars[$0] == nil ? nil : $0 }
    }

    /// What BitGet answers for a missing (40019) or unknown (40034) symbol.
    func symbolError(_ request: Request) -> Response {
        guard let text = request.uri.queryParameters.get("symbol") else { return error("40019", "Parameter symbol cannot be empty") }
        return error("40034", "Parameter \(text) does not exist")
    }

    func productTypeProblem(_ request: Request) -> Response? {
        guard let product = request.uri.queryParameters.get("productType") else { return error("40019", "Parameter productType cannot be empty") }
        return product.uppercased() == "USDT-FUTURES" ? nil : error("40017", "Parameter verification failed: productType \(product)")
    }

    /// BitGet's product types (`S…`: demo trading). The simulator lists USDT-M contracts only; the others
    /// answer an empty list, as BitGet does for a product type with nothing matching.
    static let productTypes: Set<String> = ["USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES", "SUSDT-FUTURES", "SCOIN-FUTURES", "SUSDC-FUTURES"]

    func contracts(_ request: Request) -> Response {
        guard let product = request.uri.queryParameters.get("productType") else { return error("40019", "Parameter productType cannot be empty") }
        guard Self.productTypes.contains(product.uppercased()) else { return error("40017", "Parameter verification failed: productType \(product)") }
        guard product.uppercased() == "USDT-FUTURES" else { return envelope([Any]()) }
        let wanted = request.uri.queryParameters.get("symbol").map { $0.uppercased() }
        let rows: [[String: Any]] = market.symbols.filter { wanted == nil || $0.name == wanted }.compactMap { symbol in
            guard let contract = KnownContracts.spec(for: symbol) else { return nil }
            let (tickUnits, pricePlace) = DecimalText.integerStepForSimulator(contract.tickSize)
            return [
                "symbol": symbol.name, "baseCoin": String(symbol.name.dropLast(4)), "quoteCoin": "USDT",
                "supportMarginCoins": ["USDT"], "makerFeeRate": "0.0002", "takerFeeRate": "0.0006",
                "minTradeNum": Self.text(contract.minimumSize), "sizeMultiplier": Self.text(contract.sizeStep),
                "volumePlace": String(DecimalText.integerStepDecimals(contract.sizeStep)), "pricePlace": String(pricePlace),
                "priceEndStep": String(tickUnits), "minTradeUSDT": Self.text(contract.minimumNotional), "minLever": "1",
                "maxLever": Self.text(contract.maximumLeverage), "symbolType": "perpetual", "symbolStatus": "normal",
                "fundInterval": "8",
            ]
        }
        return envelope(rows)
    }

    func candles(_ request: Request, history: Bool) -> Response {
        if let problem = productTypeProblem(request) { return problem }
        guard let symbol = symbol(request) else { return symbolError(request) }
        let parameters = request.uri.queryParameters
        guard let granularity = parameters.get("granularity"), let timeframe = Self.timeframe(granularity) else {
            return error("40017", "Parameter verification failed: granularity must be one of 1m,5m,15m,1H,4H,1D,1Dutc")
        }
        let maximum = history ? 200 : 1_000
        let limit = min(parameters.get("limit").flatMap { Int($0) } ?? 100, maximum)
        let now = clock.now()
        let start = parameters.get("startTime").flatMap { Int64($0) }
        let end = parameters.get("endTime").flatMap { Int64($0) }
        if let start, let end {
            guard end >= start else { return error("40017", "Parameter verification failed: endTime before startTime") }
            guard end - start <= 90 * 86_400_000 else { return error("40017", "Parameter verification failed: the time range exceeds 90 days") }
        }
        let to = min(end ?? now, now)
        var from = start ?? to - Int64(limit) * timeframe.milliseconds
        if !history, options.candlesLookbackDays > 0, timeframe <= .fifteenMinutes {
            from = max(from, now - Int64(options.candlesLookbackDays) * 86_400_000)
        }
        let bars = market.bars(symbol, timeframe, from: from, to: to, now: now)
        // With an end time (or no bounds) the page is the `limit` bars ending there; from a start time, the first `limit`.
        let page = end != nil || start == nil ? Array(bars.suffix(limit)) : Array(bars.prefix(limit))
        return envelope(page.map { bar in
            [String(bar.openTime), Self.text(bar.open), Self.text(bar.high), Self.text(bar.low), Self.text(bar.close),
             Self.text(bar.volume), Self.text(bar.volume * bar.close)]
        })
    }

    static func timeframe(_ granularity: String) -> Timeframe? {
        switch granularity {
        case "1m": .oneMinute
        case "5m": .fiveMinutes
        case "15m": .fifteenMinutes
        case "1H", "1h": .oneHour
        case "4H", "4h": .fourHours
        case "1Dutc", "1D", "1d": .oneDay
        default: nil
        }
    }

    func fundingHistory(_ request: Request) -> Response {
        guard let symbol = symbol(request) else { return symbolError(request) }
        let size = min(max(request.uri.queryParameters.get("pageSize").flatMap { Int($0) } ?? 20, 1), 100)
        let page = max(request.uri.queryParameters.get("pageNo").flatMap { Int($0) } ?? 1, 1)
        let now = clock.now()
        let settled = (market.funding[symbol] ?? []).filter { $0.time <= now }.reversed()
        let rows = Array(settled.dropFirst((page - 1) * size).prefix(size))
        return envelope(rows.map { ["symbol": symbol.name, "fundingRate": Self.text($0.rate), "fundingTime": String($0.time)] })
    }

    func currentFunding(_ request: Request) -> Response {
        guard let symbol = symbol(request) else { return symbolError(request) }
        let now = clock.now()
        let rate = (market.funding[symbol] ?? []).last { $0.time <= now }?.rate ?? 0.0001
        let next = (now / 28_800_000 + 1) * 28_800_000
        return envelope([["symbol": symbol.name, "fundingRate": Self.text(rate), "fundingRateInterval": "8", "nextUpdate": String(next)]])
    }

    func symbolPrice(_ request: Request) -> Response {
        guard let symbol = symbol(request) else { return symbolError(request) }
        let now = clock.now()
        let price = Self.text(market.price(symbol, now: now) ?? 0)
        return envelope([["symbol": symbol.name, "price": price, "indexPrice": price, "markPrice": price, "ts": String(now)]])
    }

    func ticker(_ request: Request) -> Response {
        guard let symbol = symbol(request) else { return symbolError(request) }
        let now = clock.now()
        let price = Self.text(market.price(symbol, now: now) ?? 0)
        let rate = (market.funding[symbol] ?? []).last { $0.time <= now }?.rate ?? 0.0001
        return envelope([["symbol": symbol.name, "lastPr": price, "askPr": price, "bidPr": price, "markPrice": price,
                          "indexPrice": price, "fundingRate": Self.text(rate), "ts": String(now)]])
    }
}

extension DecimalText {
    /// BitGet's `pricePlace` and `priceEndStep` for a tick (0.1 → (1, 1); 0.5 → (5, 1)).
    static func integerStepForSimulator(_ tick: Double) -> (Int64, Int) {
        let decimals = integerStepDecimals(tick)
        var scaled = tick
        for _ in 0..<decimals { scaled *= 10 }
        return (Int64(scaled.rounded()), decimals)
    }
}

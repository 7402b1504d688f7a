import ArgumentParser
import ExchangeSimulator
import Foundation
import Logging
import MarketModel

/// `bitget-sim`: the BitGet-compatible exchange simulator on loopback.
@main
struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bitget-sim",
        abstract: "A BitGet v2 (USDT-M) compatible exchange on loopback, serving recorded or generated bars.",
        discussion: """
            Point the pipeline at it with BITGET_BASE_URL=http://127.0.0.1:PORT and \
            BITGET_WS_URL=ws://127.0.0.1:PORT/v2/ws/public. Private endpoints take the --api-key, --secret \
            and --passphrase given here.
            """)

    @Option(help: "Port on 127.0.0.1 (0: any free port; the chosen one is printed).") var port = 8080
    @Option(help: "Serve every CSV in DIR named like the shared datasets (…_{SYMBOL}_{tf}_….csv, …_funding-rate_…).")
    var data: String?
    @Option(help: "Generate a seeded synthetic market instead.") var generate: UInt64?
    @Option(help: "With --generate: planted edge, the drift of the time-of-day regimes in units of the per-minute volatility (0: a pure random walk).")
    var edge = 0.0
    @Option(help: "Symbols of the generated market.") var symbols = "BTCUSDT,ETHUSDT,SOLUSDT,ADAUSDT,DOGEUSDT,LINKUSDT"
    @Option(help: "Days of history of the generated market before its start.") var days = 30
    @Option(help: "Days of the generated market after its start (for the clock to run into).") var futureDays = 365
    @Option(help: "Simulated time runs this many times faster than real time.") var speed = 1.0
    @Option(help: "Simulated start, UTC ms (default: the end of the data).") var start: Int64?
    @Option(help: "Faults: ws-close=SECONDS,http-429=FRACTION,http-5xx=FRACTION,latency-ms=MS,malformed=FRACTION,lost-response=FRACTION,accepted-5xx=FRACTION") var faults = ""
    @Option(help: "Wall seconds between WebSocket candle pushes (BitGet: about 0.5).") var pushInterval = 0.5
    @Option(help: "Days of 1m–15m history `candles` serves (0: all; BitGet: about 30).") var candlesLookbackDays = 0
    @Option(help: "API key accepted by the private endpoints.") var apiKey = "sim-key"
    @Option(help: "Secret of that key.") var secret = "sim-secret"
    @Option(help: "Passphrase of that key.") var passphrase = "sim-passphrase"
    @Option(help: "The account that key belongs to: demo (requests must carry paptrading: 1), real (they must not) or any.")
    var account = "any"

    func validate() throws {
        guard (data == nil) != (generate == nil) else { throw ValidationError("give exactly one of --data DIR or --generate SEED") }
        if let data, !FileManager.default.fileExists(atPath: data) { throw ValidationError("--data \(data): no such directory") }
        guard edge.isFinite, edge >= 0, edge <= 1 else { throw ValidationError("--edge must be between 0 and 1, got \(edge)") }
        guard edge == 0 || generate != nil else { throw ValidationError("--edge needs --generate SEED") }
        guard speed > 0 else { throw ValidationError("--speed must be > 0") }
        guard pushInterval >= 0.001 else { throw ValidationError("--push-interval must be at least 0.001 s") }
        _ = try SimulatorFaults(parsing: faults)
        guard ["demo", "real", "any"].contains(account) else { throw ValidationError("--account: demo, real or any, got \(account)") }
    }

    func run() async throws {
        var options = SimulatorOptions()
        options.port = port
        options.speed = speed
        options.faults = try SimulatorFaults(parsing: faults)
        options.candlesLookbackDays = candlesLookbackDays
        options.pushInterval = pushInterval
        options.apiKey = apiKey
        options.secret = secret
        options.passphrase = passphrase
        options.demoTrading = ["demo": true, "real": false][account]
        let market: SimulatedMarket
        let edgeText: String  // the planted regimes, printed next to the "listening" line
        if let data {
            market = try SimulatedMarket.load(directory: data)
            edgeText = ""
        } else {
            let names = symbols.split(separator: ",").compactMap { Symbol(String($0)) }
            let now = Int64(Date().timeIntervalSince1970 * 1000) / 60_000 * 60_000
            let history = Int64(days) * 86_400_000
            // History before the start and a year after it, so the clock can run on.
            let generator = MarketGenerator(seed: generate!, edge: edge)
            market = generator.market(symbols: names, start: now - history, minutes: (days + futureDays) * 1_440)
            let drift = String(format: "%.3g", generator.driftPerMinute)
            edgeText = edge <= 0 ? "" : names.map { symbol in
                "planted edge \(edge) (drift \(drift) per 1m bar): \(symbol.name) blocks "
                    + "\(generator.schedule(symbol: symbol).signText) (UTC \(PlantedEdgeSchedule.blockHoursText))\n"
            }.joined()
            options.start = now
        }
        if let start { options.start = start }
        guard !market.symbols.isEmpty else { throw ValidationError("no market data found") }
        let simulator = ExchangeSimulator(market: market, options: options)
        try await simulator.run { port in
            let line = "bitget-sim listening on http://127.0.0.1:\(port) (ws://127.0.0.1:\(port)/v2/ws/public), symbols \(market.symbols.map(\.name).joined(separator: ","))\n"
            FileHandle.standardOutput.write(Data((line + edgeText).utf8))
        }
    }
}

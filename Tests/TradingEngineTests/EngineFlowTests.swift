import MarketModel
import Testing
import TradingEngine

@Suite struct EngineFlowTests {
    @Test func ordersFillAtTheNextOpenAndFundingSettlesOnSchedule() {
        // Funding data for 08:00 only; 16:00 falls back to the configured 0.0001.
        let rates = [FundingRate(time: midnight + 8 * 3_600_000, rate: 0.0003)]
        var engine = SimulatedTradingEngine(parameters: testParameters(), initialCapital: 10_000,
                                   funding: FundingSchedule(rates: rates, fallbackRate: 0.0001), confirmation: .off)
        engine.process(bar(0, open: 30_000))
        engine.decide(.short, averageTrueRange: 100)
        #expect(engine.account.position == nil, "nothing fills at the decision bar's close")
        engine.process(bar(1, open: 30_010, close: 30_000))
        let short = engine.account.position!
        #expect(short.side == .short && short.entryPrice == 30_010)
        // The 07:59 bar closes at 08:00: the short receives 0.0003 × size × close.
        engine.process(bar(479, open: 29_900, close: 29_900))
        #expect(close(engine.account.ledger.fundingReceived, 0.0003 * short.size * 29_900))
        engine.process(bar(959, open: 29_950, close: 29_950))
        #expect(engine.fundingSettlements == 2)
        #expect(engine.fundingFallbacks == 1, "16:00 had no data")
        #expect(close(engine.account.ledger.fundingReceived, (0.0003 * 29_900 + 0.0001 * 29_950) * short.size))
        engine.closeAtLastPrice()
        #expect(engine.trades.last?.exitReason == .endOfData)
        #expect(close(engine.trades.last!.funding, engine.account.ledger.fundingReceived))
    }

    @Test func aHaltFlattensAtTheNextOpenAndBlocksEntries() {
        // 20% risk with a 5-ATR stop (1,500 below 30,000): 2,000 / (1,500 + 35.1) → 1.302 BTC, so a 400 drop
        // marks equity down 5.2% while the stop is far away.
        let rules = RiskRules(riskPerTrade: 0.2, atrStopMultiple: 5, cooldownLosses: 0)
        var engine = SimulatedTradingEngine(parameters: testParameters(risk: rules), initialCapital: 10_000,
                                   funding: FundingSchedule(rates: [], fallbackRate: 0), confirmation: .off)
        engine.process(bar(0, open: 30_000))
        #expect(engine.decide(.long, averageTrueRange: 300) == .enter(.long))
        engine.process(bar(1, open: 30_000))
        let size = engine.account.position!.size
        #expect(size == 1.302)
        engine.process(bar(2, open: 29_900, low: 29_580, close: 29_600))
        #expect(engine.risk.state == .halted)
        #expect(engine.riskEvents.map(\.to) == [.halted])
        #expect(engine.decide(.long, averageTrueRange: 300) == .close(.halt), "nothing but flattening while halted")
        engine.process(bar(3, open: 29_650))
        #expect(engine.account.position == nil)
        #expect(engine.trades.last?.exitReason == .halt)
        #expect(engine.trades.last?.exitPrice == 29_650)
        #expect(engine.decide(.short, averageTrueRange: 300) == .none)
        engine.resetRisk()
        #expect(engine.risk.state == .active)
        #expect(engine.decide(.short, averageTrueRange: 300) == .enter(.short))
    }

    @Test func theEquityIdentityAlwaysHolds() {
        // Random fills, funding and prices: equity = initial + realised − fees − paid + received + unrealised,
        // and the closed trades plus the open position account for every USDT of it.
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            var account = PerpetualAccount(initialCapital: 50_000)
            var trades: [ClosedTrade] = []
            var price = 100.0
            for _ in 0..<60 {
                price = max(1, price * (1 + Double.random(in: -0.03...0.03, using: &generator)))
                switch Int.random(in: 0..<4, using: &generator) {
                case 0, 1:
                    let size = Double(Int.random(in: 1...30, using: &generator)) / 10
                    let direction: Double = Bool.random(using: &generator) ? 1 : -1
                    trades += account.fill(direction: direction, size: size, price: price, fee: size * price * 0.0006,
                                           leverage: Double(Int.random(in: 1...20, using: &generator)), time: 0)
                case 2:
                    account.settleFunding(rate: Double.random(in: -0.001...0.001, using: &generator), markPrice: price)
                default:
                    break
                }
                let ledger = account.ledger
                let unrealized = account.position?.unrealizedPnL(at: price) ?? 0
                let identity = account.initialCapital + ledger.realizedPnL - ledger.feesPaid - ledger.fundingPaid
                    + ledger.fundingReceived + unrealized
                #expect(close(account.equity(at: price), identity, 1e-9))
                let open = account.position.map { $0.unrealizedPnL(at: price) - $0.fees + $0.funding } ?? 0
                let accounted = account.initialCapital + trades.reduce(0) { $0 + $1.netPnL } + open
                #expect(close(account.equity(at: price), accounted, 1e-9))
            }
        }
    }
}

/// SplitMix64: a seedable generator for reproducible property tests.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

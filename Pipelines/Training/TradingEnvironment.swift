import Foundation
import MarketModel
import TradingEngine

/// The rows a trading environment trains on: features (float32, row-major), the bars that price fills,
/// the valid flags, and where the training range ends (the held-out rows after it are never touched).
public struct TrainingRows: Sendable {
    public var features: [Float]
    public var featureCount: Int
    public var bars: [Bar]
    public var valid: [UInt8]
    public var columns: FeatureColumns
    /// Column of `funding_rate` (basis points) and `funding_known`, if present.
    public var fundingColumns: (rate: Int, known: Int)?
    /// The funding settlements the features were built with (from the store), at their own times; nil:
    /// read from the feature columns at the configured interval's times.
    public var settlements: [FundingRate]?

    public init(features: [Float], featureCount: Int, bars: [Bar], valid: [UInt8], columns: FeatureColumns,
                fundingColumns: (rate: Int, known: Int)?) {
        self.features = features
        self.featureCount = featureCount
        self.bars = bars
        self.valid = valid
        self.columns = columns
        self.fundingColumns = fundingColumns
    }

    public var count: Int { bars.count }

    /// Funding settlements: `settlements` when known (every time the data has, 4- and 1-hourly contracts
    /// included), else as the features saw them at the configured interval's times (at a settlement's
    /// row, `funding_rate` is the rate just settled).
    public func fundingRates(intervalHours: Int) -> [FundingRate] {
        if let settlements { return settlements }
        guard let columns = fundingColumns else { return [] }
        let interval = Int64(intervalHours) * 3_600_000
        return bars.indices.compactMap { row in
            let close = bars[row].openTime + 60_000
            guard close % interval == 0, features[row * featureCount + columns.known] > 0 else { return nil }
            return FundingRate(time: close, rate: Double(features[row * featureCount + columns.rate]) / 10_000)
        }
    }
}

/// Reward weights (`ml/rewards.yaml`), in risk units (1 = the capital risked per trade).
public struct RewardWeights: Sendable, Equatable {
    public var equityChange: Double
    public var drawdownPenalty: Double
    public var tradePenalty: Double
    public var holdingPenalty: Double

    public init(equityChange: Double = 1, drawdownPenalty: Double = 0.5, tradePenalty: Double = 0, holdingPenalty: Double = 0) {
        self.equityChange = equityChange
        self.drawdownPenalty = drawdownPenalty
        self.tradePenalty = tradePenalty
        self.holdingPenalty = holdingPenalty
    }
}

/// The trading environment: every step goes through the one trading engine (fees, slippage, funding,
/// liquidation, stops, take-profits, risk sizing). Observation = the feature row + the position state
/// (side, unrealised PnL in risk units, bars in the trade / 100, leverage / 100, drawdown × 100); actions
/// hold / long / short. Reward = `equityChange` × Δequity − `drawdownPenalty` × the increase in drawdown
/// (both in risk units) − `tradePenalty` per entry − `holdingPenalty` per bar in a position. Episodes are
/// random windows of `episodeBars` inside the training rows, ending by time limit, or as terminal when the
/// risk gate halts for drawdown (the forced exit's costs charged in the last reward; a daily-loss halt,
/// which lifts at 00:00 UTC, is not terminal).
public struct TradingEnvironment: TrainingEnvironment {
    public static let positionFeatures = AgentPositionState.names
    public let rows: TrainingRows
    public let parameters: EngineParameters
    public let rewards: RewardWeights
    public let capital: Double
    public let episodeBars: Int
    /// The entry confirmation of the configuration, so the agent learns under the rules it will trade by.
    public let confirmation: ConfirmationRules
    private let funding: FundingSchedule
    private var engine: SimulatedTradingEngine
    private var random: SeededRandom
    private var row = 0, start = 0
    private var openedAt = 0
    private var lastEquity = 0.0, drawdown = 0.0
    private var trendBuffer: [Double]
    private let hasValidRows: Bool

    public var observationSize: Int { rows.featureCount + Self.positionFeatures.count }
    /// The engine's equity now, USDT.
    public var equity: Double { engine.equity }
    /// Trades closed in the current episode.
    public var closedTrades: Int { engine.trades.count }
    /// Whether a position is open now.
    public var hasPosition: Bool { engine.account.position != nil }
    /// The risk gate's state now.
    public var riskState: RiskState { engine.risk.state }
    public let actionCount = 3

    public init(rows: TrainingRows, parameters: EngineParameters, rewards: RewardWeights, capital: Double, episodeBars: Int,
                confirmation: ConfirmationRules = .off, seed: UInt64) {
        precondition(rows.count > episodeBars + 1, "fewer training rows (\(rows.count)) than an episode needs")
        self.rows = rows
        self.parameters = parameters
        self.rewards = rewards
        self.capital = capital
        self.episodeBars = episodeBars
        self.confirmation = confirmation
        funding = FundingSchedule(rates: rows.fundingRates(intervalHours: parameters.fundingIntervalHours), fallbackRate: parameters.fallbackFundingRate)
        engine = SimulatedTradingEngine(parameters: parameters, initialCapital: capital, funding: funding, confirmation: confirmation)
        random = SeededRandom(seed: seed)
        trendBuffer = Array(repeating: 0, count: rows.columns.trends.count)
        hasValidRows = rows.valid[0..<(rows.count - episodeBars - 1)].contains(1)
    }

    public mutating func reseed(_ seed: UInt64) { random = SeededRandom(seed: seed) }

    var riskUnit: Double { capital * parameters.risk.riskPerTrade }

    public mutating func reset() -> [Double] {
        engine = SimulatedTradingEngine(parameters: parameters, initialCapital: capital, funding: funding, confirmation: confirmation)
        // A random window starting on a valid row.
        repeat { start = Int(random.next() % UInt64(rows.count - episodeBars - 1)) } while rows.valid[start] == 0 && hasValidRows
        row = start
        engine.process(rows.bars[row])
        lastEquity = engine.equity
        drawdown = 0
        return observation()
    }

    public mutating func step(_ action: Int) -> EnvironmentStep {
        let base = row * rows.featureCount
        let valid = rows.valid[row] != 0
        let close = rows.bars[row].close
        let hadPosition = engine.account.position != nil
        if valid || hadPosition {
            for (slot, column) in rows.columns.trends.enumerated() { trendBuffer[slot] = Double(rows.features[base + column]) }
            let atr = Double(rows.features[base + rows.columns.averageTrueRangeFraction]) * close / 100
            let chosen = AgentAction(rawValue: action) ?? .hold
            engine.decide(valid ? chosen : (chosen == .hold ? .hold : (hadPosition ? chosen : .hold)), averageTrueRange: atr,
                          trends: trendBuffer, rsi: Double(rows.features[base + rows.columns.rsi]) * 50 + 50)
        }
        row += 1
        engine.process(rows.bars[row])
        let entered = !hadPosition && engine.account.position != nil
        if entered { openedAt = row }
        // A drawdown halt ends the episode; its forced exit (at this close, with the exit's fee and slippage)
        // is in the last reward. A daily-loss halt lifts at 00:00 UTC: the episode goes on through it.
        let terminated = engine.risk.state == .halted && !engine.risk.haltLiftsByItself
        if terminated { engine.closeAtLastPrice(reason: .halt) }
        let newEquity = engine.equity
        let newDrawdown = engine.risk.drawdown(at: newEquity)
        var reward = rewards.equityChange * (newEquity - lastEquity) / riskUnit
        reward -= rewards.drawdownPenalty * max(0, newDrawdown - drawdown) * capital / riskUnit
        if entered { reward -= rewards.tradePenalty }
        if engine.account.position != nil { reward -= rewards.holdingPenalty }
        lastEquity = newEquity
        drawdown = newDrawdown
        return EnvironmentStep(observation: observation(), reward: reward, terminated: terminated,
                               truncated: !terminated && row - start >= episodeBars)
    }

    private func observation() -> [Double] {
        var observation = [Double]()
        observation.reserveCapacity(observationSize)
        let base = row * rows.featureCount
        for index in 0..<rows.featureCount { observation.append(Double(rows.features[base + index])) }
        let position = engine.account.position
        AgentPositionState.append(
            to: &observation, side: position?.side, unrealizedRisk: (position?.unrealizedPnL(at: rows.bars[row].close) ?? 0) / riskUnit,
            barsInTrade: position == nil ? 0 : row - openedAt, leverage: position?.leverage ?? 0, drawdown: drawdown)
        return observation
    }
}

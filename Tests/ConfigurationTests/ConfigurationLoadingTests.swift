import TraderConfiguration
import Foundation
import MarketModel
import TestSupport
import Testing

@Suite(.removesTemporaryFiles) struct ConfigurationLoadingTests {
    @Test func theShippedConfigurationIsValid() throws {
        let configuration = try PipelineConfiguration.load(directory: TestEnvironment.configDirectory, environment: [:])
        #expect(configuration.symbols.symbols.map(\.symbol.name) == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "ADAUSDT", "DOGEUSDT", "LINKUSDT"])
        #expect(configuration.symbols.timeframes == Timeframe.allCases)
        #expect(configuration.symbols.symbol("BTCUSDT")?.leverage == LeverageBand(minimum: 5, maximum: 80))
        #expect(configuration.symbols.symbol("BTCUSDT")?.contract.tickSize == 0.1)
        #expect(configuration.risk.riskPerTrade == 0.01)
        #expect(configuration.risk.haltDrawdown == 0.05)
        #expect(configuration.training.ppo.minibatchSize == 64)
        #expect(configuration.training.ppo.valueClipRange == nil)
        #expect(configuration.paths.data == "data")
        #expect(configuration.database == .sqlite(path: "data/trader.sqlite"))
    }

    /// The trader reads trading/* and system/* only: without the ml/ files it still loads, while the
    /// pipeline reports each missing file (and every other problem) at once.
    @Test func aTradingConfigurationNeedsNoMachineLearningFiles() throws {
        let fixture = try ConfigurationFixture()
        defer { fixture.remove() }
        for file in ["ml/training.yaml", "ml/rewards.yaml"] { try FileManager.default.removeItem(atPath: fixture.directory + "/" + file) }
        try fixture.replace(in: "trading/risk.yaml", "risk_per_trade: 0.01", with: "risk_per_trade: 0.5")
        let trading = try? TradingConfiguration.load(directory: fixture.directory, environment: [:])
        #expect(trading == nil, "an invalid trading file is still refused")
        try fixture.replace(in: "trading/risk.yaml", "risk_per_trade: 0.5", with: "risk_per_trade: 0.01")
        let loaded = try TradingConfiguration.load(directory: fixture.directory, environment: [:])
        #expect(loaded.symbols.enabledSymbols.count == 6 && loaded.risk.riskPerTrade == 0.01)
        #expect(!loaded.redactedDescription().contains("ml/training.yaml"))
        try fixture.replace(in: "trading/risk.yaml", "risk_per_trade: 0.01", with: "risk_per_trade: 0.5")
        let issues = fixture.issues()
        #expect(issues.count == 3, "\(issues)")
        #expect(issues.contains { $0.hasPrefix("trading/risk.yaml:") && $0.contains("risk_per_trade = 0.5") })
        #expect(issues.contains { $0.hasPrefix("ml/training.yaml: file is missing") })
        #expect(issues.contains { $0.hasPrefix("ml/rewards.yaml: file is missing") })
    }

    @Test func leverageAboveTheExchangeMaximumNamesBothBounds() throws {
        let fixture = try ConfigurationFixture()
        try fixture.replace(in: "trading/symbols.yaml", "- symbol: SOLUSDT\n    leverage: {min: 5, max: 50}",
                            with: "- symbol: SOLUSDT\n    leverage: {min: 5, max: 200}")
        #expect(fixture.issues() == ["trading/symbols.yaml:19: symbols[2].leverage.max = 200: must be between leverage.min (5) and 100"])
    }

    @Test func anInvertedLeverageBandIsRefused() throws {
        let fixture = try ConfigurationFixture()
        try fixture.replace(in: "trading/symbols.yaml", "leverage: {min: 5, max: 80}\n  - symbol: ETHUSDT",
                            with: "leverage: {min: 20, max: 10}\n  - symbol: ETHUSDT")
        #expect(fixture.issues() == ["trading/symbols.yaml:15: symbols[0].leverage.max = 10: must be between leverage.min (20) and 125"])
    }

    @Test func unknownKeysAreRejectedWithTheNearestValidKey() throws {
        let fixture = try ConfigurationFixture()
        try fixture.replace(in: "trading/risk.yaml", "risk_per_trade: 0.01", with: "risk_per_trad: 0.01")
        let issues = fixture.issues()
        #expect(issues.count == 1)
        #expect(issues.first?.hasPrefix("trading/risk.yaml:6: risk_per_trad: unknown key; did you mean risk_per_trade? (allowed: initial_capital, risk_per_trade,") == true)
    }

    @Test func everyProblemOfEveryFileIsReportedAtOnce() throws {
        let fixture = try ConfigurationFixture()
        try fixture.replace(in: "trading/risk.yaml", "halt_drawdown: 0.05", with: "halt_drawdown: lots")
        try fixture.replace(in: "trading/risk.yaml", "method: inverse_volatility", with: "method: inverse_vol")
        try fixture.replace(in: "trading/risk.yaml", "period: 14 ", with: "period: 1 ")
        try fixture.replace(in: "trading/symbols.yaml", "[1m, 5m, 15m, 1h, 4h, 1d]", with: "[1m, 2m, 15m, 1h, 4h, 1d]")
        try fixture.replace(in: "ml/training.yaml", "minibatch_size: 64", with: "minibatch_size: 64.5")
        try fixture.replace(in: "system/logging.yaml", "level: info", with: "level: loud")
        #expect(fixture.issues() == [
            "trading/symbols.yaml:7: timeframes[1]: 2m is not a timeframe; use one of 1m, 5m, 15m, 1h, 4h, 1d",
            "trading/risk.yaml:10: halt_drawdown = lots: expected a number",
            "trading/risk.yaml:16: atr.period = 1: must be 14: stops use the feature set's ATR(14) (a different period needs a new FeatureSpec)",
            "trading/risk.yaml:28: allocation.method = inverse_vol: must be one of inverse_volatility, equal",
            "system/logging.yaml:2: level = loud: must be one of trace, debug, info, notice, warning, error, critical",
            "ml/training.yaml:6: ppo.minibatch_size = 64.5: expected a whole number",
        ], "trading/*, then system/*, then ml/*")
    }

    @Test func crossFieldRulesAreChecked() throws {
        let fixture = try ConfigurationFixture()
        try fixture.replace(in: "trading/risk.yaml", "reducing_drawdown: 0.04", with: "reducing_drawdown: 0.08")
        try fixture.replace(in: "trading/symbols.yaml", "trading_timeframe: 1m", with: "trading_timeframe: 1h")
        let issues = fixture.issues()
        #expect(issues.contains("trading/symbols.yaml:11: confirmation_timeframes = [\"15m\", \"1h\"]: each must be in timeframes and longer than trading_timeframe 1h"))
        #expect(issues.contains("trading/risk.yaml:8: reducing_drawdown = 0.08: must not exceed halt_drawdown (0.05)"))
    }

    /// Every layer steps 1m bars: a 5m trading timeframe is refused with the reason, not accepted and run wrong.
    @Test func aTradingTimeframeOtherThanOneMinuteIsRefused() throws {
        let fixture = try ConfigurationFixture()
        try fixture.replace(in: "trading/symbols.yaml", "trading_timeframe: 1m", with: "trading_timeframe: 5m")
        let issues = fixture.issues()
        #expect(issues.contains { $0.hasPrefix("trading/symbols.yaml:") && $0.contains("trading_timeframe = 5m: must be 1m: trading on 5m (or longer) bars is not supported yet") },
                "\(issues)")
    }

    @Test func aSymbolWithoutContractDataMustGiveItsContract() throws {
        let fixture = try ConfigurationFixture()
        try fixture.replace(in: "trading/symbols.yaml", "  - symbol: LINKUSDT", with: "  - symbol: DOTUSDT")
        let issues = fixture.issues()
        #expect(issues.count == 1)
        #expect(issues.first?.contains("symbols[5].contract = DOTUSDT: no built-in contract data for this symbol") == true)
        // With a complete contract block it loads.
        try fixture.replace(in: "trading/symbols.yaml", "    # contract:\n    #   tick_size: 0.001\n    #   size_step: 0.1", with: """
                contract:
                  tick_size: 0.001
                  size_step: 0.1
                  minimum_size: 0.1
                  minimum_notional: 5
                  maximum_leverage: 50
                  maintenance_margin_tiers:
                    - {maximum_notional: 100000, maintenance_margin_rate: 0.01}
                    - {maximum_notional: 1000000000, maintenance_margin_rate: 0.05}
            """)
        let configuration = try fixture.load()
        let dot = try #require(configuration.symbols.symbol("DOTUSDT"))
        #expect(dot.contract.maintenanceMarginRate(notional: 200_000) == 0.05)
        #expect(dot.leverage.maximum == 50)
    }

    @Test func missingFilesAndBadYAMLSayWhere() throws {
        let fixture = try ConfigurationFixture()
        try FileManager.default.removeItem(atPath: fixture.directory + "/ml/rewards.yaml")
        try fixture.write("system/paths.yaml", "data: [unclosed\n")
        let issues = fixture.issues()
        #expect(issues.contains { $0.hasPrefix("ml/rewards.yaml: file is missing") })
        #expect(issues.contains { $0.hasPrefix("system/paths.yaml:2: not valid YAML:") })
    }

    @Test func theDirectoryComesFromTheOptionThenTheEnvironment() {
        #expect(TradingConfiguration.directory(option: "a", environment: ["TRADER_CONFIG": "b"]) == "a")
        #expect(TradingConfiguration.directory(option: nil, environment: ["TRADER_CONFIG": "b"]) == "b")
        #expect(TradingConfiguration.directory(option: nil, environment: [:]) == "config")
    }
}

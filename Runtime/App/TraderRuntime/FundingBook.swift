import BitGet
import Foundation
import Logging
import MarketModel
import Storage

/// The funding settlements each symbol's features and paper venue see: loaded from the store, and
/// refreshed from the exchange at every settlement (stored as well, so the pipeline has them). The
/// features use the latest settlement at or before a bar's close, exactly as the batch builder does.
final class FundingBook {
    private(set) var rates: [Symbol: [FundingRate]]
    let client: BitGetRESTClient
    let store: AsyncStore
    let logger: Logger
    /// How long to wait for a settlement the exchange has not published yet, and how often to ask.
    var settlementWait: Duration = .seconds(3)

    init(rates: [Symbol: [FundingRate]], client: BitGetRESTClient, store: AsyncStore, logger: Logger) {
        self.rates = rates.mapValues { $0.sorted { $0.time < $1.time } }
        self.client = client
        self.store = store
        self.logger = logger
    }

    /// The latest settlement of `symbol` at or before `time` (UTC ms).
    func latest(_ symbol: Symbol, at time: Int64) -> FundingRate? {
        guard let list = rates[symbol], !list.isEmpty else { return nil }
        var low = 0, high = list.count
        while low < high {
            let middle = (low + high) / 2
            if list[middle].time <= time { low = middle + 1 } else { high = middle }
        }
        return low > 0 ? list[low - 1] : nil
    }

    /// Fetches the newest settlements of `symbol` (waiting briefly for the one at `settlement`, UTC ms,
    /// when given), stores the new ones and returns them. A failure is logged: the venue then uses its
    /// fallback rate for that settlement, as a backtest without the data would.
    @discardableResult
    func refresh(_ symbol: Symbol, settlement: Int64? = nil) async -> [FundingRate] {
        let deadline = ContinuousClock.now + settlementWait
        var added: [FundingRate] = []
        while true {
            do {
                let page = try await client.fundingHistory(symbol: symbol, pageSize: 100)
                let known = Set((rates[symbol] ?? []).map(\.time))
                let new = page.filter { !known.contains($0.time) }.sorted { $0.time < $1.time }
                if !new.isEmpty {
                    rates[symbol, default: []] = ((rates[symbol] ?? []) + new).sorted { $0.time < $1.time }
                    _ = try? await store.upsertFundingRates(new, symbol: symbol)
                    added += new
                }
                let have = settlement.map { time in (rates[symbol] ?? []).contains { $0.time == time } } ?? true
                if have || ContinuousClock.now >= deadline {
                    if !have {
                        logger.warning("funding settlement not published yet; the fallback rate applies",
                                       metadata: ["symbol": "\(symbol)", "settlement": "\(UTCTime.format(settlement ?? 0))"])
                    }
                    return added
                }
            } catch {
                logger.warning("funding history unavailable", metadata: ["symbol": "\(symbol)", "error": "\(error)"])
                return added
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}

import Foundation
import MarketModel

/// Why the live venue refuses to start: every problem found, each naming what to fix.
public struct LiveStartRefusal: Error, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "live trading refused:\n" + problems.map { "  - " + $0 }.joined(separator: "\n") }
}

/// What the start-up checks found and set.
public struct LiveStartReport: Sendable, Equatable {
    /// The exchange's clock minus this machine's, ms.
    public var clockSkewMilliseconds: Int64
    /// USDT available in the futures account, and its equity (with the positions' unrealized PnL).
    public var availableBalance: Double
    public var equity: Double
    /// The settings the checks changed (one-way mode, isolated margin), in words.
    public var changes: [String]
}

extension BitGetVenue {
    /// Checks before the first order, in an order that sends nothing signed with a bad setting:
    /// credentials complete (locally), the clock against the exchange's, the credentials themselves (a
    /// read-only call), every symbol listed and tradable with the grid the engine rounds to, then one-way
    /// position mode and isolated margin per symbol, set when flat and refused otherwise. Throws a
    /// `LiveStartRefusal` naming every problem.
    public func verifyForLiveTrading(symbols: [Symbol]) async throws -> LiveStartReport {
        let credentials = client.credentials
        var problems: [String] = []
        let missing = [("BITGET_API_KEY", credentials?.apiKey), ("BITGET_SECRET", credentials?.secret),
                       ("BITGET_PASSPHRASE", credentials?.passphrase)].filter { $0.1?.isEmpty ?? true }.map(\.0)
        if !missing.isEmpty {
            throw LiveStartRefusal(problems: ["\(missing.joined(separator: ", ")) \(missing.count == 1 ? "is" : "are") not set (config/.env or the environment); "
                    + "BitGet needs the API key, its secret and the passphrase chosen when the key was created"])
        }
        var skew: Int64 = 0
        if settings.checksServerTime {
            let before = clock()
            let serverTime: Int64
            do {
                serverTime = try await client.serverTime()
            } catch {
                throw LiveStartRefusal(problems: ["the exchange's time cannot be read at \(client.baseURL): \(error); check BITGET_BASE_URL and the network"])
            }
            skew = serverTime - (before + clock()) / 2
        }
        if abs(skew) > settings.maximumClockSkewMilliseconds {
            throw LiveStartRefusal(problems: [
                "this machine's clock is \(abs(skew)) ms \(skew > 0 ? "behind" : "ahead of") the exchange's (at most \(settings.maximumClockSkewMilliseconds) ms "
                    + "is accepted): synchronise it (e.g. `timedatectl set-ntp true` or chrony)",
            ])
        }
        let usdt: AccountBalance?
        do {
            usdt = try await client.accounts().first { $0.marginCoin.uppercased() == "USDT" }
        } catch let error as BitGetError {
            throw LiveStartRefusal(problems: ["\(error)"])
        }
        let listed = try await listedContracts(symbols: symbols, problems: &problems)
        guard problems.isEmpty else { throw LiveStartRefusal(problems: problems) }
        // Everything is read before anything is changed, so a refusal really has sent nothing.
        let positions = try await client.positions().filter { $0.size > 0 }
        var changes: [String] = []
        var setOneWay = false
        if let first = symbols.first {
            let settings = try await client.accountSettings(symbol: first)
            if settings.positionMode != "one_way_mode" {
                if positions.isEmpty {
                    setOneWay = true
                } else {
                    problems.append("the account is in \(settings.positionMode) with open positions (\(positions.map(\.symbol).joined(separator: ", "))): "
                        + "close them, or switch to one-way mode in the BitGet app")
                }
            }
        }
        var setIsolated: [Symbol] = []
        for symbol in symbols where listed.contains(symbol) {
            let settings = try await client.accountSettings(symbol: symbol)
            guard settings.marginMode != "isolated" else { continue }
            let holding = positions.contains { $0.symbol.uppercased() == symbol.name }
            let orders = try await client.openOrders(symbol: symbol)
            let plans = try await client.positionProtection(symbol: symbol)
            let working = !orders.isEmpty || !plans.isEmpty
            if holding || working {
                problems.append("\(symbol) is in \(settings.marginMode) margin with an open \(holding ? "position" : "order or TP/SL order"): "
                    + "close it, or set isolated margin in the app")
            } else {
                setIsolated.append(symbol)
            }
        }
        guard problems.isEmpty else { throw LiveStartRefusal(problems: problems) }
        do {
            if setOneWay {
                try await client.setPositionMode(oneWay: true)
                changes.append("position mode set to one-way")
            }
            for symbol in setIsolated {
                try await client.setMarginMode(symbol: symbol, isolated: true)
                changes.append("\(symbol) margin set to isolated")
            }
        } catch let error as BitGetError {
            // Refused after the checks (an order placed meanwhile, another symbol busy): say what was changed.
            throw LiveStartRefusal(problems: ["the exchange refused a mode change: \(error)"
                    + (changes.isEmpty ? "" : " (already changed: \(changes.joined(separator: ", ")))")
                    + "; close open orders and positions, or set one-way mode and isolated margin in the app"])
        }
        return LiveStartReport(clockSkewMilliseconds: skew, availableBalance: usdt?.available ?? 0, equity: usdt?.equity ?? 0, changes: changes)
    }

    /// The symbols the exchange lists, tradable, on the grid the engine rounds to; a problem for each that is not.
    private func listedContracts(symbols: [Symbol], problems: inout [String]) async throws -> Set<Symbol> {
        let exchange = try await client.contracts()
        var listed: Set<Symbol> = []
        for symbol in symbols {
            guard let contract = exchange.first(where: { $0.symbol.uppercased() == symbol.name }) else {
                problems.append("\(symbol) is not listed by the exchange (USDT-FUTURES): remove it from the symbols")
                continue
            }
            guard contract.isTradable else {
                problems.append("\(symbol) is not tradable now (maintenance or delisting)")
                continue
            }
            if let known = contracts[symbol], abs(known.tickSize - contract.tickSize) > 1e-12 || abs(known.sizeStep - contract.sizeStep) > 1e-12 {
                problems.append("\(symbol): the exchange's tick \(contract.tickSize) / size step \(contract.sizeStep) differ from the engine's "
                    + "\(known.tickSize) / \(known.sizeStep); update the contract specification")
                continue
            }
            listed.insert(symbol)
        }
        return listed
    }
}

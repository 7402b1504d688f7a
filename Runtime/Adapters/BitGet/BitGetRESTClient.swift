import AsyncHTTPClient
import Foundation
import Logging
import MarketModel
import NIOCore
import NIOPosix
import NIOHTTP1

/// The BitGet v2 REST client for USDT-M perpetuals (`productType=USDT-FUTURES`): signed requests,
/// per-endpoint rate limits, retries with backoff on 429, 5xx and timeouts (honouring Retry-After), and
/// errors typed by what the caller should do. The base URL comes from configuration so tests, the demo
/// and paper trading point it at the simulator.
public final class BitGetRESTClient: Sendable {
    public let baseURL: String
    let credentials: BitGetCredentials?
    let http: HTTPClient
    let limiter: RateLimiter
    let retry: RetryPolicy
    let logger: Logger
    /// Wall-clock milliseconds for request timestamps (injectable for tests).
    let clock: @Sendable () -> Int64
    /// How long one request may take before its outcome counts as unknown, seconds.
    let requestTimeout: Double
    /// BitGet's demo trading: every request carries `paptrading: 1` (demo API keys, no real money).
    public let demoTrading: Bool

    public static let productType = "USDT-FUTURES"

    public init(baseURL: String, credentials: BitGetCredentials? = nil, http: HTTPClient = .shared,
                limiter: RateLimiter = RateLimiter(), retry: RetryPolicy = RetryPolicy(),
                logger: Logger = Logger(label: "bitget.rest"), requestTimeout: Double = 15, demoTrading: Bool = false,
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.credentials = credentials
        self.http = http
        self.limiter = limiter
        self.retry = retry
        self.logger = logger
        self.clock = clock
        self.requestTimeout = requestTimeout
        self.demoTrading = demoTrading
    }

    /// Sends a request (retrying what can be retried) and returns the envelope's `data`. Only for requests
    /// that are safe to repeat (reads, settings); orders and cancels go through `placeOrder` and
    /// `cancelOrder`, which resolve an unknown outcome by the client id instead of resending blindly.
    func request(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: [String: Any]? = nil,
                 signed: Bool = false, group: String = "market") async throws -> Any? {
        var attempt = 0
        while true {
            attempt += 1
            await limiter.acquire(group)
            do {
                return try await send(method, path, query: query, body: body, signed: signed)
            } catch let error as BitGetError where error.action == .retry && attempt < retry.maximumAttempts {
                var after: Double?
                if case let .rateLimited(seconds) = error { after = seconds }
                let delay = retry.delay(afterFailure: attempt, retryAfter: after)
                logger.warning("retrying after a transient failure", metadata: [
                    "path": "\(path)", "attempt": "\(attempt)", "delay_s": "\(String(format: "%.2f", delay))", "error": "\(error)",
                ])
                try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            }
        }
    }

    /// Sends a request once (after its rate-limit slot) and returns the envelope's `data`.
    func sendOnce(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: [String: Any]? = nil,
                  group: String) async throws -> Any? {
        await limiter.acquire(group)
        return try await send(method, path, query: query, body: body, signed: true)
    }

    private func send(_ method: HTTPMethod, _ path: String, query: [(String, String)], body: [String: Any]?,
                      signed: Bool) async throws -> Any? {
        let queryText = query.map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
        let bodyText = try body.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) } ?? ""
        var request = HTTPClientRequest(url: baseURL + path + (queryText.isEmpty ? "" : "?" + queryText))
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "locale", value: "en-US")
        if demoTrading { request.headers.add(name: "paptrading", value: "1") }
        if signed {
            guard let credentials else {
                throw BitGetError.credentials(code: "40001", message: "no credentials configured",
                                              check: "BITGET_API_KEY, BITGET_SECRET and BITGET_PASSPHRASE")
            }
            for (name, value) in BitGetSigner.headers(credentials: credentials, timestamp: String(clock()), method: method.rawValue,
                                                      path: path, query: queryText, body: bodyText) {
                request.headers.add(name: name, value: value)
            }
        }
        if !bodyText.isEmpty { request.body = .bytes(ByteBuffer(string: bodyText)) }
        let response: HTTPClientResponse
        let payload: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .milliseconds(Int64(requestTimeout * 1000)))
            payload = try await response.body.collect(upTo: 32 << 20)
        } catch let error as BitGetError {
            throw error
        } catch is CancellationError {
            throw CancellationError()  // the caller is stopping: not a network failure, never retried
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if Self.neverConnected(error) { throw BitGetError.notConnected("\(method.rawValue) \(path): \(error)") }
            throw BitGetError.transport("\(method.rawValue) \(path): \(error)")
        }
        let status = Int(response.status.code)
        let data = Data(payload.readableBytesView)
        if status == 429 {
            throw BitGetError.rateLimited(retryAfterSeconds: response.headers.first(name: "Retry-After").flatMap(Double.init))
        }
        let envelope: Envelope
        do {
            envelope = try Envelope.parse(data)
        } catch {
            if status >= 500 { throw BitGetError.server(status: status, code: String(status), message: String(decoding: data.prefix(200), as: UTF8.self)) }
            throw error
        }
        guard status == 200, envelope.code == "00000" else {
            throw BitGetError.from(status: status, code: envelope.code, message: envelope.message)
        }
        return envelope.data
    }

    /// Whether `error` happened while opening a connection, before any byte of the request was written
    /// (a request on an open pooled connection fails otherwise): only then is a resend provably safe.
    static func neverConnected(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError, error == .connectTimeout { return true }
        if error is NIOConnectionError { return true }
        if let error = error as? ChannelError, case .connectTimeout = error { return true }
        if let error = error as? IOError, [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode) { return true }
        return false
    }

    /// Percent-encodes a query value (BitGet's values are plain; this keeps odd input safe).
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? value
    }

    func objects(_ data: Any?, _ path: String) throws -> [JSONObject] {
        guard let list = data as? [[String: Any]] else {
            if data is NSNull || data == nil { return [] }
            throw BitGetError.malformed(reason: "\(path): expected a list of objects", raw: "\(data ?? "nil")")
        }
        return list.map(JSONObject.init)
    }
}

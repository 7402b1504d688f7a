import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The monitoring endpoint (Hummingbird, loopback by default): `GET /metrics` (Prometheus text format
/// 0.0.4) and `GET /health` (JSON: each service's state, the last bar's age per symbol, risk states).
/// `/health` answers 503 while the trader is degraded (a service down, a symbol stale), so a container
/// health check or a load balancer sees it.
public struct MonitoringServer: Service {
    public let host: String
    public let port: Int
    let metrics: TraderMetrics
    let health: HealthBoard
    let logger: Logger
    /// Told the bound port once the server listens (port 0 picks a free one).
    let onListening: @Sendable (Int) -> Void

    public init(host: String, port: Int, metrics: TraderMetrics, health: HealthBoard, logger: Logger,
                onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.host = host
        self.port = port
        self.metrics = metrics
        self.health = health
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let router = Router()
        let metrics = self.metrics, health = self.health
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("/health") { _, _ in
            let report = health.report
            return Response(status: report.status == "ok" ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: health.json)))
        }
        let onListening = self.onListening, logger = self.logger, host = self.host
        let application = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "trader"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                logger.notice("monitoring endpoint listening", metadata: ["url": "http://\(host):\(bound)/metrics", "health": "/health"])
                onListening(bound)
            }, logger: logger)
        health.service("monitoring", "running")
        defer { health.service("monitoring", "stopped") }
        try await application.run()
    }
}

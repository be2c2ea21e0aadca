public import Hummingbird
public import Logging
public import LogPilotCore
import NIOCore
public import Prometheus

/// Settings of the management port (probes and metrics).
public struct ManagementConfiguration: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "0.0.0.0", port: Int = 8081) {
        self.host = host
        self.port = port
    }
}

/// The management HTTP server: actuator-style health probes and the Prometheus `/metrics` page. Needs no API key.
public enum ManagementServer {
    /// Builds the router; exposed for in-process tests.
    public static func makeRouter(
        engine: StorageEngine,
        state: ServerState,
        registry: PrometheusCollectorRegistry,
        watchdog: EventLoopWatchdog? = nil
    ) -> Router<BasicRequestContext> {
        let router = Router()
        let startTime = Double(WallClock.nowMicroseconds()) / 1_000_000
        let probes: [(String, HealthReport.Probe)] = [
            ("/health", .overall), ("/actuator/health", .overall),
            ("/health/live", .liveness), ("/actuator/health/liveness", .liveness),
            ("/health/ready", .readiness), ("/actuator/health/readiness", .readiness),
            ("/health/startup", .startup),
        ]
        /// One report for the probes and for `logpilot_ready`, so that the metric says what `/health/ready` says.
        let report: @Sendable (HealthReport.Probe, _ volume: (free: Int64, total: Int64)?) -> HealthReport = { probe, volume in
            HealthReport(
                probe: probe,
                storage: engine.status,
                state: state,
                freeBytes: volume?.free,
                eventLoopSilenceSeconds: watchdog?.longestSilenceSeconds ?? 0
            )
        }
        for (path, probe) in probes {
            router.get(RouterPath(path)) { _, _ -> Response in
                let report = report(probe, DiskSpace.volume(containing: engine.configuration.path))
                var headers = HTTPFields()
                headers[.contentType] = "application/json"
                headers[.cacheControl] = "no-store"
                return Response(
                    status: report.isUp ? .ok : .serviceUnavailable,
                    headers: headers,
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: report.body))
                )
            }
        }
        for path in ["/metrics", "/actuator/prometheus"] {
            router.get(RouterPath(path)) { _, _ -> Response in
                let volume = DiskSpace.volume(containing: engine.configuration.path)
                let page = MetricsPage.render(
                    registry: registry,
                    engine: engine,
                    volume: volume,
                    ready: report(.readiness, volume).isUp,
                    startTimeSeconds: startTime
                )
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: page)))
            }
        }
        return router
    }

    /// Builds the management server as a ServiceLifecycle service.
    public static func makeApplication(
        engine: StorageEngine,
        state: ServerState,
        registry: PrometheusCollectorRegistry,
        configuration: ManagementConfiguration,
        watchdog: EventLoopWatchdog? = nil,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: makeRouter(engine: engine, state: state, registry: registry, watchdog: watchdog),
            server: .http1(configuration: .init(idleTimeout: .seconds(30))),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: nil
            ),
            onServerRunning: { channel in
                await onServerRunning(channel.localAddress?.port ?? configuration.port)
            },
            logger: logger
        )
    }
}

#if canImport(Glibc)
import Glibc
#endif
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
        for (path, probe) in probes {
            router.get(RouterPath(path)) { _, _ -> Response in
                let status = engine.status
                let report = HealthReport(
                    probe: probe,
                    storage: status,
                    state: state,
                    freeBytes: freeBytes(ofDirectoryContaining: status.path),
                    eventLoopSilenceSeconds: watchdog?.longestSilenceSeconds ?? 0
                )
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
                let page = MetricsPage.render(registry: registry, engine: engine, state: state, startTimeSeconds: startTime)
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

    /// Free bytes for unprivileged users on the filesystem holding `path`, or nil when unknown.
    public static func freeBytes(ofDirectoryContaining path: String) -> Int64? {
        volume(ofDirectoryContaining: path)?.free
    }

    /// Free (for unprivileged users) and total bytes of the filesystem holding `path`, or nil when unknown.
    static func volume(ofDirectoryContaining path: String) -> (free: Int64, total: Int64)? {
        DiskSpace.volume(containing: path)
    }
}

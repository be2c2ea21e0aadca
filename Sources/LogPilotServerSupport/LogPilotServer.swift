public import LogPilotCore
public import LogPilotManagement
public import Logging
import Metrics
public import Prometheus
import UnixSignals
public import ArgumentParser
public import ServiceLifecycle
import Foundation

/// What a front needs to build its service.
public struct FrontContext: Sendable {
    public var ingestor: Ingestor
    public var settings: LogPilotSettings
    /// Settings that change on a config reload (API keys, CORS origins, ...): read them here, not from `settings`.
    public var live: LiveControls
    public var state: ServerState
    public var logger: Logger
}

/// A front (REST, gRPC) that an executable can run.
public struct Front: Sendable {
    public var name: String
    public var makeService: @Sendable (FrontContext) -> any Service

    public init(name: String, makeService: @escaping @Sendable (FrontContext) -> any Service) {
        self.name = name
        self.makeService = makeService
    }
}

/// Assembles and runs one LogPilot process: storage, retention, management and the given fronts in one
/// `ServiceGroup`. The list order is the start order; graceful shutdown runs in reverse: readiness turns DOWN
/// first, the fronts stop accepting and finish in-flight requests, then the writer commits what is queued and the
/// database closes.
public enum LogPilotServer {
    public static func run(
        binaryName: String,
        settings: LogPilotSettings,
        options: ServerOptions,
        environment: [String: String],
        fronts: [Front]
    ) async throws {
        let live = LiveControls(settings)
        let logger = bootstrapObservability(binaryName: binaryName, settings: settings, logLevel: live.logLevel)
        let registry = metricsRegistry
        logger.info("starting", metadata: [
            "version": "\(LogPilotVersion.current)",
            "fronts": "\(fronts.map(\.name).joined(separator: ","))",
            "sqlite.version": "\(LogPilotVersion.sqlite)",
        ])
        if !settings.apiKeys.isEnabled {
            logger.warning("AUTHENTICATION IS OFF: no API key is configured (LOGPILOT_API_KEYS / LOGPILOT_API_KEY / LOGPILOT_API_KEYS_FILE); anyone who reaches the ingest ports can write and read logs")
        } else {
            logger.info("API key authentication is on", metadata: ["auth.keys": "\(settings.apiKeys.count)"])
        }
        if let file = settings.configFile {
            logger.info("configuration file loaded", metadata: ["config.file": "\(file)"])
        }
        if settings.rateLimit.isEnabled {
            logger.info("rate limiting is on", metadata: [
                "rate_limit.requests": "\(settings.rateLimit.requestRefillTokens)/\(settings.rateLimit.refillPeriodSeconds)s",
                "rate_limit.records": "\(settings.rateLimit.recordRefillTokens)/\(settings.rateLimit.refillPeriodSeconds)s",
                "rate_limit.per": "\(settings.apiKeys.isEnabled ? "api key" : "client address")",
            ])
        }
        for variable in settings.ignoredVariables {
            logger.notice("ignoring a Java LogPilot setting that has no effect here", metadata: ["variable": "\(variable)"])
        }

        let engine = StorageEngine(configuration: settings.storage, logger: logger)
        let ingestor = Ingestor(
            engine: engine,
            limits: settings.limits,
            rateLimiter: live.rateLimiter,
            maxChannelSeries: settings.metricsMaxChannels
        )
        let state = ServerState()
        let watchdog = EventLoopWatchdog()
        watchdog.start()
        defer { watchdog.stop() }
        let context = FrontContext(ingestor: ingestor, settings: settings, live: live, state: state, logger: logger)

        var services: [any Service] = [
            StorageService(engine: engine, logger: logger),
            CompactionService(engine: engine, policy: settings.storage.compaction, logger: logger),
            ManagementServer.makeApplication(
                engine: engine,
                state: state,
                registry: registry,
                configuration: settings.management,
                watchdog: watchdog,
                logger: logger,
                onServerRunning: { port in logger.info("management listening", metadata: ["port": "\(port)"]) }
            ),
            RetentionService(engine: engine, policy: live.retention, logger: logger),
            ConfigWatcher(options: options, environment: environment, initial: settings, live: live, logger: logger),
        ]
        services += fronts.map { $0.makeService(context) }
        services.append(DrainSignalService(state: state, logger: logger))

        var configuration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = .seconds(settings.shutdownTimeoutSeconds)
        configuration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
        logger.info("stopped")
    }

    /// The process-wide Prometheus registry behind swift-metrics.
    public static let metricsRegistry = PrometheusCollectorRegistry()

    private static func bootstrapObservability(
        binaryName: String,
        settings: LogPilotSettings,
        logLevel: LogLevelControl
    ) -> Logger {
        switch settings.logFormat {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardOutput(label: label)
                handler.logLevel = .trace  // the level is decided by `logLevel`, which a reload can change
                return LiveLevelLogHandler(inner: handler, control: logLevel)
            }
        case .json:
            LoggingSystem.bootstrap { label in
                LiveLevelLogHandler(
                    inner: JSONLogHandler(label: label, service: binaryName, logLevel: .trace),
                    control: logLevel
                )
            }
        }
        var factory = PrometheusMetricsFactory(registry: metricsRegistry)
        let recordBuckets: [Double] = [1, 10, 50, 100, 500, 1_000, 5_000, 10_000, 50_000]
        factory.valueHistogramBuckets["logpilot_storage_commit_records"] = recordBuckets
        factory.valueHistogramBuckets["logpilot_batch_records"] = recordBuckets
        factory.durationHistogramBuckets["logpilot_storage_commit_duration_seconds"] = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        let requestBuckets: [Duration] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
            .seconds(10),
        ]
        factory.durationHistogramBuckets["http_request_duration_seconds"] = requestBuckets
        factory.durationHistogramBuckets["grpc_server_handling_seconds"] = requestBuckets
        MetricsSystem.bootstrap(factory)
        Gauge(label: "logpilot_build_info", dimensions: [("version", LogPilotVersion.current)]).record(1)
        return Logger(label: binaryName)
    }
}

/// The last service of the group, hence the first to hear about graceful shutdown: turns readiness DOWN at once,
/// before any listener stops.
struct DrainSignalService: Service, CustomStringConvertible {
    let state: ServerState
    let logger: Logger
    var description: String { "DrainSignalService" }

    func run() async throws {
        try? await gracefulShutdown()
        state.beginDraining()
        logger.info("shutdown requested: readiness is DOWN, draining")
    }
}

extension LogPilotServer {
    /// What every executable's `run()` does: resolves the settings from the flags and the `LOGPILOT_*` environment
    /// (an invalid value stops with a usage error naming the setting), picks the fronts, and runs.
    public static func run(
        binaryName: String,
        options: ServerOptions,
        fronts: (LogPilotSettings) -> [Front]
    ) async throws {
        let environment = ProcessInfo.processInfo.environment
        let settings = try options.resolvedSettings(environment: environment)
        try await run(
            binaryName: binaryName,
            settings: settings,
            options: options,
            environment: environment,
            fronts: fronts(settings)
        )
    }
}

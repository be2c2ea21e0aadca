import LogPilotCore
import LogPilotREST
import Logging

extension Front {
    /// The REST front on `LOGPILOT_HTTP_PORT`.
    public static let rest = Front(name: "rest") { context in
        var configuration = RESTConfiguration(
            host: context.settings.host,
            port: context.settings.httpPort,
            apiKeys: context.live.apiKeys,
            corsAllowedOrigins: context.live.corsAllowedOrigins,
            idleTimeoutSeconds: context.settings.httpIdleTimeoutSeconds,
            maxConnections: context.settings.httpMaxConnections,
            maxInflightBodyBytes: context.settings.maxInflightBodyBytes
        )
        configuration.serverState = context.state
        context.ingestor.exportMetricSeries(protocol: .rest)
        return RESTServer.makeApplication(
            ingestor: context.ingestor,
            configuration: configuration,
            logger: context.logger,
            onServerRunning: { port in context.logger.info("REST listening", metadata: ["port": "\(port)"]) }
        )
    }
}

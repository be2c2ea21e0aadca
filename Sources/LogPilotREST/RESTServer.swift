public import Hummingbird
public import Logging
public import LogPilotCore
import NIOCore

/// Builds the REST front as a ServiceLifecycle service (a Hummingbird `Application`): on graceful shutdown it stops
/// accepting connections and lets in-flight requests finish.
public enum RESTServer {
    public static func makeApplication(
        ingestor: Ingestor,
        configuration: RESTConfiguration,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let connections = ConnectionCounter(limit: configuration.maxConnections)
        return Application(
            responder: RESTResponder(ingestor: ingestor, configuration: configuration),
            server: .http1(configuration: .init(
                additionalChannelHandlers: [
                    ConnectionLimitHandler(counter: connections),
                    ExpectContinueHandler(maxBodyBytes: ingestor.limits.maxBodyBytes),
                    LingeringCloseHandler(limits: configuration.lingeringClose(maxBodyBytes: ingestor.limits.maxBodyBytes)),
                ],
                idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)),
                httpDecoderConfiguration: .init(maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 64 * 1024, maxHeaderFieldCount: 100)
            )),
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

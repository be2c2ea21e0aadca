import Logging
import LogPilotCore
import LogPilotGRPC
public import LogPilotServerSupport

extension Front {
    /// The gRPC front on `LOGPILOT_GRPC_PORT`: `logpilot.LogService`, `grpc.health.v1.Health` and server
    /// reflection (v1 and v1alpha). Lives in its own target so that `logpilot-rest` links neither nghttp2 nor
    /// protobuf-c.
    public static let grpc = Front(name: "grpc") { context in
        let settings = context.settings
        context.ingestor.exportMetricSeries(protocol: .grpc)
        let methods =
            LogService(ingestor: context.ingestor, state: context.state, apiKeys: context.live.apiKeys).methods
            + HealthService(engine: context.ingestor.engine, state: context.state).methods
            + ReflectionService().methods
        var configuration = GRPCServerConfiguration(
            host: settings.host,
            port: settings.grpcPort,
            maxReceiveMessageBytes: settings.grpcMaxReceiveBytes,
            maxConcurrentStreamsPerConnection: settings.grpcMaxConcurrentStreams,
            maxConnections: settings.grpcMaxConnections
        )
        configuration.liveAPIKeys = context.live.apiKeys
        return GRPCServer(
            configuration: configuration,
            methods: methods,
            logger: context.logger,
            onListening: { port in context.logger.info("gRPC listening", metadata: ["port": "\(port)"]) }
        )
    }
}

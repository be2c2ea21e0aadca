public import LogPilotCore

/// `grpc.health.v1.Health` (https://github.com/grpc/grpc/blob/master/doc/health-checking.md): `Check` and `Watch`,
/// without an API key, so that probes (`grpcurl ... grpc.health.v1.Health/Check`, kubelet's gRPC probe) work.
///
/// The server as a whole (service `""`) and `logpilot.LogService` are SERVING while storage accepts writes and the
/// server is not draining, and NOT_SERVING otherwise. Unlike the HTTP `/health/ready`, a write queue above its
/// high-water mark does not make it NOT_SERVING: an overloaded server already answers RESOURCE_EXHAUSTED with a retry
/// hint, and a Kubernetes readiness probe on this service (k8s/) would otherwise take the pod's only endpoint away and
/// turn those answers into connection errors. Any other service name is unknown: `Check` answers NOT_FOUND, `Watch` sends SERVICE_UNKNOWN and keeps the call open.
public struct HealthService: Sendable {
    /// The fully qualified service name.
    public static let serviceName = "grpc.health.v1.Health"

    /// The service names this server reports on.
    static let knownServices: Set<String> = ["", LogService.serviceName]

    let engine: StorageEngine
    let state: ServerState
    let pollInterval: Duration

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - engine: The storage engine whose writability decides the status.
    ///   - state: The process's serving state; draining means NOT_SERVING, and ends open `Watch` calls.
    ///   - pollInterval: How often an open `Watch` call re-evaluates the status.
    public init(engine: StorageEngine, state: ServerState, pollInterval: Duration = .seconds(1)) {
        self.engine = engine
        self.state = state
        self.pollInterval = pollInterval
    }

    /// `Check` (unary) and `Watch` (server streaming), neither requiring authentication.
    public var methods: [GRPCMethod] {
        [
            GRPCMethod(
                path: "/\(Self.serviceName)/Check",
                requiresAuthentication: false,
                handler: GRPCHandlers.unary { bytes, _ in
                    let request = try ProtobufCodec.decodeRequest(bytes, as: HealthCheckRequestMessage.self)
                    return ProtobufCodec.encode(try self.check(request))
                }
            ),
            GRPCMethod(path: "/\(Self.serviceName)/Watch", requiresAuthentication: false, type: .serverStream) { requests, responses, _ in
                try await self.watch(requests: requests, responses: responses)
            },
        ]
    }

    /// The status of a known service; nil for an unknown one.
    func status(of service: String) -> HealthCheckResponseMessage.ServingStatus? {
        guard Self.knownServices.contains(service) else { return nil }
        return engine.status.isWritable && !state.isDraining ? .serving : .notServing
    }

    /// `Check`: the current status, or NOT_FOUND for an unknown service.
    func check(_ request: HealthCheckRequestMessage) throws(GRPCStatus) -> HealthCheckResponseMessage {
        guard let status = status(of: request.service) else {
            throw GRPCStatus(.notFound, "unknown service '\(request.service.prefix(200))'")
        }
        return HealthCheckResponseMessage(status: status)
    }

    /// `Watch`: sends the current status at once, then every change (checked every `pollInterval`). When the
    /// server drains it sends NOT_SERVING and ends the call with OK; when the client cancels, it stops.
    func watch(requests: any GRPCRequestReceiver, responses: any GRPCResponseSender) async throws {
        guard let bytes = try await requests.next() else {
            throw GRPCStatus(.internalError, "server-streaming call without a request message")
        }
        let request = try ProtobufCodec.decodeRequest(bytes, as: HealthCheckRequestMessage.self)
        var sent: HealthCheckResponseMessage.ServingStatus?
        while true {
            let current = status(of: request.service) ?? .serviceUnknown
            if current != sent {
                try await responses.write(ProtobufCodec.encode(HealthCheckResponseMessage(status: current)))
                sent = current
            }
            if state.isDraining { return }
            do {
                try await Task.sleep(for: pollInterval)
            } catch {
                throw GRPCStatus(.cancelled, "the call was cancelled")
            }
        }
    }
}

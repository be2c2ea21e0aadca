public import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// The gRPC front: an HTTP/2 (h2c) server on nghttp2 that routes calls to ``GRPCMethod`` handlers.
///
/// A swift-service-lifecycle `Service`. `run()` binds, accepts connections in a discarding task group (one task per
/// connection, each running on its channel's event loop) and returns once the listener is closed and every
/// connection has finished. On graceful shutdown it stops accepting, sends every connection the two-step GOAWAY
/// (shutdown notice, then the final GOAWAY after one round trip), lets in-flight calls finish and closes each
/// connection when its last call ends; cancellation (the end of the group's shutdown budget) cancels whatever is
/// left.
///
/// ```swift
/// let server = GRPCServer(
///     configuration: GRPCServerConfiguration(host: "127.0.0.1", port: 0),
///     methods: [GRPCMethod(path: "/test.Echo/Echo", requiresAuthentication: false, handler: GRPCHandlers.unary { request, _ in request })],
///     logger: logger,
///     onListening: { port in print("listening on \(port)") }
/// )
/// ```
public struct GRPCServer: Service, CustomStringConvertible {
    public var description: String { "GRPCServer" }

    private let configuration: GRPCServerConfiguration
    private let methods: [String: GRPCMethod]
    private let metrics: GRPCServerMetrics
    private let logger: Logger
    private let onListening: @Sendable (Int) async -> Void

    /// - Parameters:
    ///   - configuration: address, limits and API keys.
    ///   - methods: the methods served; a path registered twice keeps its first entry.
    ///   - logger: the server logs at debug level and below only.
    ///   - onListening: called with the bound port (useful with port 0) before the first connection is accepted.
    public init(
        configuration: GRPCServerConfiguration,
        methods: [GRPCMethod],
        logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.methods = Dictionary(methods.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        self.metrics = GRPCServerMetrics(methods: Array(self.methods.values))
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let configuration = self.configuration
        let methods = self.methods
        let metrics = self.metrics
        let logger = self.logger
        let connections = ConnectionRegistry(maxConnections: configuration.maxConnections)

        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let port = listener.channel.localAddress?.port ?? configuration.port
        logger.debug("gRPC server listening", metadata: ["grpc.host": "\(configuration.host)", "grpc.port": "\(port)"])
        await onListening(port)

        try await withGracefulShutdownHandler {
            try await listener.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        let mailbox = GRPCConnectionMailbox()
                        guard let id = connections.register(mailbox) else {
                            logger.debug("gRPC connection refused: too many connections", metadata: [
                                "grpc.max_connections": "\(configuration.maxConnections)",
                            ])
                            // Close through the async channel (never just drop it: its writer must be finished).
                            try? await connection.executeThenClose { _, _ in }
                            continue
                        }
                        group.addTask {
                            defer { connections.remove(id) }
                            do {
                                let handler = try GRPCConnection(
                                    channel: connection, mailbox: mailbox, methods: methods, metrics: metrics,
                                    configuration: configuration, logger: logger
                                )
                                await handler.run()
                            } catch {
                                logger.debug("gRPC connection setup failed", metadata: ["error": "\(error)"])
                                try? await connection.executeThenClose { _, _ in }
                            }
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            logger.debug("gRPC server shutting down gracefully", metadata: ["grpc.connections": "\(connections.count)"])
            connections.beginGracefulShutdown()
            listener.channel.close(promise: nil)
        }
        logger.debug("gRPC server stopped")
    }
}

extension GRPCServer {
    /// The open connections' mailboxes: counts them against the limit and tells them about graceful shutdown.
    final class ConnectionRegistry: Sendable {
        private struct State {
            var nextID = 0
            var mailboxes: [Int: GRPCConnectionMailbox] = [:]
            var isShuttingDown = false
        }

        private let maxConnections: Int
        private let state = Mutex(State())

        init(maxConnections: Int) {
            self.maxConnections = maxConnections
        }

        var count: Int { state.withLock { $0.mailboxes.count } }

        /// Adds a connection; nil when the limit is reached. A connection accepted while shutting down is told
        /// at once.
        func register(_ mailbox: GRPCConnectionMailbox) -> Int? {
            let (id, shuttingDown): (Int?, Bool) = state.withLock { state in
                guard state.mailboxes.count < maxConnections else { return (nil, false) }
                state.nextID += 1
                state.mailboxes[state.nextID] = mailbox
                return (state.nextID, state.isShuttingDown)
            }
            if shuttingDown {
                mailbox.post(.gracefulShutdown)
            }
            return id
        }

        func remove(_ id: Int) {
            state.withLock { _ = $0.mailboxes.removeValue(forKey: id) }
        }

        func beginGracefulShutdown() {
            let mailboxes = state.withLock { state in
                state.isShuttingDown = true
                return Array(state.mailboxes.values)
            }
            for mailbox in mailboxes {
                mailbox.post(.gracefulShutdown)
            }
        }
    }
}

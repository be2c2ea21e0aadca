// The seam between the gRPC transport (HTTP/2 on nghttp2, framing, deadlines, compression) and the services
// (LogService, Health, Reflection). Every RPC is a bidirectional stream at this level; unary and client- or
// server-streaming methods are special cases built on top (see `GRPCHandlers`).

/// A gRPC status code (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
public struct GRPCStatusCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let ok = GRPCStatusCode(rawValue: 0)
    public static let cancelled = GRPCStatusCode(rawValue: 1)
    public static let unknown = GRPCStatusCode(rawValue: 2)
    public static let invalidArgument = GRPCStatusCode(rawValue: 3)
    public static let deadlineExceeded = GRPCStatusCode(rawValue: 4)
    public static let notFound = GRPCStatusCode(rawValue: 5)
    public static let alreadyExists = GRPCStatusCode(rawValue: 6)
    public static let permissionDenied = GRPCStatusCode(rawValue: 7)
    public static let resourceExhausted = GRPCStatusCode(rawValue: 8)
    public static let failedPrecondition = GRPCStatusCode(rawValue: 9)
    public static let aborted = GRPCStatusCode(rawValue: 10)
    public static let outOfRange = GRPCStatusCode(rawValue: 11)
    public static let unimplemented = GRPCStatusCode(rawValue: 12)
    public static let internalError = GRPCStatusCode(rawValue: 13)
    public static let unavailable = GRPCStatusCode(rawValue: 14)
    public static let dataLoss = GRPCStatusCode(rawValue: 15)
    public static let unauthenticated = GRPCStatusCode(rawValue: 16)

    public var description: String { "\(rawValue)" }
}

/// The outcome of a call: sent as the `grpc-status` / `grpc-message` trailers (plus any extra trailers).
public struct GRPCStatus: Error, Sendable, Equatable {
    public var code: GRPCStatusCode
    /// Human-readable; percent-encoded on the wire by the transport.
    public var message: String
    /// Extra trailers, e.g. a retry hint (`retry-after-seconds`). Names lower-case.
    public var trailers: [(name: String, value: String)]

    public init(_ code: GRPCStatusCode, _ message: String = "", trailers: [(name: String, value: String)] = []) {
        self.code = code
        self.message = message
        self.trailers = trailers
    }

    public static let ok = GRPCStatus(.ok)

    public static func == (lhs: GRPCStatus, rhs: GRPCStatus) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
            && lhs.trailers.map(\.name) == rhs.trailers.map(\.name) && lhs.trailers.map(\.value) == rhs.trailers.map(\.value)
    }
}

/// What a handler knows about its call.
public struct GRPCRequestContext: Sendable {
    /// `/package.Service/Method`.
    public var path: String
    /// Request metadata (custom headers), names lower-case, in arrival order. Values are passed as sent
    /// (`-bin` entries keep their base64 text); reserved headers (`:path`, `te`, `grpc-*`, `content-type`) are
    /// not included.
    public var metadata: [(name: String, value: String)]
    /// From `grpc-timeout`; the transport also enforces it (DEADLINE_EXCEEDED) and cancels the handler's task.
    public var deadline: ContinuousClock.Instant?
    /// Peer address, for logs and per-client rate limits.
    public var remoteAddress: String?

    public init(
        path: String,
        metadata: [(name: String, value: String)] = [],
        deadline: ContinuousClock.Instant? = nil,
        remoteAddress: String? = nil
    ) {
        self.path = path
        self.metadata = metadata
        self.deadline = deadline
        self.remoteAddress = remoteAddress
    }

    /// The first value of a metadata entry (name matched case-insensitively).
    public func metadata(_ name: String) -> String? {
        let lowered = name.lowercased()
        return metadata.first { $0.name == lowered }?.value
    }
}

/// Receives the request messages of one call, in order (each already de-framed and decompressed).
///
/// `next()` returns nil when the client half-closed. It suspends until a message arrives; the transport grants the
/// client more HTTP/2 flow-control window only as messages are taken, so a slow handler slows the client down
/// instead of buffering without bound. It throws a `GRPCStatus` if the call breaks (client reset → CANCELLED,
/// message too large → RESOURCE_EXHAUSTED, bad framing → INTERNAL).
public protocol GRPCRequestReceiver: Sendable {
    func next() async throws(GRPCStatus) -> [UInt8]?
}

/// Sends response messages. The response headers go out before the first message. `write` suspends while the
/// client's flow-control window is full; it throws CANCELLED if the client went away.
public protocol GRPCResponseSender: Sendable {
    func write(_ message: [UInt8]) async throws(GRPCStatus)
}

/// A method implementation. Returning means OK; throwing a `GRPCStatus` ends the call with that status (as a
/// trailers-only response if nothing was sent yet); any other error becomes UNKNOWN without internal details.
public typealias GRPCHandler = @Sendable (
    _ requests: any GRPCRequestReceiver,
    _ responses: any GRPCResponseSender,
    _ context: GRPCRequestContext
) async throws -> Void

/// One registered method.
public struct GRPCMethod: Sendable {
    /// `/package.Service/Method`.
    public var path: String
    /// Whether the transport checks the API key (`x-api-key` metadata) before calling the handler.
    /// Health and reflection are exempt.
    public var requiresAuthentication: Bool
    /// For the `grpc_type` metric label.
    public var type: GRPCMethodType
    public var handler: GRPCHandler

    public init(
        path: String,
        requiresAuthentication: Bool,
        type: GRPCMethodType = .unary,
        handler: @escaping GRPCHandler
    ) {
        self.path = path
        self.requiresAuthentication = requiresAuthentication
        self.type = type
        self.handler = handler
    }
}

/// Adapters from the common method shapes to `GRPCHandler`.
public enum GRPCHandlers {
    /// Exactly one request message → exactly one response message. No request (half-close first) is INTERNAL
    /// ("unary call without a request message"); a second request message is INTERNAL too.
    public static func unary(
        _ body: @escaping @Sendable ([UInt8], GRPCRequestContext) async throws -> [UInt8]
    ) -> GRPCHandler {
        { requests, responses, context in
            guard let request = try await requests.next() else {
                throw GRPCStatus(.internalError, "unary call without a request message")
            }
            if try await requests.next() != nil {
                throw GRPCStatus(.internalError, "unary call with more than one request message")
            }
            let response = try await body(request, context)
            try await responses.write(response)
        }
    }
}

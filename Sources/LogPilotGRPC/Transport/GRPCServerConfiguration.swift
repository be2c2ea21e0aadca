public import LogPilotCore

/// Settings of the gRPC front (HTTP/2 cleartext, h2c).
public struct GRPCServerConfiguration: Sendable {
    /// Address to bind, e.g. "0.0.0.0" or "127.0.0.1".
    public var host: String
    /// Port to listen on (0 picks a free port, for tests; the real one is passed to `onListening`).
    public var port: Int
    /// The largest request message accepted, compressed or not (larger ones end the call with
    /// RESOURCE_EXHAUSTED).
    public var maxReceiveMessageBytes: Int
    /// Concurrent calls per connection: advertised as SETTINGS_MAX_CONCURRENT_STREAMS and enforced (a call counts
    /// until its handler has returned, even after a client reset).
    public var maxConcurrentStreamsPerConnection: Int
    /// Open connections; more are closed as soon as they are accepted.
    public var maxConnections: Int
    /// Seconds a connection may stay without any call before the server closes it (GOAWAY, then close); 0 turns
    /// the idle timeout off.
    public var idleTimeoutSeconds: Int
    /// API keys checked on methods that require authentication (`x-api-key` metadata); empty turns it off.
    public var apiKeys: APIKeySet {
        get { liveAPIKeys.value }
        set { liveAPIKeys = LiveValue(newValue) }
    }
    /// The API keys as a live value (a config reload replaces them).
    public var liveAPIKeys: LiveValue<APIKeySet>
    /// The largest request header block accepted (SETTINGS_MAX_HEADER_LIST_SIZE; larger is RESOURCE_EXHAUSTED).
    public var maxHeaderListBytes: Int
    /// SETTINGS_INITIAL_WINDOW_SIZE: request bytes a client may have in flight per call. With
    /// ``maxQueuedRequestBytesPerStream`` it bounds what one call can make the server buffer.
    public var initialStreamWindowBytes: Int
    /// The connection-level receive window.
    public var connectionWindowBytes: Int
    /// Request bytes that may wait for a handler before the server stops granting the call more window.
    public var maxQueuedRequestBytesPerStream: Int
    /// Response bytes a handler may have waiting for the client before `write` suspends.
    public var maxPendingResponseBytesPerStream: Int
    /// Seconds to wait for the client to acknowledge the shutdown PING before the final GOAWAY.
    public var shutdownPingTimeoutSeconds: Double

    public init(
        host: String = "0.0.0.0",
        port: Int = 50051,
        maxReceiveMessageBytes: Int = 4 * 1024 * 1024,
        maxConcurrentStreamsPerConnection: Int = 100,
        maxConnections: Int = 1024,
        idleTimeoutSeconds: Int = 300,
        apiKeys: APIKeySet = APIKeySet([]),
        maxHeaderListBytes: Int = 16 * 1024,
        initialStreamWindowBytes: Int = 1024 * 1024,
        connectionWindowBytes: Int = 4 * 1024 * 1024,
        maxQueuedRequestBytesPerStream: Int = 256 * 1024,
        maxPendingResponseBytesPerStream: Int = 64 * 1024,
        shutdownPingTimeoutSeconds: Double = 1
    ) {
        self.host = host
        self.port = port
        self.maxReceiveMessageBytes = maxReceiveMessageBytes
        self.maxConcurrentStreamsPerConnection = maxConcurrentStreamsPerConnection
        self.maxConnections = maxConnections
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.liveAPIKeys = LiveValue(apiKeys)
        self.maxHeaderListBytes = maxHeaderListBytes
        self.initialStreamWindowBytes = initialStreamWindowBytes
        self.connectionWindowBytes = connectionWindowBytes
        self.maxQueuedRequestBytesPerStream = maxQueuedRequestBytesPerStream
        self.maxPendingResponseBytesPerStream = maxPendingResponseBytesPerStream
        self.shutdownPingTimeoutSeconds = shutdownPingTimeoutSeconds
    }
}

public import LogPilotCore

/// Settings of the REST front.
public struct RESTConfiguration: Sendable {
    /// Address to bind, e.g. "0.0.0.0" or "127.0.0.1".
    public var host: String
    /// Port to listen on (0 picks a free port, for tests).
    public var port: Int
    /// API keys; empty turns authentication off. Live: a config reload replaces them.
    public var apiKeys: LiveValue<APIKeySet>
    /// Origins allowed to call the API from a browser (CORS); empty = none, `*` = any. Live.
    public var corsAllowedOrigins: LiveValue<[String]>
    /// Seconds a connection may stay idle before it is closed.
    public var idleTimeoutSeconds: Int
    /// Open connections at most; more are closed as soon as they are accepted.
    public var maxConnections: Int
    /// The process's serving state: while it drains, responses carry `Connection: close`, so that clients open a new
    /// connection (to another pod) for their next request instead of writing it into a connection about to close.
    public var serverState: ServerState?
    /// Request-body bytes of ingest requests being received and decoded at once, at most; beyond it new ingest
    /// requests get 429. A single body up to `maxBodyBytes` is always admitted when nothing else is held.
    public var maxInflightBodyBytes: Int
    /// After an answer sent before the request body was read to the end (413, 415, 401, 429...), the rest of the
    /// body is read and dropped for at most this long, so that a client that writes its whole body before reading
    /// sees the answer; then the connection closes.
    public var lingeringCloseSeconds: Double = 5

    /// The drain bound after an early answer: twice the body limit (at least 1 MiB), or `lingeringCloseSeconds`.
    func lingeringClose(maxBodyBytes: Int) -> LingeringClose.Limits {
        LingeringClose.Limits(
            maxBytes: max(maxBodyBytes.multipliedReportingOverflow(by: 2).partialValue, 1 << 20),
            maxDuration: .milliseconds(Int64(lingeringCloseSeconds * 1000))
        )
    }

    public init(
        host: String = "0.0.0.0",
        port: Int = 8080,
        apiKeys: LiveValue<APIKeySet> = LiveValue(APIKeySet([])),
        corsAllowedOrigins: LiveValue<[String]> = LiveValue([]),
        idleTimeoutSeconds: Int = 75,
        maxConnections: Int = 4096,
        maxInflightBodyBytes: Int = 8 * 1024 * 1024
    ) {
        self.maxConnections = maxConnections
        self.host = host
        self.port = port
        self.apiKeys = apiKeys
        self.corsAllowedOrigins = corsAllowedOrigins
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxInflightBodyBytes = maxInflightBodyBytes
    }

    /// Fixed API keys and CORS origins (tests, embedding).
    public init(host: String = "0.0.0.0", port: Int = 8080, apiKeys: APIKeySet, corsAllowedOrigins: [String] = []) {
        self.init(host: host, port: port, apiKeys: LiveValue(apiKeys), corsAllowedOrigins: LiveValue(corsAllowedOrigins))
    }
}

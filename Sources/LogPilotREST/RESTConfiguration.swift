public import LogPilotCore

/// Settings of the REST front.
public struct RESTConfiguration: Sendable {
    /// Address to bind, e.g. "0.0.0.0" or "127.0.0.1".
    public var host: String
    /// Port to listen on (0 picks a free port, for tests).
    public var port: Int
    /// API keys; empty turns authentication off.
    public var apiKeys: APIKeySet
    /// Seconds a connection may stay idle before it is closed.
    public var idleTimeoutSeconds: Int
    /// Request-body bytes of ingest requests being received and decoded at once, at most; beyond it new ingest
    /// requests get 429. A single body up to `maxBodyBytes` is always admitted when nothing else is held.
    public var maxInflightBodyBytes: Int

    public init(
        host: String = "0.0.0.0",
        port: Int = 8080,
        apiKeys: APIKeySet = APIKeySet([]),
        idleTimeoutSeconds: Int = 75,
        maxInflightBodyBytes: Int = 8 * 1024 * 1024
    ) {
        self.host = host
        self.port = port
        self.apiKeys = apiKeys
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxInflightBodyBytes = maxInflightBodyBytes
    }
}

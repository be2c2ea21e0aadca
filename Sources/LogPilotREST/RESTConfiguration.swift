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

    public init(host: String = "0.0.0.0", port: Int = 8080, apiKeys: APIKeySet = APIKeySet([]), idleTimeoutSeconds: Int = 75) {
        self.host = host
        self.port = port
        self.apiKeys = apiKeys
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }
}

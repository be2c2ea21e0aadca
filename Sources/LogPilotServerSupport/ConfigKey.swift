/// One setting, under its three names: the key in the YAML config file, the `LOGPILOT_*` environment variable and the
/// command-line flag. `ConfigKey.all` is the single table behind parsing, error messages, `config print` and the
/// reload rules.
public struct ConfigKey: Sendable, Hashable {
    /// Dotted path in the config file, e.g. `logpilot.storage.sqlite.path`.
    public let path: String
    /// The environment variable, e.g. `LOGPILOT_SQLITE_PATH`.
    public let variable: String?
    /// The flag, e.g. `--sqlite-path`.
    public let flag: String?
    /// A list (a YAML sequence; comma-separated in variables and flags).
    public let isList: Bool
    /// Applied on a config-file change without a restart.
    public let isLive: Bool
    /// Masked by `config print` and never logged.
    public let isSecret: Bool

    init(_ path: String, _ variable: String?, _ flag: String?, list: Bool = false, live: Bool = false, secret: Bool = false) {
        self.path = "logpilot." + path
        self.variable = variable
        self.flag = flag
        self.isList = list
        self.isLive = live
        self.isSecret = secret
    }

    /// Every name of the key, for errors about a value that came from several sources.
    public var names: String {
        [flag, variable, path].compactMap { $0 }.joined(separator: " / ")
    }
}

extension ConfigKey {
    static let protocolKey = ConfigKey("server.protocol", "LOGPILOT_PROTOCOL", "--protocol")
    static let host = ConfigKey("server.host", "LOGPILOT_HOST", "--host")
    static let httpPort = ConfigKey("server.port", "LOGPILOT_HTTP_PORT", "--http-port")
    static let apiKey = ConfigKey("server.api-key", "LOGPILOT_API_KEY", nil, live: true, secret: true)
    static let apiKeys = ConfigKey("server.api-keys", "LOGPILOT_API_KEYS", "--api-keys", list: true, live: true, secret: true)
    static let apiKeysFile = ConfigKey("server.api-keys-file", "LOGPILOT_API_KEYS_FILE", "--api-keys-file", live: true)
    static let httpMaxConnections = ConfigKey("server.max-connections", "LOGPILOT_HTTP_MAX_CONNECTIONS", "--http-max-connections")
    static let httpIdleTimeout = ConfigKey("server.idle-timeout-seconds", "LOGPILOT_HTTP_IDLE_TIMEOUT_SECONDS", "--http-idle-timeout-seconds")
    static let shutdownTimeout = ConfigKey("server.shutdown-timeout-seconds", "LOGPILOT_SHUTDOWN_TIMEOUT_SECONDS", "--shutdown-timeout-seconds")
    static let rateLimitEnabled = ConfigKey("server.rate-limit.enabled", "LOGPILOT_RATE_LIMIT_ENABLED", "--rate-limit-enabled", live: true)
    static let rateLimitCapacity = ConfigKey("server.rate-limit.capacity", "LOGPILOT_RATE_LIMIT_CAPACITY", "--rate-limit-capacity", live: true)
    static let rateLimitRefillTokens = ConfigKey("server.rate-limit.refill-tokens", "LOGPILOT_RATE_LIMIT_REFILL_TOKENS", "--rate-limit-refill-tokens", live: true)
    static let rateLimitRefillDuration = ConfigKey("server.rate-limit.refill-duration-seconds", "LOGPILOT_RATE_LIMIT_REFILL_DURATION", "--rate-limit-refill-duration-seconds", live: true)
    static let rateLimitRecordsCapacity = ConfigKey("server.rate-limit.records-capacity", "LOGPILOT_RATE_LIMIT_RECORDS_CAPACITY", "--rate-limit-records-capacity", live: true)
    static let rateLimitRecordsRefillTokens = ConfigKey("server.rate-limit.records-refill-tokens", "LOGPILOT_RATE_LIMIT_RECORDS_REFILL_TOKENS", "--rate-limit-records-refill-tokens", live: true)
    static let rateLimitMaxClients = ConfigKey("server.rate-limit.max-clients", "LOGPILOT_RATE_LIMIT_MAX_CLIENTS", "--rate-limit-max-clients", live: true)
    static let trustedProxies = ConfigKey("server.rate-limit.trusted-proxies", "LOGPILOT_TRUSTED_PROXIES", "--trusted-proxies", list: true, live: true)
    static let corsAllowedOrigins = ConfigKey("server.cors.allowed-origins", "LOGPILOT_CORS_ALLOWED_ORIGINS", "--cors-allowed-origins", list: true, live: true)

    static let grpcPort = ConfigKey("grpc.port", "LOGPILOT_GRPC_PORT", "--grpc-port")
    static let grpcMaxReceiveBytes = ConfigKey("grpc.max-receive-bytes", "LOGPILOT_GRPC_MAX_RECEIVE_BYTES", "--grpc-max-receive-bytes")
    static let grpcMaxConcurrentStreams = ConfigKey("grpc.max-concurrent-streams", "LOGPILOT_GRPC_MAX_CONCURRENT_STREAMS", "--grpc-max-concurrent-streams")
    static let grpcMaxConnections = ConfigKey("grpc.max-connections", "LOGPILOT_GRPC_MAX_CONNECTIONS", "--grpc-max-connections")
    static let managementPort = ConfigKey("management.port", "LOGPILOT_MANAGEMENT_PORT", "--management-port")

    static let storageType = ConfigKey("storage.type", "LOGPILOT_STORAGE_TYPE", nil)
    static let sqlitePath = ConfigKey("storage.sqlite.path", "LOGPILOT_SQLITE_PATH", "--sqlite-path")
    static let sqliteSynchronous = ConfigKey("storage.sqlite.synchronous", "LOGPILOT_SQLITE_SYNCHRONOUS", "--sqlite-synchronous")
    static let sqlitePoolSize = ConfigKey("storage.sqlite.pool-size", "LOGPILOT_SQLITE_POOL_SIZE", "--sqlite-readers")
    static let sqliteBusyTimeout = ConfigKey("storage.sqlite.busy-timeout-ms", "LOGPILOT_SQLITE_BUSY_TIMEOUT_MS", "--sqlite-busy-timeout-ms")
    static let sqliteMaxBytes = ConfigKey("storage.sqlite.max-bytes", "LOGPILOT_SQLITE_MAX_BYTES", "--sqlite-max-bytes")
    static let queueMaxRecords = ConfigKey("storage.queue.max-records", "LOGPILOT_QUEUE_MAX_RECORDS", "--queue-max-records")
    static let queueMaxBytes = ConfigKey("storage.queue.max-bytes", "LOGPILOT_QUEUE_MAX_BYTES", "--queue-max-bytes")
    static let commitMaxRecords = ConfigKey("storage.commit-max-records", "LOGPILOT_COMMIT_MAX_RECORDS", "--commit-max-records")
    static let maxStreams = ConfigKey("storage.max-streams", "LOGPILOT_MAX_STREAMS", "--max-streams")

    static let retentionDays = ConfigKey("retention.days", "LOGPILOT_RETENTION_DAYS", "--retention-days", live: true)
    static let retentionMaxBytes = ConfigKey("retention.max-bytes", "LOGPILOT_RETENTION_MAX_BYTES", "--retention-max-bytes", live: true)
    static let retentionInterval = ConfigKey("retention.interval-seconds", "LOGPILOT_RETENTION_INTERVAL_SECONDS", "--retention-interval-seconds", live: true)

    static let maxBodyBytes = ConfigKey("limits.max-body-bytes", "LOGPILOT_MAX_BODY_BYTES", "--max-body-bytes")
    static let maxInflightBodyBytes = ConfigKey("limits.max-inflight-body-bytes", "LOGPILOT_MAX_INFLIGHT_BODY_BYTES", "--max-inflight-body-bytes")
    static let maxBatchRecords = ConfigKey("limits.max-batch-records", "LOGPILOT_MAX_BATCH_RECORDS", "--max-batch-records")
    static let maxMessageBytes = ConfigKey("limits.max-message-bytes", "LOGPILOT_MAX_MESSAGE_BYTES", "--max-message-bytes")
    static let maxMetaBytes = ConfigKey("limits.max-meta-bytes", "LOGPILOT_MAX_META_BYTES", "--max-meta-bytes")
    static let maxMetaKeys = ConfigKey("limits.max-meta-keys", "LOGPILOT_MAX_META_KEYS", "--max-meta-keys")
    static let maxChannelBytes = ConfigKey("limits.max-channel-bytes", "LOGPILOT_MAX_CHANNEL_BYTES", "--max-channel-bytes")
    static let maxReadLimit = ConfigKey("limits.max-read-limit", "LOGPILOT_MAX_READ_LIMIT", "--max-read-limit")
    static let maxReadScanRecords = ConfigKey("limits.max-read-scan-records", "LOGPILOT_MAX_READ_SCAN_RECORDS", "--max-read-scan-records")
    static let readTimeout = ConfigKey("limits.read-timeout-ms", "LOGPILOT_READ_TIMEOUT_MS", "--read-timeout-ms")
    static let maxConcurrentSearches = ConfigKey("limits.max-concurrent-searches", "LOGPILOT_MAX_CONCURRENT_SEARCHES", "--max-concurrent-searches")

    static let metricsMaxChannels = ConfigKey("metrics.max-channels", "LOGPILOT_METRICS_MAX_CHANNELS", "--metrics-max-channels")
    static let logLevel = ConfigKey("logging.level", "LOGPILOT_LOG_LEVEL", "--log-level", live: true)
    static let logFormat = ConfigKey("logging.format", "LOGPILOT_LOG_FORMAT", "--log-format")

    /// Every key, in the order `config print` shows them.
    public static let all: [ConfigKey] = [
        protocolKey, host, httpPort, httpMaxConnections, httpIdleTimeout, apiKey, apiKeys, apiKeysFile, shutdownTimeout,
        rateLimitEnabled, rateLimitCapacity, rateLimitRefillTokens, rateLimitRefillDuration, rateLimitRecordsCapacity,
        rateLimitRecordsRefillTokens, rateLimitMaxClients, trustedProxies, corsAllowedOrigins,
        grpcPort, grpcMaxReceiveBytes, grpcMaxConcurrentStreams, grpcMaxConnections, managementPort,
        storageType, sqlitePath, sqliteSynchronous, sqlitePoolSize, sqliteBusyTimeout, sqliteMaxBytes,
        queueMaxRecords, queueMaxBytes, commitMaxRecords, maxStreams,
        retentionDays, retentionMaxBytes, retentionInterval,
        maxBodyBytes, maxInflightBodyBytes, maxBatchRecords, maxMessageBytes, maxMetaBytes, maxMetaKeys,
        maxChannelBytes, maxReadLimit, maxReadScanRecords, readTimeout, maxConcurrentSearches,
        metricsMaxChannels, logLevel, logFormat,
    ]

    static let byPath: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.path, $0) })
}

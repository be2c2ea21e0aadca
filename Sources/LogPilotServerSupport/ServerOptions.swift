public import ArgumentParser

/// Command-line options shared by the three executables. Every option has a `LOGPILOT_*` environment variable and a
/// key in the config file; precedence is built-in default < config file < environment < flag. `--help` lists them.
public struct ServerOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(help: "YAML config file (the `logpilot:` tree; see docs/configuration.md). Below variables and flags; watched for changes. (env LOGPILOT_CONFIG)")
    public var config: String?

    // MARK: Listeners
    @Option(help: "Address every listener binds to. (env LOGPILOT_HOST, default 0.0.0.0)")
    public var host: String?
    @Option(help: "REST port. (env LOGPILOT_HTTP_PORT, default 8080)")
    public var httpPort: Int?
    @Option(help: "REST: open connections at most; more are closed at once. (env LOGPILOT_HTTP_MAX_CONNECTIONS, default 4096)")
    public var httpMaxConnections: Int?
    @Option(help: "REST: seconds a connection may be idle before it is closed. (env LOGPILOT_HTTP_IDLE_TIMEOUT_SECONDS, default 75)")
    public var httpIdleTimeoutSeconds: Int?
    @Option(help: "gRPC port (logpilot-grpc, logpilot-all). (env LOGPILOT_GRPC_PORT, default 50051)")
    public var grpcPort: Int?
    @Option(help: "Largest gRPC request message in bytes, after decompression; larger → RESOURCE_EXHAUSTED. (env LOGPILOT_GRPC_MAX_RECEIVE_BYTES, default 4194304)")
    public var grpcMaxReceiveBytes: Int?
    @Option(help: "Concurrent gRPC streams per connection. (env LOGPILOT_GRPC_MAX_CONCURRENT_STREAMS, default 100)")
    public var grpcMaxConcurrentStreams: Int?
    @Option(help: "Concurrent gRPC connections; more are closed at once. (env LOGPILOT_GRPC_MAX_CONNECTIONS, default 1024)")
    public var grpcMaxConnections: Int?
    @Option(help: "Management port: /health, /metrics. (env LOGPILOT_MANAGEMENT_PORT, default 8081)")
    public var managementPort: Int?
    @Option(help: "Fronts to run in logpilot-all: all | rest | grpc. (env LOGPILOT_PROTOCOL, default all)")
    public var `protocol`: String?

    // MARK: Storage
    @Option(help: "SQLite database file. (env LOGPILOT_SQLITE_PATH, default ./data/logpilot.db)")
    public var sqlitePath: String?
    @Option(help: "SQLite synchronous: FULL (survives power loss) | NORMAL (survives a process crash). (env LOGPILOT_SQLITE_SYNCHRONOUS, default FULL)")
    public var sqliteSynchronous: String?
    @Option(help: "Reader connections. (env LOGPILOT_SQLITE_POOL_SIZE, default 4)")
    public var sqliteReaders: Int?
    @Option(help: "Milliseconds to wait on a locked database. (env LOGPILOT_SQLITE_BUSY_TIMEOUT_MS, default 5000)")
    public var sqliteBusyTimeoutMs: Int?
    @Option(help: "Records waiting for the writer before clients get 429. (env LOGPILOT_QUEUE_MAX_RECORDS, default 10000)")
    public var queueMaxRecords: Int?
    @Option(help: "Bytes waiting for the writer before clients get 429. (env LOGPILOT_QUEUE_MAX_BYTES, default 8388608)")
    public var queueMaxBytes: Int?
    @Option(help: "Records per transaction, at most. (env LOGPILOT_COMMIT_MAX_RECORDS, default 10000)")
    public var commitMaxRecords: Int?
    @Option(help: "Streams (channels) stored at most; records that would create more get 429 STREAM_LIMIT_EXCEEDED. (env LOGPILOT_MAX_STREAMS, default 10000)")
    public var maxStreams: Int?
    @Option(help: "Delete records older than N days; 0 = off. (env LOGPILOT_RETENTION_DAYS, default 7)")
    public var retentionDays: Int?
    @Option(help: "Delete oldest records above N bytes of database; 0 = off. (env LOGPILOT_RETENTION_MAX_BYTES, default 0)")
    public var retentionMaxBytes: Int64?
    @Option(help: "Hard cap on the database size in bytes; writes beyond it get 507. 0 = none. (env LOGPILOT_SQLITE_MAX_BYTES, default 0)")
    public var sqliteMaxBytes: Int64?
    @Option(help: "Seconds between retention passes. (env LOGPILOT_RETENTION_INTERVAL_SECONDS, default 60)")
    public var retentionIntervalSeconds: Int?

    // MARK: Limits
    @Option(help: "Request body bytes, after gzip. (env LOGPILOT_MAX_BODY_BYTES, default 10485760)")
    public var maxBodyBytes: Int?
    @Option(help: "Body bytes of ingest requests received and decoded at once; beyond it, 429. (env LOGPILOT_MAX_INFLIGHT_BODY_BYTES, default 8388608)")
    public var maxInflightBodyBytes: Int?
    @Option(help: "Records per batch. (env LOGPILOT_MAX_BATCH_RECORDS, default 10000)")
    public var maxBatchRecords: Int?
    @Option(help: "Bytes per message. (env LOGPILOT_MAX_MESSAGE_BYTES, default 65536)")
    public var maxMessageBytes: Int?
    @Option(help: "JSON bytes of one record's meta. (env LOGPILOT_MAX_META_BYTES, default 16384)")
    public var maxMetaBytes: Int?
    @Option(help: "Top-level keys of one record's meta. (env LOGPILOT_MAX_META_KEYS, default 64)")
    public var maxMetaKeys: Int?
    @Option(help: "Bytes of a channel name. (env LOGPILOT_MAX_CHANNEL_BYTES, default 128)")
    public var maxChannelBytes: Int?
    @Option(help: "Records one read may return. (env LOGPILOT_MAX_READ_LIMIT, default 10000)")
    public var maxReadLimit: Int?
    @Option(help: "Records one search may examine before it answers with what it found and a cursor to resume. (env LOGPILOT_MAX_READ_SCAN_RECORDS, default 1000000)")
    public var maxReadScanRecords: Int?
    @Option(help: "Milliseconds one search may run before it answers with what it found and a cursor to resume. (env LOGPILOT_READ_TIMEOUT_MS, default 2000)")
    public var readTimeoutMs: Int?
    @Option(help: "Searches that run at once; more wait (then 429). (env LOGPILOT_MAX_CONCURRENT_SEARCHES, default half the cores, at least 1)")
    public var maxConcurrentSearches: Int?

    // MARK: Security and operations
    @Option(help: "Comma-separated API keys; none = authentication off. (env LOGPILOT_API_KEYS, or LOGPILOT_API_KEY for one)")
    public var apiKeys: String?
    @Option(help: "File with one API key per line, e.g. a mounted Secret. (env LOGPILOT_API_KEYS_FILE)")
    public var apiKeysFile: String?
    @Option(help: "Rate-limit clients (per API key, else per address): true | false. (env LOGPILOT_RATE_LIMIT_ENABLED, default false)")
    public var rateLimitEnabled: Bool?
    @Option(help: "Requests a client may send in a burst. (env LOGPILOT_RATE_LIMIT_CAPACITY, default 100)")
    public var rateLimitCapacity: Int?
    @Option(help: "Requests refilled per refill duration. (env LOGPILOT_RATE_LIMIT_REFILL_TOKENS, default 100)")
    public var rateLimitRefillTokens: Int?
    @Option(help: "Refill duration in seconds. (env LOGPILOT_RATE_LIMIT_REFILL_DURATION, default 60)")
    public var rateLimitRefillDurationSeconds: Int?
    @Option(help: "Records a client may send in a burst; at least --max-batch-records. (env LOGPILOT_RATE_LIMIT_RECORDS_CAPACITY, default 100000)")
    public var rateLimitRecordsCapacity: Int?
    @Option(help: "Records refilled per refill duration. (env LOGPILOT_RATE_LIMIT_RECORDS_REFILL_TOKENS, default 100000)")
    public var rateLimitRecordsRefillTokens: Int?
    @Option(help: "Clients tracked at once (bounds the buckets' memory). (env LOGPILOT_RATE_LIMIT_MAX_CLIENTS, default 10000)")
    public var rateLimitMaxClients: Int?
    @Option(help: "Comma-separated CIDRs of proxies whose X-Forwarded-For is believed. (env LOGPILOT_TRUSTED_PROXIES, default none)")
    public var trustedProxies: String?
    @Option(help: "Comma-separated origins allowed to call the REST API from browsers (CORS), or *. (env LOGPILOT_CORS_ALLOWED_ORIGINS, default none)")
    public var corsAllowedOrigins: String?
    @Option(help: "Channels with their own series in logpilot_logs_received_total; the rest count as channel=\"other\". (env LOGPILOT_METRICS_MAX_CHANNELS, default 100)")
    public var metricsMaxChannels: Int?
    @Option(help: "trace | debug | info | notice | warning | error | critical. (env LOGPILOT_LOG_LEVEL, default info)")
    public var logLevel: String?
    @Option(help: "Log output: text (readable) | json (one JSON object per line). (env LOGPILOT_LOG_FORMAT, default text)")
    public var logFormat: String?
    @Option(help: "Seconds a graceful shutdown may take before the process is cancelled. (env LOGPILOT_SHUTDOWN_TIMEOUT_SECONDS, default 25)")
    public var shutdownTimeoutSeconds: Int?
}

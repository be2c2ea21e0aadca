public import LogPilotCore
public import LogPilotManagement
public import Logging
public import Foundation

/// The effective configuration of a LogPilot process, resolved from defaults, `LOGPILOT_*` variables and flags.
public struct LogPilotSettings: Sendable {
    /// Which fronts `logpilot-all` runs.
    public enum Fronts: String, Sendable {
        case all, rest, grpc
    }

    public var host = "0.0.0.0"
    public var httpPort = 8080
    public var grpcPort = 50051
    public var grpcMaxReceiveBytes = 4 * 1024 * 1024
    public var grpcMaxConcurrentStreams = 100
    public var grpcMaxConnections = 1024
    public var fronts = Fronts.all
    public var management = ManagementConfiguration()
    public var storage = StorageConfiguration()
    public var limits = IngestLimits()
    public var apiKeys = APIKeySet([])
    /// REST: body bytes of ingest requests being received and decoded at once.
    public var maxInflightBodyBytes = 8 * 1024 * 1024
    public var logLevel = Logger.Level.info
    /// Log output format.
    public enum LogFormat: String, Sendable { case text, json }
    public var logFormat = LogFormat.text
    public var shutdownTimeoutSeconds = 25
    /// Settings read from the environment that this build accepts but does not use, for a startup warning.
    public var ignoredVariables: [String] = []

    public init() {}

    /// An error in the configuration, naming the setting (flag and variable).
    public struct Invalid: Error, CustomStringConvertible {
        public var key: String
        public var reason: String
        public var description: String { "invalid configuration: \(key): \(reason)" }
    }

    /// Resolves the settings. Precedence: default < environment < flag.
    public static func resolve(
        options: ServerOptions,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(Invalid) -> LogPilotSettings {
        var settings = LogPilotSettings()
        let reader = Reader(environment: environment)

        settings.host = try reader.string(options.host, "LOGPILOT_HOST", flag: "--host") ?? settings.host
        settings.httpPort = try reader.port(options.httpPort, "LOGPILOT_HTTP_PORT", flag: "--http-port") ?? settings.httpPort
        settings.grpcPort = try reader.port(options.grpcPort, "LOGPILOT_GRPC_PORT", flag: "--grpc-port") ?? settings.grpcPort
        settings.grpcMaxReceiveBytes = try reader.int(options.grpcMaxReceiveBytes, "LOGPILOT_GRPC_MAX_RECEIVE_BYTES", flag: "--grpc-max-receive-bytes", range: 1024...(64 << 20)) ?? settings.grpcMaxReceiveBytes
        settings.grpcMaxConcurrentStreams = try reader.int(options.grpcMaxConcurrentStreams, "LOGPILOT_GRPC_MAX_CONCURRENT_STREAMS", flag: "--grpc-max-concurrent-streams", range: 1...10_000) ?? settings.grpcMaxConcurrentStreams
        settings.grpcMaxConnections = try reader.int(options.grpcMaxConnections, "LOGPILOT_GRPC_MAX_CONNECTIONS", flag: "--grpc-max-connections", range: 1...100_000) ?? settings.grpcMaxConnections
        settings.management.host = settings.host
        settings.management.port =
            try reader.port(options.managementPort, "LOGPILOT_MANAGEMENT_PORT", flag: "--management-port")
            ?? settings.management.port
        if let value = try reader.string(options.protocol, "LOGPILOT_PROTOCOL", flag: "--protocol") {
            guard let fronts = Fronts(rawValue: value.lowercased()) else {
                throw Invalid(key: "--protocol / LOGPILOT_PROTOCOL", reason: "must be all, rest or grpc (got '\(value)')")
            }
            settings.fronts = fronts
        }

        if let type = environment["LOGPILOT_STORAGE_TYPE"], type.lowercased() != "sqlite" {
            throw Invalid(
                key: "LOGPILOT_STORAGE_TYPE",
                reason: "only 'sqlite' is supported (the Java file backend is not; got '\(type)')"
            )
        }
        settings.storage.path = try reader.string(options.sqlitePath, "LOGPILOT_SQLITE_PATH", flag: "--sqlite-path") ?? settings.storage.path
        if let value = try reader.string(options.sqliteSynchronous, "LOGPILOT_SQLITE_SYNCHRONOUS", flag: "--sqlite-synchronous") {
            guard let mode = StorageConfiguration.Synchronous(rawValue: value.uppercased()) else {
                throw Invalid(key: "--sqlite-synchronous / LOGPILOT_SQLITE_SYNCHRONOUS", reason: "must be FULL or NORMAL (got '\(value)')")
            }
            settings.storage.synchronous = mode
        }
        settings.storage.readerCount = try reader.int(options.sqliteReaders, "LOGPILOT_SQLITE_POOL_SIZE", flag: "--sqlite-readers", range: 1...64) ?? settings.storage.readerCount
        if let timeout = try reader.int(options.sqliteBusyTimeoutMs, "LOGPILOT_SQLITE_BUSY_TIMEOUT_MS", flag: "--sqlite-busy-timeout-ms", range: 0...600_000) {
            settings.storage.busyTimeoutMilliseconds = Int32(timeout)
        }
        settings.storage.maxQueuedRecords = try reader.int(options.queueMaxRecords, "LOGPILOT_QUEUE_MAX_RECORDS", flag: "--queue-max-records", range: 1...10_000_000) ?? settings.storage.maxQueuedRecords
        settings.storage.maxQueuedBytes = try reader.int(options.queueMaxBytes, "LOGPILOT_QUEUE_MAX_BYTES", flag: "--queue-max-bytes", range: 1024...(8 << 30)) ?? settings.storage.maxQueuedBytes
        settings.storage.maxCommitRecords = try reader.int(options.commitMaxRecords, "LOGPILOT_COMMIT_MAX_RECORDS", flag: "--commit-max-records", range: 1...1_000_000) ?? settings.storage.maxCommitRecords
        settings.storage.retentionDays = try reader.int(options.retentionDays, "LOGPILOT_RETENTION_DAYS", flag: "--retention-days", range: 0...36_500) ?? settings.storage.retentionDays
        if let bytes = try reader.int(options.retentionMaxBytes.map(Int.init), "LOGPILOT_RETENTION_MAX_BYTES", flag: "--retention-max-bytes", range: 0...Int.max) {
            settings.storage.retentionMaxBytes = Int64(bytes)
        }
        if let bytes = try reader.int(options.sqliteMaxBytes.map(Int.init), "LOGPILOT_SQLITE_MAX_BYTES", flag: "--sqlite-max-bytes", range: 0...Int.max) {
            settings.storage.maxDatabaseBytes = Int64(bytes)
        }
        settings.storage.retentionIntervalSeconds = try reader.int(options.retentionIntervalSeconds, "LOGPILOT_RETENTION_INTERVAL_SECONDS", flag: "--retention-interval-seconds", range: 1...86_400) ?? settings.storage.retentionIntervalSeconds

        settings.limits.maxBodyBytes = try reader.int(options.maxBodyBytes, "LOGPILOT_MAX_BODY_BYTES", flag: "--max-body-bytes", range: 1024...(1 << 30)) ?? settings.limits.maxBodyBytes
        settings.maxInflightBodyBytes = try reader.int(options.maxInflightBodyBytes, "LOGPILOT_MAX_INFLIGHT_BODY_BYTES", flag: "--max-inflight-body-bytes", range: 65_536...(4 << 30)) ?? settings.maxInflightBodyBytes
        settings.limits.maxBatchRecords = try reader.int(options.maxBatchRecords, "LOGPILOT_MAX_BATCH_RECORDS", flag: "--max-batch-records", range: 1...1_000_000) ?? settings.limits.maxBatchRecords
        settings.limits.maxMessageBytes = try reader.int(options.maxMessageBytes, "LOGPILOT_MAX_MESSAGE_BYTES", flag: "--max-message-bytes", range: 1...(16 << 20)) ?? settings.limits.maxMessageBytes
        settings.limits.maxMetaBytes = try reader.int(options.maxMetaBytes, "LOGPILOT_MAX_META_BYTES", flag: "--max-meta-bytes", range: 2...(16 << 20)) ?? settings.limits.maxMetaBytes
        settings.limits.maxMetaKeys = try reader.int(options.maxMetaKeys, "LOGPILOT_MAX_META_KEYS", flag: "--max-meta-keys", range: 1...10_000) ?? settings.limits.maxMetaKeys
        settings.limits.maxChannelBytes = try reader.int(options.maxChannelBytes, "LOGPILOT_MAX_CHANNEL_BYTES", flag: "--max-channel-bytes", range: 1...4096) ?? settings.limits.maxChannelBytes
        settings.limits.maxReadLimit = try reader.int(options.maxReadLimit, "LOGPILOT_MAX_READ_LIMIT", flag: "--max-read-limit", range: 1...1_000_000) ?? settings.limits.maxReadLimit
        if settings.storage.maxQueuedRecords < settings.limits.maxBatchRecords {
            throw Invalid(
                key: "--queue-max-records / LOGPILOT_QUEUE_MAX_RECORDS",
                reason: "must be at least --max-batch-records (\(settings.limits.maxBatchRecords)), or a full batch could never be queued"
            )
        }

        var keys: [String] = []
        if let list = try reader.string(options.apiKeys, "LOGPILOT_API_KEYS", flag: "--api-keys") {
            keys += list.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        }
        if let single = environment["LOGPILOT_API_KEY"], !single.isEmpty {
            keys.append(single)
        }
        if let file = try reader.string(options.apiKeysFile, "LOGPILOT_API_KEYS_FILE", flag: "--api-keys-file") {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw Invalid(key: "--api-keys-file / LOGPILOT_API_KEYS_FILE", reason: "cannot read \(file)")
            }
            keys += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        }
        settings.apiKeys = APIKeySet(keys)

        if let level = try reader.string(options.logLevel, "LOGPILOT_LOG_LEVEL", flag: "--log-level") {
            let normalized = level.lowercased() == "warn" ? "warning" : level.lowercased()
            guard let parsed = Logger.Level(rawValue: normalized) else {
                throw Invalid(key: "--log-level / LOGPILOT_LOG_LEVEL", reason: "unknown level '\(level)'")
            }
            settings.logLevel = parsed
        }
        if let format = try reader.string(options.logFormat, "LOGPILOT_LOG_FORMAT", flag: "--log-format") {
            guard let parsed = LogFormat(rawValue: format.lowercased()) else {
                throw Invalid(key: "--log-format / LOGPILOT_LOG_FORMAT", reason: "must be text or json (got '\(format)')")
            }
            settings.logFormat = parsed
        }
        settings.shutdownTimeoutSeconds = try reader.int(options.shutdownTimeoutSeconds, "LOGPILOT_SHUTDOWN_TIMEOUT_SECONDS", flag: "--shutdown-timeout-seconds", range: 1...3600) ?? settings.shutdownTimeoutSeconds

        // Java LogPilot variables that have no meaning here: accepted, reported once at startup.
        for name in ["LOGPILOT_SQLITE_MIN_IDLE", "LOGPILOT_SQLITE_CONN_TIMEOUT", "LOGPILOT_SQLITE_IDLE_TIMEOUT",
                     "LOGPILOT_STORAGE_DIR", "LOGPILOT_GRPC_LOG_LEVEL"] where environment[name] != nil {
            settings.ignoredVariables.append(name)
        }
        do {
            try settings.storage.validate()
            try settings.limits.validate()
        } catch {
            throw Invalid(key: error.field ?? "configuration", reason: error.message)
        }
        return settings
    }

    /// Reads one setting: the flag when given, else the environment variable, else nil (the default applies).
    struct Reader {
        var environment: [String: String]

        func string(_ flagValue: String?, _ variable: String, flag: String) throws(Invalid) -> String? {
            if let flagValue { return flagValue }
            if let value = environment[variable], !value.isEmpty { return value }
            return nil
        }

        func int(_ flagValue: Int?, _ variable: String, flag: String, range: ClosedRange<Int>) throws(Invalid) -> Int? {
            let key = flag.hasPrefix("--") ? "\(flag) / \(variable)" : variable
            let value: Int
            if let flagValue {
                value = flagValue
            } else if let text = environment[variable], !text.isEmpty {
                guard let parsed = Int(text.trimmingCharacters(in: .whitespaces)) else {
                    throw Invalid(key: key, reason: "must be an integer (got '\(text)')")
                }
                value = parsed
            } else {
                return nil
            }
            guard range.contains(value) else {
                throw Invalid(key: key, reason: "must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
            }
            return value
        }

        func port(_ flagValue: Int?, _ variable: String, flag: String) throws(Invalid) -> Int? {
            try int(flagValue, variable, flag: flag, range: 0...65535)
        }
    }
}

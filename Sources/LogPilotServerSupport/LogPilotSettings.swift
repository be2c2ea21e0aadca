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
    /// REST: open connections at most.
    public var httpMaxConnections = 4096
    /// REST: seconds a connection may be idle (no bytes either way) before it is closed; also bounds slow clients.
    public var httpIdleTimeoutSeconds = 75
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
    /// The config file the settings were read from, if any (watched for changes).
    public var configFile: String?
    /// The API keys file, if any (watched for changes).
    public var apiKeysFile: String?
    /// Per-client rate limits (live).
    public var rateLimit = RateLimitPolicy()
    /// Origins allowed to call the REST API from a browser (CORS); empty = none, `*` = any (live).
    public var corsAllowedOrigins: [String] = []
    /// Channels with their own `channel` label on `logpilot_logs_received_total`; others are `other`.
    public var metricsMaxChannels = 100

    public init() {}

    /// An error in the configuration, naming the setting (flag and variable).
    public struct Invalid: Error, CustomStringConvertible {
        public var key: String
        public var reason: String
        public var description: String { "invalid configuration: \(key): \(reason)" }
    }

    /// Resolves the settings. Precedence: default < config file < environment < flag.
    public static func resolve(
        options: ServerOptions,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(Invalid) -> LogPilotSettings {
        var configFile: ConfigFile?
        if let path = options.config ?? environment["LOGPILOT_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) {
            configFile = try ConfigFile.load(path: path)
        }
        return try resolve(options: options, environment: environment, file: configFile)
    }

    /// Resolves the settings from an already parsed config file (reloads parse the file themselves).
    public static func resolve(
        options: ServerOptions,
        environment: [String: String],
        file: ConfigFile?
    ) throws(Invalid) -> LogPilotSettings {
        var settings = LogPilotSettings()
        settings.configFile = file?.path
        let reader = Reader(environment: environment, file: file)

        settings.host = try reader.string(options.host, .host) ?? settings.host
        settings.httpPort = try reader.port(options.httpPort, .httpPort) ?? settings.httpPort
        settings.httpMaxConnections = try reader.int(options.httpMaxConnections, .httpMaxConnections, range: 1...1_000_000) ?? settings.httpMaxConnections
        settings.httpIdleTimeoutSeconds = try reader.int(options.httpIdleTimeoutSeconds, .httpIdleTimeout, range: 1...3600) ?? settings.httpIdleTimeoutSeconds
        settings.grpcPort = try reader.port(options.grpcPort, .grpcPort) ?? settings.grpcPort
        settings.grpcMaxReceiveBytes = try reader.int(options.grpcMaxReceiveBytes, .grpcMaxReceiveBytes, range: 1024...(64 << 20)) ?? settings.grpcMaxReceiveBytes
        settings.grpcMaxConcurrentStreams = try reader.int(options.grpcMaxConcurrentStreams, .grpcMaxConcurrentStreams, range: 1...10_000) ?? settings.grpcMaxConcurrentStreams
        settings.grpcMaxConnections = try reader.int(options.grpcMaxConnections, .grpcMaxConnections, range: 1...100_000) ?? settings.grpcMaxConnections
        settings.management.host = settings.host
        settings.management.port = try reader.port(options.managementPort, .managementPort) ?? settings.management.port
        if let (value, origin) = try reader.lookup(options.protocol, .protocolKey) {
            guard let fronts = Fronts(rawValue: value.lowercased()) else {
                throw Invalid(key: origin, reason: "must be all, rest or grpc (got '\(value)')")
            }
            settings.fronts = fronts
        }

        if let (type, origin) = try reader.lookup(nil, .storageType), type.lowercased() != "sqlite" {
            throw Invalid(key: origin, reason: "only 'sqlite' is supported (the Java file backend is not; got '\(type)')")
        }
        settings.storage.path = try reader.string(options.sqlitePath, .sqlitePath) ?? settings.storage.path
        if let (value, origin) = try reader.lookup(options.sqliteSynchronous, .sqliteSynchronous) {
            guard let mode = StorageConfiguration.Synchronous(rawValue: value.uppercased()) else {
                throw Invalid(key: origin, reason: "must be FULL or NORMAL (got '\(value)')")
            }
            settings.storage.synchronous = mode
        }
        settings.storage.readerCount = try reader.int(options.sqliteReaders, .sqlitePoolSize, range: 1...64) ?? settings.storage.readerCount
        if let timeout = try reader.int(options.sqliteBusyTimeoutMs, .sqliteBusyTimeout, range: 0...600_000) {
            settings.storage.busyTimeoutMilliseconds = Int32(timeout)
        }
        settings.storage.maxQueuedRecords = try reader.int(options.queueMaxRecords, .queueMaxRecords, range: 1...10_000_000) ?? settings.storage.maxQueuedRecords
        settings.storage.maxQueuedBytes = try reader.int(options.queueMaxBytes, .queueMaxBytes, range: 1024...(8 << 30)) ?? settings.storage.maxQueuedBytes
        settings.storage.maxCommitRecords = try reader.int(options.commitMaxRecords, .commitMaxRecords, range: 1...1_000_000) ?? settings.storage.maxCommitRecords
        settings.storage.streamLimits.maxStreams = try reader.int(options.maxStreams, .maxStreams, range: 1...1_000_000) ?? settings.storage.streamLimits.maxStreams
        settings.storage.retentionDays = try reader.int(options.retentionDays, .retentionDays, range: 0...36_500) ?? settings.storage.retentionDays
        if let bytes = try reader.int(options.retentionMaxBytes.map(Int.init), .retentionMaxBytes, range: 0...Int.max) {
            settings.storage.retentionMaxBytes = Int64(bytes)
        }
        if let bytes = try reader.int(options.sqliteMaxBytes.map(Int.init), .sqliteMaxBytes, range: 0...Int.max) {
            settings.storage.maxDatabaseBytes = Int64(bytes)
        }
        settings.storage.retentionIntervalSeconds = try reader.int(options.retentionIntervalSeconds, .retentionInterval, range: 1...86_400) ?? settings.storage.retentionIntervalSeconds

        settings.limits.maxBodyBytes = try reader.int(options.maxBodyBytes, .maxBodyBytes, range: 1024...(1 << 30)) ?? settings.limits.maxBodyBytes
        settings.maxInflightBodyBytes = try reader.int(options.maxInflightBodyBytes, .maxInflightBodyBytes, range: 65_536...(4 << 30)) ?? settings.maxInflightBodyBytes
        settings.limits.maxBatchRecords = try reader.int(options.maxBatchRecords, .maxBatchRecords, range: 1...1_000_000) ?? settings.limits.maxBatchRecords
        settings.limits.maxMessageBytes = try reader.int(options.maxMessageBytes, .maxMessageBytes, range: 1...(16 << 20)) ?? settings.limits.maxMessageBytes
        settings.limits.maxMetaBytes = try reader.int(options.maxMetaBytes, .maxMetaBytes, range: 2...(16 << 20)) ?? settings.limits.maxMetaBytes
        settings.limits.maxMetaKeys = try reader.int(options.maxMetaKeys, .maxMetaKeys, range: 1...10_000) ?? settings.limits.maxMetaKeys
        settings.limits.maxChannelBytes = try reader.int(options.maxChannelBytes, .maxChannelBytes, range: 1...4096) ?? settings.limits.maxChannelBytes
        settings.limits.maxReadLimit = try reader.int(options.maxReadLimit, .maxReadLimit, range: 1...1_000_000) ?? settings.limits.maxReadLimit
        settings.storage.readBudget.maxScannedRecords = try reader.int(options.maxReadScanRecords, .maxReadScanRecords, range: 1_000...1_000_000_000) ?? settings.storage.readBudget.maxScannedRecords
        settings.storage.readBudget.timeoutMilliseconds = try reader.int(options.readTimeoutMs, .readTimeout, range: 1...600_000) ?? settings.storage.readBudget.timeoutMilliseconds
        settings.storage.readBudget.maxConcurrentSearches = try reader.int(options.maxConcurrentSearches, .maxConcurrentSearches, range: 1...256) ?? settings.storage.readBudget.maxConcurrentSearches
        if settings.storage.maxQueuedRecords < settings.limits.maxBatchRecords {
            throw Invalid(
                key: ConfigKey.queueMaxRecords.names,
                reason: "must be at least --max-batch-records (\(settings.limits.maxBatchRecords)), or a full batch could never be queued"
            )
        }

        var keys: [String] = try reader.list(options.apiKeys, .apiKeys) ?? []
        if let single = try reader.string(nil, .apiKey) { keys.append(single) }
        if let (file, origin) = try reader.lookup(options.apiKeysFile, .apiKeysFile) {
            settings.apiKeysFile = file
            keys += try readAPIKeysFile(file, origin: origin)
        }
        settings.apiKeys = APIKeySet(keys)

        var rateLimit = RateLimitPolicy()
        rateLimit.isEnabled = try reader.bool(options.rateLimitEnabled, .rateLimitEnabled) ?? rateLimit.isEnabled
        rateLimit.requestCapacity = try reader.int(options.rateLimitCapacity, .rateLimitCapacity, range: 1...100_000_000) ?? rateLimit.requestCapacity
        rateLimit.requestRefillTokens = try reader.int(options.rateLimitRefillTokens, .rateLimitRefillTokens, range: 1...100_000_000) ?? rateLimit.requestRefillTokens
        rateLimit.refillPeriodSeconds = try reader.int(options.rateLimitRefillDurationSeconds, .rateLimitRefillDuration, range: 1...86_400) ?? rateLimit.refillPeriodSeconds
        rateLimit.recordCapacity = try reader.int(options.rateLimitRecordsCapacity, .rateLimitRecordsCapacity, range: 1...1_000_000_000) ?? rateLimit.recordCapacity
        rateLimit.recordRefillTokens = try reader.int(options.rateLimitRecordsRefillTokens, .rateLimitRecordsRefillTokens, range: 1...1_000_000_000) ?? rateLimit.recordRefillTokens
        rateLimit.maxClients = try reader.int(options.rateLimitMaxClients, .rateLimitMaxClients, range: 1...1_000_000) ?? rateLimit.maxClients
        if let (proxies, origin) = try reader.lookupList(options.trustedProxies, .trustedProxies) {
            switch TrustedProxies.parse(proxies) {
            case .success(let parsed): rateLimit.trustedProxies = parsed
            case .failure(let bad): throw Invalid(key: origin, reason: "'\(bad.entry)' is not an IP address or CIDR network")
            }
        }
        if rateLimit.isEnabled, rateLimit.recordCapacity < settings.limits.maxBatchRecords {
            throw Invalid(
                key: ConfigKey.rateLimitRecordsCapacity.names,
                reason: "must be at least --max-batch-records (\(settings.limits.maxBatchRecords)), or a full batch could never pass"
            )
        }
        settings.rateLimit = rateLimit
        if let (origins, origin) = try reader.lookupList(options.corsAllowedOrigins, .corsAllowedOrigins) {
            for entry in origins where entry != "*" && !(entry.hasPrefix("http://") || entry.hasPrefix("https://")) {
                throw Invalid(key: origin, reason: "'\(entry)' is not an origin such as https://app.example.com (or *)")
            }
            settings.corsAllowedOrigins = origins.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        }
        settings.metricsMaxChannels = try reader.int(options.metricsMaxChannels, .metricsMaxChannels, range: 0...10_000) ?? settings.metricsMaxChannels

        if let (level, origin) = try reader.lookup(options.logLevel, .logLevel) {
            let normalized = level.lowercased() == "warn" ? "warning" : level.lowercased()
            guard let parsed = Logger.Level(rawValue: normalized) else {
                throw Invalid(key: origin, reason: "unknown level '\(level)' (trace, debug, info, notice, warning, error, critical)")
            }
            settings.logLevel = parsed
        }
        if let (format, origin) = try reader.lookup(options.logFormat, .logFormat) {
            guard let parsed = LogFormat(rawValue: format.lowercased()) else {
                throw Invalid(key: origin, reason: "must be text or json (got '\(format)')")
            }
            settings.logFormat = parsed
        }
        settings.shutdownTimeoutSeconds = try reader.int(options.shutdownTimeoutSeconds, .shutdownTimeout, range: 1...3600) ?? settings.shutdownTimeoutSeconds

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

    /// One API key per line; blank lines and `#` comments are skipped.
    static func readAPIKeysFile(_ path: String, origin: String) throws(Invalid) -> [String] {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else {
            throw Invalid(key: origin, reason: "cannot read \(path) (or it is larger than 1 MiB)")
        }
        let keys = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        // A keys file was configured to turn authentication on: an empty one must not silently turn it off.
        guard !keys.isEmpty else { throw Invalid(key: origin, reason: "\(path) holds no API key") }
        return keys
    }

    /// Reads one setting: the flag when given, else the environment variable, else the config file, else nil (the
    /// default applies). Errors name the source the bad value came from.
    struct Reader {
        var environment: [String: String]
        var file: ConfigFile?

        /// The raw value and where it came from.
        func lookup(_ flagValue: String?, _ key: ConfigKey) throws(Invalid) -> (String, String)? {
            if let flagValue, let flag = key.flag { return (flagValue, flag) }
            if let variable = key.variable, let value = environment[variable], !value.isEmpty { return (value, variable) }
            if let file, let value = file.values[key.path] {
                switch value {
                case .scalar(let text):
                    // As for variables, an empty value means "not set" (the default applies).
                    return text.isEmpty ? nil : (text, file.origin(of: key))
                case .list(let items): return (items.joined(separator: ","), file.origin(of: key))
                }
            }
            return nil
        }

        func lookupList(_ flagValue: String?, _ key: ConfigKey) throws(Invalid) -> ([String], String)? {
            if let file, flagValue == nil, key.variable.flatMap({ environment[$0] }).map({ $0.isEmpty }) ?? true,
                case .list(let items)? = file.values[key.path]
            {
                return (items, file.origin(of: key))
            }
            guard let (text, origin) = try lookup(flagValue, key) else { return nil }
            return (text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }, origin)
        }

        func string(_ flagValue: String?, _ key: ConfigKey) throws(Invalid) -> String? {
            try lookup(flagValue, key)?.0
        }

        func list(_ flagValue: String?, _ key: ConfigKey) throws(Invalid) -> [String]? {
            try lookupList(flagValue, key)?.0
        }

        func int(_ flagValue: Int?, _ key: ConfigKey, range: ClosedRange<Int>) throws(Invalid) -> Int? {
            guard let (text, origin) = try lookup(flagValue.map(String.init), key) else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw Invalid(key: origin, reason: "must be an integer (got '\(text.prefix(64))')")
            }
            guard range.contains(value) else {
                throw Invalid(key: origin, reason: "must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
            }
            return value
        }

        func bool(_ flagValue: Bool?, _ key: ConfigKey) throws(Invalid) -> Bool? {
            guard let (text, origin) = try lookup(flagValue.map { $0 ? "true" : "false" }, key) else { return nil }
            switch text.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: throw Invalid(key: origin, reason: "must be true or false (got '\(text.prefix(64))')")
            }
        }

        func port(_ flagValue: Int?, _ key: ConfigKey) throws(Invalid) -> Int? {
            try int(flagValue, key, range: 0...65535)
        }
    }
}

public import LogPilotCore
public import Logging
import Synchronization

/// The settings a running server changes without a restart when its config file (or API-keys file) changes: API
/// keys, rate limits, CORS origins, retention and the log level. Every front reads them through these handles.
public struct LiveControls: Sendable {
    public let apiKeys: LiveValue<APIKeySet>
    public let corsAllowedOrigins: LiveValue<[String]>
    public let retention: LiveValue<RetentionPolicy>
    public let rateLimiter: RateLimiter
    public let logLevel: LogLevelControl

    public init(_ settings: LogPilotSettings) {
        self.apiKeys = LiveValue(settings.apiKeys)
        self.corsAllowedOrigins = LiveValue(settings.corsAllowedOrigins)
        self.retention = LiveValue(RetentionPolicy(settings.storage))
        self.rateLimiter = RateLimiter(policy: settings.rateLimit)
        self.logLevel = LogLevelControl(settings.logLevel)
    }

    /// Applies the live part of `settings`.
    func apply(_ settings: LogPilotSettings) {
        apiKeys.set(settings.apiKeys)
        corsAllowedOrigins.set(settings.corsAllowedOrigins)
        retention.set(RetentionPolicy(settings.storage))
        rateLimiter.update(settings.rateLimit)
        logLevel.level = settings.logLevel
    }
}

/// The process's log level, changeable while it runs; every logger created by LogPilot's bootstrap reads it.
public final class LogLevelControl: Sendable {
    private let raw: Atomic<Int>

    public init(_ level: Logger.Level) {
        self.raw = Atomic(Self.index(level))
    }

    /// Read on every log call of every logger (the level check), so it must not allocate: a switch, not `allCases`.
    public var level: Logger.Level {
        get {
            switch raw.load(ordering: .relaxed) {
            case 0: .trace
            case 1: .debug
            case 2: .info
            case 3: .notice
            case 4: .warning
            case 5: .error
            default: .critical
            }
        }
        set { raw.store(Self.index(newValue), ordering: .relaxed) }
    }

    private static func index(_ level: Logger.Level) -> Int {
        switch level {
        case .trace: 0
        case .debug: 1
        case .info: 2
        case .notice: 3
        case .warning: 4
        case .error: 5
        case .critical: 6
        }
    }
}

/// Wraps a log handler so that its level follows a `LogLevelControl`.
struct LiveLevelLogHandler: LogHandler {
    var inner: any LogHandler
    let control: LogLevelControl

    var logLevel: Logger.Level {
        get { control.level }
        set {}  // the level is the process's, set through the config file
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        inner.log(event: event)
    }
}

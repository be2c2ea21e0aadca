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

    public var level: Logger.Level {
        get { Logger.Level.allCases[raw.load(ordering: .relaxed)] }
        set { raw.store(Self.index(newValue), ordering: .relaxed) }
    }

    private static func index(_ level: Logger.Level) -> Int {
        Logger.Level.allCases.firstIndex(of: level) ?? 2
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

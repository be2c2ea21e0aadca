public import Logging
public import ServiceLifecycle

/// Runs the storage engine as a ServiceLifecycle service: opens it (migrations included) when the group starts,
/// and on graceful shutdown commits everything queued and closes the database. List it FIRST in the service group
/// so that it stops LAST, after the fronts have stopped accepting and finished their in-flight requests.
public struct StorageService: Service, CustomStringConvertible {
    public var description: String { "StorageService" }

    public let engine: StorageEngine
    private let logger: Logger

    public init(engine: StorageEngine, logger: Logger) {
        self.engine = engine
        self.logger = logger
    }

    public func run() async throws {
        try await engine.start()
        try? await gracefulShutdown()
        logger.info("storage draining the write queue", metadata: ["storage.queued_records": "\(engine.status.queuedRecords)"])
        await engine.shutdown()
    }
}

/// What retention deletes and how often; live (a config reload replaces it).
public struct RetentionPolicy: Sendable, Equatable {
    /// Delete records older than this many days; 0 = off.
    public var days: Int
    /// Delete the oldest records while the database is above this many bytes; 0 = off.
    public var maxBytes: Int64
    public var intervalSeconds: Int

    public init(days: Int, maxBytes: Int64, intervalSeconds: Int) {
        self.days = days
        self.maxBytes = maxBytes
        self.intervalSeconds = intervalSeconds
    }

    /// The policy of a storage configuration.
    public init(_ configuration: StorageConfiguration) {
        self.init(
            days: configuration.retentionDays,
            maxBytes: configuration.retentionMaxBytes,
            intervalSeconds: configuration.retentionIntervalSeconds
        )
    }

    public var isEnabled: Bool { days > 0 || maxBytes > 0 }
}

/// Deletes old records by age and the oldest records while the database exceeds its size bound, in small chunks
/// through the writer so that ingest is never blocked for long. Reads its policy before every pass, so a reload
/// that turns retention on, off or changes it applies from the next pass.
public struct RetentionService: Service, CustomStringConvertible {
    private let engine: StorageEngine
    private let policy: LiveValue<RetentionPolicy>
    private let logger: Logger

    public var description: String { "RetentionService" }

    public init(engine: StorageEngine, policy: LiveValue<RetentionPolicy>? = nil, logger: Logger) {
        self.engine = engine
        self.policy = policy ?? LiveValue(RetentionPolicy(engine.configuration))
        self.logger = logger
    }

    public func run() async throws {
        var announced: RetentionPolicy?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let current = policy.value
            if current != announced {
                announced = current
                if current.isEnabled {
                    logger.info("retention is on", metadata: [
                        "retention.days": "\(current.days)", "retention.max_bytes": "\(current.maxBytes)",
                        "retention.interval_seconds": "\(current.intervalSeconds)",
                    ])
                } else {
                    logger.info("retention is off")
                }
            }
            do {
                // Sleeping must not delay shutdown: a graceful shutdown cancels the wait.
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: .seconds(current.intervalSeconds))
                }
            } catch {
                return
            }
            if Task.isShuttingDownGracefully { return }
            if engine.status.phase != .ready || !policy.value.isEnabled { continue }
            do {
                try await runOnce()
            } catch {
                logger.warning("retention pass failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One full retention pass; returns the number of records deleted.
    @discardableResult
    public func runOnce() async throws(LogPilotError) -> Int {
        let current = policy.value
        let chunk = engine.configuration.retentionChunkRecords
        var deleted = 0
        if current.days > 0 {
            let cutoff = WallClock.nowMicroseconds() - Int64(current.days) * 86_400_000_000
            while !Task.isShuttingDownGracefully {
                let outcome = try await engine.runRetention(.deleteOlderThan(cutoff: cutoff, limit: chunk))
                deleted += outcome.deleted
                if outcome.deleted < chunk { break }
            }
        }
        if current.maxBytes > 0 {
            while !Task.isShuttingDownGracefully {
                let outcome = try await engine.runRetention(
                    .deleteOldestAbove(maxBytes: current.maxBytes, limit: chunk)
                )
                deleted += outcome.deleted
                if !outcome.stillAboveLimit { break }
            }
        }
        if deleted > 0 {
            _ = try await engine.runRetention(.releaseFreePages)
            logger.info("retention deleted records", metadata: ["retention.deleted": "\(deleted)"])
        }
        return deleted
    }
}

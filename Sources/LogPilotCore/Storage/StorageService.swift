public import Logging
public import ServiceLifecycle

/// Runs the storage engine as a ServiceLifecycle service: opens it (migrations included) when the group starts,
/// and on graceful shutdown commits everything queued and closes the database. List it FIRST in the service group
/// so that it stops LAST, after the fronts have stopped accepting and finished their in-flight requests.
public struct StorageService: Service {
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

/// Deletes old records by age and the oldest records while the database exceeds its size bound, in small chunks
/// through the writer so that ingest is never blocked for long.
public struct RetentionService: Service {
    private let engine: StorageEngine
    private let logger: Logger

    public init(engine: StorageEngine, logger: Logger) {
        self.engine = engine
        self.logger = logger
    }

    public func run() async throws {
        let configuration = engine.configuration
        guard configuration.retentionDays > 0 || configuration.retentionMaxBytes > 0 else {
            logger.info("retention is off")
            try? await gracefulShutdown()
            return
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                // Sleeping must not delay shutdown: a graceful shutdown cancels the wait.
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: .seconds(configuration.retentionIntervalSeconds))
                }
            } catch {
                return
            }
            if Task.isShuttingDownGracefully { return }
            if engine.status.phase != .ready { continue }
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
        let configuration = engine.configuration
        let chunk = configuration.retentionChunkRecords
        var deleted = 0
        if configuration.retentionDays > 0 {
            let cutoff = WallClock.nowMicroseconds() - Int64(configuration.retentionDays) * 86_400_000_000
            while !Task.isShuttingDownGracefully {
                let outcome = try await engine.runRetention(.deleteOlderThan(cutoff: cutoff, limit: chunk))
                deleted += outcome.deleted
                if outcome.deleted < chunk { break }
            }
        }
        if configuration.retentionMaxBytes > 0 {
            while !Task.isShuttingDownGracefully {
                let outcome = try await engine.runRetention(
                    .deleteOldestAbove(maxBytes: configuration.retentionMaxBytes, limit: chunk)
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

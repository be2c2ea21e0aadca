import Foundation

/// Settings of the storage engine. Plain values with safe defaults; loading from env/flags happens at the edge.
public struct StorageConfiguration: Sendable, Equatable {
    /// SQLite's `synchronous` setting in WAL mode.
    public enum Synchronous: String, Sendable, CaseIterable {
        /// fsync the WAL at every commit: an acknowledged record survives power loss. The default.
        case full = "FULL"
        /// No fsync at commit: an acknowledged record survives a process crash, not a power loss.
        case normal = "NORMAL"
    }

    /// Path of the database file; its directory is created if missing.
    public var path: String
    public var synchronous: Synchronous
    /// Records waiting for the writer, at most; beyond that appends are refused with `overloaded`.
    public var maxQueuedRecords: Int
    /// Bytes of records waiting for the writer, at most.
    public var maxQueuedBytes: Int
    /// Records written in one transaction, at most (group commit drains up to this).
    public var maxCommitRecords: Int
    /// Bytes written in one transaction, at most.
    public var maxCommitBytes: Int
    /// Reader connections (concurrent reads).
    public var readerCount: Int
    /// How long SQLite waits on a lock held by another connection before `SQLITE_BUSY`.
    public var busyTimeoutMilliseconds: Int32
    /// Delete records older than this many days (by record timestamp); 0 disables age retention.
    public var retentionDays: Int
    /// Delete the oldest records while the database uses more than this many bytes; 0 disables size retention.
    public var retentionMaxBytes: Int64
    /// How often retention runs, in seconds.
    public var retentionIntervalSeconds: Int
    /// Records deleted per retention transaction (small, so ingest is never blocked for long).
    public var retentionChunkRecords: Int
    /// Hard cap on the database file, in bytes (SQLite `max_page_count`); writes beyond it fail with `storageFull`
    /// (HTTP 507) instead of filling the volume. 0 = no cap. Set it below the volume size, above `retentionMaxBytes`.
    public var maxDatabaseBytes: Int64
    /// The bound on the work of one search (records examined, time); a search that reaches it answers with what it
    /// found and a cursor that resumes where it stopped.
    public var readBudget: ReadBudget = ReadBudget()
    /// Bounds on streams (label sets): how many may exist.
    public var streamLimits: StreamLimits = StreamLimits()
    /// How the background compactor merges small blocks.
    public var compaction: CompactionPolicy = CompactionPolicy()

    public init(
        path: String = "./data/logpilot.db",
        synchronous: Synchronous = .full,
        maxQueuedRecords: Int = 10_000,
        maxQueuedBytes: Int = 8 * 1024 * 1024,
        maxCommitRecords: Int = 10_000,
        maxCommitBytes: Int = 8 * 1024 * 1024,
        readerCount: Int = 4,
        busyTimeoutMilliseconds: Int32 = 5_000,
        retentionDays: Int = 7,
        retentionMaxBytes: Int64 = 0,
        retentionIntervalSeconds: Int = 60,
        retentionChunkRecords: Int = 2_000,
        maxDatabaseBytes: Int64 = 0
    ) {
        self.path = path
        self.synchronous = synchronous
        self.maxQueuedRecords = maxQueuedRecords
        self.maxQueuedBytes = maxQueuedBytes
        self.maxCommitRecords = maxCommitRecords
        self.maxCommitBytes = maxCommitBytes
        self.readerCount = readerCount
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.retentionDays = retentionDays
        self.retentionMaxBytes = retentionMaxBytes
        self.retentionIntervalSeconds = retentionIntervalSeconds
        self.retentionChunkRecords = retentionChunkRecords
        self.maxDatabaseBytes = maxDatabaseBytes
    }

    /// Checks the values; the error names the setting.
    public func validate() throws(LogPilotError) {
        func require(_ condition: Bool, _ key: String, _ reason: String) throws(LogPilotError) {
            if !condition { throw LogPilotError.invalid(key, reason) }
        }
        try require(!path.isEmpty, "sqlite-path", "must not be empty")
        try require(maxQueuedRecords > 0, "queue-max-records", "must be positive")
        try require(maxQueuedBytes > 0, "queue-max-bytes", "must be positive")
        try require(maxCommitRecords > 0, "commit-max-records", "must be positive")
        try require(maxCommitBytes > 0, "commit-max-bytes", "must be positive")
        try require((1...64).contains(readerCount), "sqlite-readers", "must be between 1 and 64")
        try require(busyTimeoutMilliseconds >= 0, "sqlite-busy-timeout-ms", "must not be negative")
        try require(retentionDays >= 0, "retention-days", "must not be negative (0 disables)")
        try require(retentionMaxBytes >= 0, "retention-max-bytes", "must not be negative (0 disables)")
        try require(retentionIntervalSeconds > 0, "retention-interval-seconds", "must be positive")
        try require(retentionChunkRecords > 0, "retention-chunk-records", "must be positive")
        try require(maxDatabaseBytes == 0 || maxDatabaseBytes >= 65_536, "sqlite-max-bytes", "must be 0 (no cap) or at least 65536")
        try require(readBudget.maxScannedRecords > 0, "max-read-scan-records", "must be positive")
        try require(readBudget.timeoutMilliseconds > 0, "read-timeout-ms", "must be positive")
        try require(readBudget.maxConcurrentSearches > 0, "max-concurrent-searches", "must be positive")
    }
}

/// The bound on the work of one read: how many stored records it may examine and how long it may take. A read that
/// reaches either answers with the records found so far and a cursor that resumes exactly where it stopped (it never
/// fails for being expensive), and is counted in `logpilot_reads_truncated_total`.
public struct ReadBudget: Sendable, Equatable {
    /// Stored records one read may examine, at most.
    public var maxScannedRecords: Int
    /// Wall time one read may take, at most.
    public var timeoutMilliseconds: Int

    /// Searches that run at once; more wait their turn (a few dozen at most, then `overloaded`). The default, half
    /// the cores (at least 1), leaves the other half to ingest however many clients search.
    public var maxConcurrentSearches: Int
    public init(
        maxScannedRecords: Int = 1_000_000,
        timeoutMilliseconds: Int = 2_000,
        maxConcurrentSearches: Int = ReadBudget.defaultConcurrentSearches
    ) {
        self.maxScannedRecords = maxScannedRecords
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maxConcurrentSearches = maxConcurrentSearches
    }

    /// Half the cores the process may use, at least 1.
    public static var defaultConcurrentSearches: Int { max(ProcessInfo.processInfo.activeProcessorCount / 2, 1) }
}

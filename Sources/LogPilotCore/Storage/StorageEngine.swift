import Foundation
public import Logging
import Metrics
import Synchronization

/// The shared storage engine: a bounded queue in front of ONE writer thread that owns the only write connection,
/// plus a pool of reader connections.
///
/// Group commit: the writer drains whatever is queued (up to `maxCommitRecords`/`maxCommitBytes`), writes it in one
/// transaction, commits, and only then resumes every waiting caller with its ids. There is no fixed linger: under
/// load, batches grow by themselves while the previous transaction commits.
public final class StorageEngine: Sendable {
    /// Where the engine is in its life.
    public enum Phase: String, Sendable {
        case starting, migrating, ready, stopping, stopped, failed
    }

    /// A snapshot of the engine's health for probes and `/health`.
    public struct Status: Sendable {
        public var phase: Phase
        public var path: String
        /// Set while writes fail (disk full, read-only volume, corruption...); cleared by the next successful commit.
        public var writeFailure: String?
        /// Why opening failed, when `phase == .failed`.
        public var openFailure: String?
        /// Wall-clock microseconds of the last successful commit.
        public var lastCommitAt: Int64?
        /// Monotonic seconds since the writer last finished a transaction or went idle (a stuck writer grows this).
        public var writerBusySeconds: Double
        public var queuedRecords: Int
        public var queuedBytes: Int
        public var maxQueuedRecords: Int

        /// Ready to accept writes.
        public var isWritable: Bool { phase == .ready && writeFailure == nil }
    }

    public let configuration: StorageConfiguration
    private let logger: Logger
    private let metrics: StorageMetrics
    private let core: Core
    private let searchSlots: SearchSlots

    public init(configuration: StorageConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = StorageMetrics()
        self.core = Core(configuration: configuration)
        self.searchSlots = SearchSlots(slots: configuration.readBudget.maxConcurrentSearches)
    }

    // MARK: Life cycle

    /// Opens the database, runs migrations and starts the writer thread. Returns once the engine is ready.
    public func start() async throws(LogPilotError) {
        let result: Result<Void, LogPilotError> = await withCheckedContinuation { continuation in
            let thread = Thread { [self] in
                // Named from inside: on Linux a name set before start() does not reach the OS thread.
                Thread.current.name = "logpilot-writer"
                self.writerMain(startup: continuation)
            }
            thread.start()
        }
        try result.get()
    }

    /// Stops accepting work, commits everything already queued, checkpoints and closes the database.
    public func shutdown() async {
        let wasRunning: Bool = core.lock.withLock {
            let running = core.phase == .ready
            if core.phase == .ready || core.phase == .starting || core.phase == .migrating { core.phase = .stopping }
            core.queue.close()
            core.condition.broadcast()
            return running
        }
        guard wasRunning else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyStopped: Bool = core.lock.withLock {
                if core.phase == .stopped { return true }
                core.stopWaiters.append(continuation)
                return false
            }
            if alreadyStopped { continuation.resume() }
        }
    }

    /// A snapshot of the engine's state.
    public var status: Status {
        core.lock.withLock {
            Status(
                phase: core.phase,
                path: configuration.path,
                writeFailure: core.writeFailure,
                openFailure: core.openFailure,
                lastCommitAt: core.lastCommitAt,
                writerBusySeconds: core.busySince.map { Double((ContinuousClock.now - $0).components.seconds) } ?? 0,
                queuedRecords: core.queue.queuedRecords,
                queuedBytes: core.queue.queuedBytes,
                maxQueuedRecords: configuration.maxQueuedRecords
            )
        }
    }

    /// Transactions committed with at least one record since start (group commit makes this smaller than the
    /// number of appends under concurrency).
    var transactionsWithRecords: Int { core.lock.withLock { core.transactionsWithRecords } }

    // MARK: Writes

    /// Appends validated records. Returns only after they are committed, with their contiguous ids.
    public func append(_ records: [LogRecord]) async throws(LogPilotError) -> AppendResult {
        if records.isEmpty { return AppendResult(count: 0, firstId: nil, lastId: nil) }
        var bytes = 0
        for record in records { bytes += record.queueBytes }
        let result = await withCheckedContinuation { continuation in
            if let refusal = enqueue(.append(records, continuation), records: records.count, bytes: bytes) {
                continuation.resume(returning: .failure(refusal))
            }
        }
        return try result.get()
    }

    /// Refuses work early, before a front reads and decodes a request body, when the queue is nearly full (90 %);
    /// an overloaded server then spends almost nothing on requests it would refuse anyway.
    public func checkAdmission() throws(LogPilotError) {
        let (records, bytes) = core.lock.withLock { (core.queue.queuedRecords, core.queue.queuedBytes) }
        if records * 10 >= configuration.maxQueuedRecords * 9 || bytes * 10 >= configuration.maxQueuedBytes * 9 {
            throw LogPilotError(
                code: .overloaded,
                message: "the write queue is full (\(records) records, \(bytes) bytes queued); retry later",
                retryAfterSeconds: core.lock.withLock { core.retryAfterSeconds() }
            )
        }
    }

    /// Consumer fetch: records after the consumer's offset, ascending. With `autoCommit` the offset moves to the
    /// last returned id in the same transaction.
    public func fetch(
        channel: String,
        consumerId: String,
        limit: Int,
        autoCommit: Bool
    ) async throws(LogPilotError) -> [StoredLogRecord] {
        if limit <= 0 { return [] }
        if !autoCommit {
            return try await read { context throws(SQLiteError) in
                try BlockReads.peek(channel: channel, consumerId: consumerId, limit: limit, context)
            }
        }
        let outcome = try await runConsumer(.fetchAndCommit(channel: channel, consumerId: consumerId, limit: limit))
        return outcome.records
    }

    /// Sets a consumer's offset exactly (manual acknowledgement).
    public func commitOffset(channel: String, consumerId: String, offset: Int64) async throws(LogPilotError) -> ConsumerPosition {
        try await runConsumer(.commit(channel: channel, consumerId: consumerId, offset: offset)).position
    }

    /// Moves a consumer's offset: EARLIEST → 0, LATEST → newest id of the channel, SPECIFIC(id) → id − 1.
    public func seek(channel: String, consumerId: String, to target: SeekTarget) async throws(LogPilotError) -> ConsumerPosition {
        try await runConsumer(.seek(channel: channel, consumerId: consumerId, target: target)).position
    }

    /// Swaps a merged block in for the blocks it replaces, through the writer (one short transaction).
    func runCompaction(_ swap: CompactionSwap) async throws(LogPilotError) -> CompactionOutcome {
        let result = await withCheckedContinuation { continuation in
            if let refusal = enqueue(.compaction(swap, continuation), records: 0, bytes: 0) {
                continuation.resume(returning: .failure(refusal))
            }
        }
        return try result.get()
    }

    /// Runs one retention step through the writer (its own small transaction, interleaved with ingest).
    func runRetention(_ step: RetentionStep) async throws(LogPilotError) -> RetentionOutcome {
        let result = await withCheckedContinuation { continuation in
            if let refusal = enqueue(.retention(step, continuation), records: 0, bytes: 0) {
                continuation.resume(returning: .failure(refusal))
            }
        }
        return try result.get()
    }

    private func runConsumer(_ operation: ConsumerOperation) async throws(LogPilotError) -> ConsumerOutcome {
        let result = await withCheckedContinuation { continuation in
            if let refusal = enqueue(.consumer(operation, continuation), records: 0, bytes: 0) {
                continuation.resume(returning: .failure(refusal))
            }
        }
        return try result.get()
    }

    /// Queues a job; returns the error to answer with when the job is refused.
    private func enqueue(_ job: WriteJob, records: Int, bytes: Int) -> LogPilotError? {
        let outcome: (WriteQueueStateMachine<WriteJob>.EnqueueDecision, Phase) = core.lock.withLock {
            guard core.phase == .ready else { return (.closed, core.phase) }
            let decision = core.queue.enqueue(job, records: records, bytes: bytes)
            if decision == .accepted {
                core.condition.signal()
                // Under the lock, so gauge updates land in queue order (the last one is the current depth).
                metrics.queueRecords.record(core.queue.queuedRecords)
                metrics.queueBytes.record(core.queue.queuedBytes)
            }
            return (decision, core.phase)
        }
        switch outcome.0 {
        case .accepted:
            return nil
        case .overloaded:
            return LogPilotError(
                code: .overloaded,
                message: "the write queue is full (\(configuration.maxQueuedRecords) records or "
                    + "\(configuration.maxQueuedBytes) bytes); retry later",
                retryAfterSeconds: core.lock.withLock { core.retryAfterSeconds() }
            )
        case .closed:
            switch outcome.1 {
            case .starting, .migrating:
                return LogPilotError(code: .unavailable, message: "storage is starting", retryAfterSeconds: 1)
            case .failed:
                return LogPilotError(code: .storageFailure, message: "storage failed to open")
            default:
                return LogPilotError(code: .unavailable, message: "the server is shutting down", retryAfterSeconds: 1)
            }
        }
    }

    // MARK: Reads

    /// The newest `limit` records of a channel, newest first.
    public func latest(channel: String, limit: Int) async throws(LogPilotError) -> [StoredLogRecord] {
        if limit <= 0 { return [] }
        return try await read { context throws(SQLiteError) in
            try BlockReads.inReadTransaction(context) { () throws(SQLiteError) in
                try BlockReads.latest(channel: channel, limit: limit, context)
            }
        }
    }

    /// Filtered search, newest first, one page at a time, within the configured `ReadBudget` (or `budget`): a
    /// search that reaches it returns what it found with `truncated` set and a cursor that resumes where it stopped.
    public func search(_ query: LogSearchQuery, budget: ReadBudget? = nil) async throws(LogPilotError) -> LogSearchPage {
        if query.limit <= 0 { return LogSearchPage(records: [], nextCursor: nil) }
        let budget = budget ?? configuration.readBudget
        // The deadline counts from the request, including the wait for a slot.
        let deadline = ContinuousClock.now + .milliseconds(budget.timeoutMilliseconds)
        guard await searchSlots.acquire() else {
            throw LogPilotError(
                code: .overloaded,
                message: "too many searches are waiting (LOGPILOT_MAX_CONCURRENT_SEARCHES="
                    + "\(configuration.readBudget.maxConcurrentSearches) run at once); retry later",
                retryAfterSeconds: 1
            )
        }
        defer { searchSlots.release() }
        let page = try await read { context throws(SQLiteError) in
            try BlockReads.inReadTransaction(context) { () throws(SQLiteError) in
                try BlockReads.search(query, budget: budget, deadline: deadline, context)
            }
        }
        if let truncated = page.truncated { metrics.readsTruncated(truncated).increment() }
        return page
    }

    /// Every channel with its record count and newest id.
    public func channels() async throws(LogPilotError) -> [ChannelSummary] {
        try await read { context throws(SQLiteError) in try BlockReads.channels(context.db) }
    }

    /// Total number of stored records.
    public func count() async throws(LogPilotError) -> Int64 {
        try await read { context throws(SQLiteError) in try BlockReads.count(context.db) }
    }

    func read<T: Sendable>(
        _ body: @escaping @Sendable (BlockReadContext) throws(SQLiteError) -> T
    ) async throws(LogPilotError) -> T {
        let readers: ReaderPool? = core.lock.withLock { core.phase == .ready ? core.readers : nil }
        guard let readers else {
            throw LogPilotError(code: .unavailable, message: "storage is not ready", retryAfterSeconds: 1)
        }
        return try await readers.read(body)
    }

    // MARK: Writer thread

    private func writerMain(startup: CheckedContinuation<Result<Void, LogPilotError>, Never>) {
        let writer: StorageWriter
        let lock: DatabaseLock
        do {
            try createDataDirectory()
            lock = try DatabaseLock(databasePath: configuration.path)
            writer = try openDatabase()
        } catch {
            logger.error("storage failed to open", metadata: ["storage.path": "\(configuration.path)", "error": "\(error)"])
            core.lock.withLock {
                core.phase = .failed
                core.openFailure = error.message
                core.queue.close()
            }
            startup.resume(returning: .failure(error))
            finishStop()
            return
        }
        let openedReady: Bool = core.lock.withLock {
            guard core.phase == .migrating else { return false }
            core.phase = .ready
            return true
        }
        startup.resume(returning: .success(()))
        if openedReady {
            logger.info("storage ready", metadata: [
                "storage.path": "\(configuration.path)",
                "storage.synchronous": "\(configuration.synchronous.rawValue)",
                "storage.next_id": "\(writer.nextId)",
            ])
        }
        writerLoop(writer)
        // Drained: leave a small WAL behind and close.
        do {
            try writer.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        } catch {
            logger.warning("final checkpoint failed", metadata: ["error": "\(error)"])
        }
        writer.db.close()
        lock.release()
        logger.info("storage closed", metadata: ["storage.path": "\(configuration.path)"])
        finishStop()
    }

    private func finishStop() {
        let (readers, waiters) = core.lock.withLock {
            if core.phase != .failed { core.phase = .stopped }
            let waiters = core.stopWaiters
            core.stopWaiters.removeAll()
            let readers = core.readers
            core.readers = nil
            return (readers, waiters)
        }
        readers?.close()
        for waiter in waiters { waiter.resume() }
    }

    private func createDataDirectory() throws(LogPilotError) {
        do {
            let directory = (configuration.path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        } catch {
            throw LogPilotError(
                code: .storageFailure,
                message: "cannot create the data directory of \(configuration.path): \(error.localizedDescription)"
            )
        }
    }

    private func openDatabase() throws(LogPilotError) -> StorageWriter {
        core.lock.withLock { core.phase = .migrating }
        do {
            let db = try SQLiteConnection(path: configuration.path, readOnly: false)
            db.setBusyTimeout(milliseconds: configuration.busyTimeoutMilliseconds)
            let mode = try db.prepare("PRAGMA journal_mode = WAL")
            _ = try mode.step()
            let journalMode = mode.string(0).lowercased()
            mode.reset()
            if journalMode != "wal" {
                throw LogPilotError(code: .storageFailure, message: "cannot switch \(configuration.path) to WAL mode")
            }
            try db.execute("""
                PRAGMA synchronous = \(configuration.synchronous.rawValue);
                PRAGMA temp_store = MEMORY;
                PRAGMA cache_size = -8192;
                PRAGMA journal_size_limit = 67108864;
                """)
            let applied = try Schema.migrate(db) { () throws(LogPilotError) in
                try RowStoreConversion(db: db, path: configuration.path, logger: logger).run()
            }
            if configuration.maxDatabaseBytes > 0 {
                let pageSize = try db.scalarInt64("PRAGMA page_size") ?? 4096
                try db.execute("PRAGMA max_page_count = \(max(configuration.maxDatabaseBytes / pageSize, 1))")
            }
            if !applied.isEmpty {
                logger.info("storage schema migrated", metadata: ["storage.schema_versions": "\(applied)"])
            }
            let writer = try StorageWriter(db: db, limits: configuration.streamLimits)
            let readers = try ReaderPool(
                path: configuration.path,
                count: configuration.readerCount,
                busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds
            )
            core.lock.withLock { core.readers = readers }
            return writer
        } catch let error as SQLiteError {
            throw LogPilotError.storage(error)
        } catch let error as LogPilotError {
            throw error
        } catch {
            throw LogPilotError(code: .internalError, message: "\(error)")
        }
    }

    /// After a full disk, writes count as possible again only with this much free space: a tiny probe commit can
    /// succeed in the last free blocks while every real batch still fails, and readiness would flap.
    static let diskFullRecoveryHeadroomBytes: Int64 = 1 << 20

    private func writerLoop(_ writer: StorageWriter) {
        let probeInterval: TimeInterval = 2
        var diskWasFull = false
        // Started on a full volume: not writable until space frees, rather than "ready" until the first 507.
        if let free = DiskSpace.volume(containing: configuration.path)?.free, free < Self.diskFullRecoveryHeadroomBytes {
            diskWasFull = true
            markWriteFailed(SQLiteError(
                resultCode: SQLiteError.full,
                extendedResultCode: SQLiteError.full,
                message: "the volume holding the database has \(free) bytes free",
                context: "startup"
            ))
        }
        let maxPageCount: Int64? =
            configuration.maxDatabaseBytes > 0
            ? (try? writer.db.scalarInt64("PRAGMA max_page_count")) ?? nil
            : nil
        while true {
            core.condition.lock()
            var shouldProbe = false
            while core.queue.isEmpty && !core.queue.isClosed {
                core.busySince = nil
                if core.writeFailure != nil {
                    if !core.condition.wait(until: Date(timeIntervalSinceNow: probeInterval)) {
                        shouldProbe = core.queue.isEmpty
                        break
                    }
                } else {
                    core.condition.wait()
                }
            }
            if core.queue.isEmpty && core.queue.isClosed {
                core.condition.unlock()
                return
            }
            core.busySince = ContinuousClock.now
            let jobs = shouldProbe
                ? []
                : core.queue.takeBatch(maxRecords: configuration.maxCommitRecords, maxBytes: configuration.maxCommitBytes)
            metrics.queueRecords.record(core.queue.queuedRecords)
            metrics.queueBytes.record(core.queue.queuedBytes)
            core.condition.unlock()

            if jobs.isEmpty {
                if diskWasFull, let free = DiskSpace.volume(containing: configuration.path)?.free,
                    free < Self.diskFullRecoveryHeadroomBytes
                {
                    continue  // still (nearly) full: stay not-ready without touching the database
                }
                do {
                    try writer.probe(maxPageCount: maxPageCount)
                    diskWasFull = false
                    markWriteSucceeded(records: 0, duration: .zero)
                    logger.info("storage is writable again", metadata: ["storage.path": "\(configuration.path)"])
                } catch {
                    // Still failing; stay not-ready and probe again later.
                }
                continue
            }
            let started = ContinuousClock.now
            let report = writer.execute(jobs) { error in markWriteFailed(error) }
            let duration = ContinuousClock.now - started
            if let error = report.error {
                diskWasFull = error.resultCode == SQLiteError.full
            } else {
                diskWasFull = false
                markWriteSucceeded(records: report.records, duration: duration)
                if report.deleted > 0 { metrics.retentionDeleted.increment(by: report.deleted) }
                if report.blocksWritten > 0 { metrics.blocksWritten.increment(by: report.blocksWritten) }
            }
        }
    }

    private func markWriteSucceeded(records: Int, duration: Duration) {
        let recovered: Bool = core.lock.withLock {
            let recovered = core.writeFailure != nil
            core.writeFailure = nil
            core.lastCommitAt = WallClock.nowMicroseconds()
            core.noteCommit(records: records, duration: duration)
            return recovered
        }
        if records > 0 {
            metrics.stored.increment(by: records)
            metrics.commitRecords.record(records)
            metrics.commitDuration.recordNanoseconds(duration.nanoseconds)
        }
        if recovered {
            logger.info("storage writes succeed again", metadata: ["storage.path": "\(configuration.path)"])
        }
    }

    private func markWriteFailed(_ error: SQLiteError) {
        let first: Bool = core.lock.withLock {
            let first = core.writeFailure == nil
            core.writeFailure = error.description
            return first
        }
        metrics.commitErrors(error.codeName).increment()
        if first {
            logger.error("storage write failed; readiness is DOWN until a write succeeds", metadata: [
                "storage.path": "\(configuration.path)", "error": "\(error)",
            ])
        }
    }
}

extension StorageEngine {
    /// Mutable state shared between callers and the writer thread, guarded by `lock` (an `NSCondition`, so the
    /// writer can sleep on it). Only touched inside `lock`.
    fileprivate final class Core: @unchecked Sendable {
        let condition = NSCondition()
        var lock: NSCondition { condition }
        var queue: WriteQueueStateMachine<WriteJob>
        var phase: Phase = .starting
        var readers: ReaderPool?
        var writeFailure: String?
        var openFailure: String?
        var lastCommitAt: Int64?
        var busySince: ContinuousClock.Instant?
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
        /// Committed transactions that carried records (diagnostics and tests).
        var transactionsWithRecords = 0
        /// Exponentially weighted commit throughput, records per second, for the retry hint.
        var recordsPerSecond: Double = 0

        init(configuration: StorageConfiguration) {
            queue = WriteQueueStateMachine(limits: .init(
                maxRecords: configuration.maxQueuedRecords,
                maxBytes: configuration.maxQueuedBytes,
                maxJobs: max(configuration.maxQueuedRecords, 1_024)
            ))
        }

        func noteCommit(records: Int, duration: Duration) {
            guard records > 0 else { return }
            transactionsWithRecords += 1
            let seconds = max(duration.seconds, 1e-6)
            let rate = Double(records) / seconds
            recordsPerSecond = recordsPerSecond == 0 ? rate : recordsPerSecond * 0.8 + rate * 0.2
        }

        /// How long until the queue has room again, rounded up to whole seconds (1...30).
        func retryAfterSeconds() -> Int {
            guard recordsPerSecond > 0 else { return 1 }
            let seconds = Double(queue.queuedRecords) / recordsPerSecond
            return min(max(Int(seconds.rounded(.up)), 1), 30)
        }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

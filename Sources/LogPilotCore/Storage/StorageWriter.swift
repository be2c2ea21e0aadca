/// A unit of work for the writer thread. Every job carries the continuation of the task waiting for it; the
/// writer resumes it only after the transaction that contains the job has committed (or failed).
enum WriteJob {
    case append([LogRecord], CheckedContinuation<Result<AppendResult, LogPilotError>, Never>)
    case consumer(ConsumerOperation, CheckedContinuation<Result<ConsumerOutcome, LogPilotError>, Never>)
    case retention(RetentionStep, CheckedContinuation<Result<RetentionOutcome, LogPilotError>, Never>)
    case compaction(CompactionSwap, CheckedContinuation<Result<CompactionOutcome, LogPilotError>, Never>)

    var recordCount: Int {
        if case .append(let records, _) = self { return records.count }
        return 0
    }
}

/// Consumer operations that write the offset table; they run on the writer so that a fetch and its offset update
/// share one transaction.
enum ConsumerOperation: Sendable {
    /// Returns records with `id > offset` (ascending, at most `limit`) and moves the offset to the last one.
    case fetchAndCommit(channel: String, consumerId: String, limit: Int)
    /// Sets the offset exactly.
    case commit(channel: String, consumerId: String, offset: Int64)
    case seek(channel: String, consumerId: String, target: SeekTarget)
}

struct ConsumerOutcome: Sendable {
    var position: ConsumerPosition
    var records: [StoredLogRecord]
}

/// One bounded step of retention. Retention drops whole blocks.
enum RetentionStep: Sendable {
    /// Drops blocks whose newest record is older than `cutoff`, oldest first, until about `limit` records are gone.
    case deleteOlderThan(cutoff: Int64, limit: Int)
    /// Drops the oldest blocks, about `limit` records' worth, if the database uses more than `maxBytes`.
    case deleteOldestAbove(maxBytes: Int64, limit: Int)
    /// Returns free pages to the filesystem (incremental vacuum).
    case releaseFreePages
}

struct RetentionOutcome: Sendable {
    var deleted: Int
    /// For size retention: whether the database is still above the bound.
    var stillAboveLimit: Bool
}

/// The single writer connection, its cached statements and the stream registry. Confined to the writer thread.
final class StorageWriter {
    let db: SQLiteConnection
    let limits: StreamLimits
    private let begin: SQLiteStatement
    private let commit: SQLiteStatement
    private let rollback: SQLiteStatement
    private let saveLastId: SQLiteStatement
    private let selectOffset: SQLiteStatement
    private let upsertOffset: SQLiteStatement
    private let probeStatement: SQLiteStatement
    private let blocks: BlockStatements
    private let builder: BlockBuilder
    /// Reads on the writer connection (fetch with auto-commit), sharing the writer's transaction.
    private let reads: BlockReadContext
    private(set) var streams: StreamRegistry

    /// The id the next inserted record gets.
    private(set) var nextId: Int64

    init(db: SQLiteConnection, limits: StreamLimits = StreamLimits()) throws(SQLiteError) {
        self.db = db
        self.limits = limits
        begin = try db.prepare("BEGIN IMMEDIATE", persistent: true)
        commit = try db.prepare("COMMIT", persistent: true)
        rollback = try db.prepare("ROLLBACK", persistent: true)
        saveLastId = try db.prepare("UPDATE engine_state SET value = ? WHERE key = 'last_id'", persistent: true)
        selectOffset = try db.prepare(
            "SELECT last_log_id FROM consumer_offsets WHERE consumer_id = ? AND channel = ?",
            persistent: true
        )
        upsertOffset = try db.prepare(
            """
            INSERT INTO consumer_offsets(consumer_id, channel, last_log_id, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT(consumer_id, channel) DO UPDATE SET last_log_id = excluded.last_log_id,
                                                            updated_at = excluded.updated_at
            """,
            persistent: true
        )
        probeStatement = try db.prepare(
            "UPDATE engine_state SET value = value WHERE key = 'last_id'",
            persistent: true
        )
        blocks = try BlockStatements(db)
        builder = BlockBuilder(level: BlockBuilder.commitLevel)
        reads = BlockReadContext(db: db)
        streams = try StreamRegistry.load(db)
        let maxStored = try db.scalarInt64("SELECT max(max_id) FROM blocks") ?? 0
        let savedLast = try db.scalarInt64("SELECT value FROM engine_state WHERE key = 'last_id'") ?? 0
        nextId = max(maxStored, savedLast) + 1
    }

    /// Pending results of one transaction, delivered only after COMMIT.
    private enum Completion {
        case append(AppendResult, CheckedContinuation<Result<AppendResult, LogPilotError>, Never>)
        case consumer(ConsumerOutcome, CheckedContinuation<Result<ConsumerOutcome, LogPilotError>, Never>)
        case retention(RetentionOutcome, CheckedContinuation<Result<RetentionOutcome, LogPilotError>, Never>)
        case compaction(CompactionOutcome, CheckedContinuation<Result<CompactionOutcome, LogPilotError>, Never>)
    }

    struct TransactionReport {
        var records: Int
        var deleted: Int
        var blocksWritten: Int
        var compacted: CompactionOutcome?
        var error: SQLiteError?
    }

    /// Records of this transaction not yet written as blocks, per stream, in id order.
    private var buffered: [Int64: [BlockRecord]] = [:]

    /// Runs every job in one transaction, commits, then resumes every waiting caller. Each stream's records of the
    /// transaction become one block. On failure the transaction is rolled back, nothing of it is acknowledged,
    /// `onFailure` runs (so the engine reports itself not writable before any caller hears of the failure) and
    /// every caller gets the error.
    func execute(_ jobs: [WriteJob], onFailure: (SQLiteError) -> Void = { _ in }) -> TransactionReport {
        let firstIdOfTransaction = nextId
        let registryBefore = streams
        var completions: [Completion] = []
        completions.reserveCapacity(jobs.count)
        var refused: [(CheckedContinuation<Result<AppendResult, LogPilotError>, Never>, LogPilotError)] = []
        var recordCount = 0
        var deletedCount = 0
        var blocksWritten = 0
        var compacted: CompactionOutcome?
        do {
            try begin.step()
            begin.reset()
            for job in jobs {
                switch job {
                case .append(let records, let continuation):
                    switch try appendRecords(records) {
                    case .success(let result):
                        recordCount += records.count
                        completions.append(.append(result, continuation))
                    case .failure(let error):
                        refused.append((continuation, error))
                    }
                case .consumer(let operation, let continuation):
                    blocksWritten += try flushBlocks()
                    completions.append(.consumer(try run(operation), continuation))
                case .retention(let step, let continuation):
                    blocksWritten += try flushBlocks()
                    let outcome = try run(step)
                    deletedCount += outcome.deleted
                    completions.append(.retention(outcome, continuation))
                case .compaction(let swap, let continuation):
                    blocksWritten += try flushBlocks()
                    let outcome = try run(swap)
                    compacted = outcome
                    completions.append(.compaction(outcome, continuation))
                }
            }
            blocksWritten += try flushBlocks()
            try streams.saveChanges(blocks)
            if nextId != firstIdOfTransaction {
                try saveLastId.bind(nextId - 1, at: 1)
                try saveLastId.step()
                saveLastId.reset()
            }
            try commit.step()
            commit.reset()
        } catch {
            resetAll()
            _ = try? rollback.step()
            rollback.reset()
            nextId = firstIdOfTransaction
            buffered.removeAll()
            streams = registryBefore
            reads.forgetStreams()
            onFailure(error)
            let failure = LogPilotError.storage(error)
            for job in jobs {
                switch job {
                case .append(_, let continuation): continuation.resume(returning: .failure(failure))
                case .consumer(_, let continuation): continuation.resume(returning: .failure(failure))
                case .retention(_, let continuation): continuation.resume(returning: .failure(failure))
                case .compaction(_, let continuation): continuation.resume(returning: .failure(failure))
                }
            }
            return TransactionReport(records: 0, deleted: 0, blocksWritten: 0, error: error)
        }
        streams.committed()
        for (continuation, error) in refused { continuation.resume(returning: .failure(error)) }
        for completion in completions {
            switch completion {
            case .append(let result, let continuation): continuation.resume(returning: .success(result))
            case .consumer(let outcome, let continuation): continuation.resume(returning: .success(outcome))
            case .retention(let outcome, let continuation): continuation.resume(returning: .success(outcome))
            case .compaction(let outcome, let continuation): continuation.resume(returning: .success(outcome))
            }
        }
        return TransactionReport(
            records: recordCount, deleted: deletedCount, blocksWritten: blocksWritten, compacted: compacted, error: nil
        )
    }

    /// A tiny write transaction used to find out whether the database is writable again after a failure. With a
    /// size cap (`max_page_count`) it also requires some room below the cap: the probe itself only appends to the WAL,
    /// so it would succeed while every insert still fails with SQLITE_FULL.
    func probe(maxPageCount: Int64?) throws(SQLiteError) {
        if let maxPageCount {
            let pages = try db.scalarInt64("PRAGMA page_count") ?? 0
            let free = try db.scalarInt64("PRAGMA freelist_count") ?? 0
            if free < 64 && pages + 64 > maxPageCount {
                throw SQLiteError(
                    resultCode: SQLiteError.full,
                    extendedResultCode: SQLiteError.full,
                    message: "database or disk is full (at the configured size cap)",
                    context: "probe"
                )
            }
        }
        do {
            try begin.step()
            begin.reset()
            try probeStatement.step()
            probeStatement.reset()
            try commit.step()
            commit.reset()
        } catch {
            resetAll()
            _ = try? rollback.step()
            rollback.reset()
            throw error
        }
    }

    private func resetAll() {
        for statement in [begin, commit, saveLastId, selectOffset, upsertOffset, probeStatement] {
            statement.reset()
        }
        blocks.resetAll()
    }

    // MARK: Appends

    /// Assigns the records their ids and buffers them per stream. A request that would create more streams than
    /// allowed is refused as a whole (nothing of it is stored; the rest of the transaction goes on).
    private func appendRecords(_ records: [LogRecord]) throws(SQLiteError) -> Result<AppendResult, LogPilotError> {
        guard !records.isEmpty else { return .success(AppendResult(count: 0, firstId: nil, lastId: nil)) }
        // A batch has few distinct channels: resolve each once (new streams are checked against the limit first).
        var streamOf: [String: Int64] = [:]
        var unknown: [String] = []
        for record in records where streamOf[record.channel] == nil {
            if let id = streams.id(ofChannel: record.channel) {
                streamOf[record.channel] = id
            } else if !unknown.contains(record.channel) {
                unknown.append(record.channel)
            }
        }
        if !unknown.isEmpty {
            if streams.count + unknown.count > limits.maxStreams {
                return .failure(LogPilotError(
                    code: .streamLimit,
                    message: "the server holds \(streams.count) streams, the most allowed (LOGPILOT_MAX_STREAMS="
                        + "\(limits.maxStreams)); records for \(unknown.count) new channel(s) such as "
                        + "'\(unknown[0].prefix(64))' are refused until retention removes streams",
                    field: "channel",
                    retryAfterSeconds: 60
                ))
            }
            for channel in unknown {
                streamOf[channel] = try streams.create(StreamLabels(channel: channel), blocks)
            }
        }
        let first = nextId
        var counts: [Int64: Int64] = [:]
        var lastChannel = ""
        var lastStream: Int64 = -1
        for record in records {
            if lastStream < 0 || record.channel != lastChannel {
                lastChannel = record.channel
                lastStream = streamOf[record.channel]!
            }
            buffered[lastStream, default: []].append(BlockRecord(
                id: nextId, timestamp: record.timestamp, level: record.level, message: record.message,
                metaJSON: record.metaJSON
            ))
            counts[lastStream, default: 0] += 1
            nextId += 1
        }
        for (stream, count) in counts {
            // The stream's newest id: its last record in this request.
            let last = buffered[stream]!.last!.id
            streams.noteAppended(stream: stream, records: count, lastId: last)
        }
        return .success(AppendResult(count: records.count, firstId: first, lastId: nextId - 1))
    }

    /// Writes the buffered records: one block per stream.
    private func flushBlocks() throws(SQLiteError) -> Int {
        guard !buffered.isEmpty else { return 0 }
        let now = WallClock.nowMicroseconds()
        var written = 0
        for (streamId, records) in buffered {
            let built = builder.build(records)
            try blocks.insert(built, stream: streamId, generation: 0, createdAt: now)
            written += 1
        }
        buffered.removeAll(keepingCapacity: true)
        return written
    }

    // MARK: Consumers

    private func offset(channel: String, consumerId: String) throws(SQLiteError) -> Int64 {
        defer { selectOffset.reset() }
        try selectOffset.bind(consumerId, at: 1)
        try selectOffset.bind(channel, at: 2)
        return try selectOffset.step() ? selectOffset.int64(0) : 0
    }

    private func setOffset(channel: String, consumerId: String, offset: Int64) throws(SQLiteError) {
        defer { upsertOffset.reset() }
        try upsertOffset.bind(consumerId, at: 1)
        try upsertOffset.bind(channel, at: 2)
        try upsertOffset.bind(offset, at: 3)
        try upsertOffset.bind(WallClock.nowMicroseconds(), at: 4)
        try upsertOffset.step()
    }

    private func run(_ operation: ConsumerOperation) throws(SQLiteError) -> ConsumerOutcome {
        switch operation {
        case .fetchAndCommit(let channel, let consumerId, let limit):
            let current = try offset(channel: channel, consumerId: consumerId)
            let records = try BlockReads.after(current, channel: channel, limit: limit, reads)
            var newOffset = current
            if let last = records.last {
                newOffset = last.id
                try setOffset(channel: channel, consumerId: consumerId, offset: newOffset)
            }
            return ConsumerOutcome(
                position: ConsumerPosition(channel: channel, consumerId: consumerId, offset: newOffset),
                records: records
            )
        case .commit(let channel, let consumerId, let offset):
            try setOffset(channel: channel, consumerId: consumerId, offset: offset)
            return ConsumerOutcome(
                position: ConsumerPosition(channel: channel, consumerId: consumerId, offset: offset),
                records: []
            )
        case .seek(let channel, let consumerId, let target):
            let offset: Int64
            switch target {
            case .earliest: offset = 0
            case .latest: offset = streams.lastId(ofChannel: channel)
            case .specific(let id): offset = max(id - 1, 0)
            }
            try setOffset(channel: channel, consumerId: consumerId, offset: offset)
            return ConsumerOutcome(
                position: ConsumerPosition(channel: channel, consumerId: consumerId, offset: offset),
                records: []
            )
        }
    }

    // MARK: Retention

    private func run(_ step: RetentionStep) throws(SQLiteError) -> RetentionOutcome {
        switch step {
        case .deleteOlderThan(let cutoff, let limit):
            let victims = try blocks.oldest(limitRecords: limit, olderThan: cutoff)
            return RetentionOutcome(deleted: try drop(victims), stillAboveLimit: false)
        case .deleteOldestAbove(let maxBytes, let limit):
            guard try usedBytes() > maxBytes else { return RetentionOutcome(deleted: 0, stillAboveLimit: false) }
            let victims = try blocks.oldest(limitRecords: limit, olderThan: nil)
            let deleted = try drop(victims)
            let stillAbove = deleted > 0 ? try usedBytes() > maxBytes : false
            return RetentionOutcome(deleted: deleted, stillAboveLimit: stillAbove)
        case .releaseFreePages:
            try db.execute("PRAGMA incremental_vacuum")
            return RetentionOutcome(deleted: 0, stillAboveLimit: false)
        }
    }

    private func drop(_ victims: [BlockRef]) throws(SQLiteError) -> Int {
        var deleted = 0
        for block in victims {
            try blocks.delete(minId: block.minId)
            streams.noteDropped(stream: block.streamId, records: block.count)
            deleted += block.count
        }
        return deleted
    }

    /// Bytes of pages in use (excludes the free list), the measure size retention bounds.
    func usedBytes() throws(SQLiteError) -> Int64 {
        let pages = try db.scalarInt64("PRAGMA page_count") ?? 0
        let free = try db.scalarInt64("PRAGMA freelist_count") ?? 0
        let size = try db.scalarInt64("PRAGMA page_size") ?? 4096
        return (pages - free) * size
    }

    // MARK: Compaction

    /// Replaces consecutive blocks of one stream by the merged block the compactor built, if they are all still
    /// there unchanged (retention may have dropped one meanwhile: then nothing happens).
    private func run(_ swap: CompactionSwap) throws(SQLiteError) -> CompactionOutcome {
        guard try blocks.exist(swap.replaced, stream: swap.streamId) else {
            return CompactionOutcome(merged: 0, records: 0, bytesBefore: 0, bytesAfter: 0)
        }
        for block in swap.replaced { try blocks.delete(minId: block.minId) }
        try blocks.insert(swap.block, stream: swap.streamId, generation: swap.generation, createdAt: WallClock.nowMicroseconds())
        return CompactionOutcome(
            merged: swap.replaced.count, records: swap.block.summary.count, bytesBefore: swap.bytesBefore,
            bytesAfter: swap.block.data.count + swap.block.filter.count + (swap.block.fields?.count ?? 0)
        )
    }
}

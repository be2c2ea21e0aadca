/// A unit of work for the writer thread. Every job carries the continuation of the task waiting for it; the
/// writer resumes it only after the transaction that contains the job has committed (or failed).
enum WriteJob {
    case append([LogRecord], CheckedContinuation<Result<AppendResult, LogPilotError>, Never>)
    case consumer(ConsumerOperation, CheckedContinuation<Result<ConsumerOutcome, LogPilotError>, Never>)
    case retention(RetentionStep, CheckedContinuation<Result<RetentionOutcome, LogPilotError>, Never>)

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

/// One bounded step of retention.
enum RetentionStep: Sendable {
    /// Deletes up to `limit` records with `ts < cutoff`.
    case deleteOlderThan(cutoff: Int64, limit: Int)
    /// Deletes up to `limit` of the oldest records if the database uses more than `maxBytes`.
    case deleteOldestAbove(maxBytes: Int64, limit: Int)
    /// Returns free pages to the filesystem (incremental vacuum).
    case releaseFreePages
}

struct RetentionOutcome: Sendable {
    var deleted: Int
    /// For size retention: whether the database is still above the bound.
    var stillAboveLimit: Bool
}

/// The single writer connection and its cached statements. Confined to the writer thread.
final class StorageWriter {
    let db: SQLiteConnection
    private let insert: SQLiteStatement
    private let begin: SQLiteStatement
    private let commit: SQLiteStatement
    private let rollback: SQLiteStatement
    private let upsertChannel: SQLiteStatement
    private let saveLastId: SQLiteStatement
    private let selectOffset: SQLiteStatement
    private let upsertOffset: SQLiteStatement
    private let selectAfter: SQLiteStatement
    private let selectChannelMaxId: SQLiteStatement
    private let probeStatement: SQLiteStatement

    /// The id the next inserted record gets.
    private(set) var nextId: Int64

    init(db: SQLiteConnection) throws(SQLiteError) {
        self.db = db
        insert = try db.prepare(
            "INSERT INTO logs(id, ts, channel, level, message, meta) VALUES (?, ?, ?, ?, ?, ?)",
            persistent: true
        )
        begin = try db.prepare("BEGIN IMMEDIATE", persistent: true)
        commit = try db.prepare("COMMIT", persistent: true)
        rollback = try db.prepare("ROLLBACK", persistent: true)
        upsertChannel = try db.prepare(
            """
            INSERT INTO channels(name, record_count, last_id) VALUES (?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET record_count = record_count + excluded.record_count,
                                            last_id = excluded.last_id
            """,
            persistent: true
        )
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
        selectAfter = try db.prepare(
            "SELECT \(LogRow.columns) FROM logs WHERE channel = ? AND id > ? ORDER BY id LIMIT ?",
            persistent: true
        )
        selectChannelMaxId = try db.prepare("SELECT max(id) FROM logs WHERE channel = ?", persistent: true)
        probeStatement = try db.prepare(
            "UPDATE engine_state SET value = value WHERE key = 'last_id'",
            persistent: true
        )
        let maxStored = try db.scalarInt64("SELECT max(id) FROM logs") ?? 0
        let savedLast = try db.scalarInt64("SELECT value FROM engine_state WHERE key = 'last_id'") ?? 0
        nextId = max(maxStored, savedLast) + 1
    }

    /// Pending results of one transaction, delivered only after COMMIT.
    private enum Completion {
        case append(AppendResult, CheckedContinuation<Result<AppendResult, LogPilotError>, Never>)
        case consumer(ConsumerOutcome, CheckedContinuation<Result<ConsumerOutcome, LogPilotError>, Never>)
        case retention(RetentionOutcome, CheckedContinuation<Result<RetentionOutcome, LogPilotError>, Never>)
    }

    struct TransactionReport {
        var records: Int
        var deleted: Int
        var error: SQLiteError?
    }

    /// Runs every job in one transaction, commits, then resumes every waiting caller. On failure the transaction is
    /// rolled back, nothing of it is acknowledged and every caller gets the error.
    func execute(_ jobs: [WriteJob]) -> TransactionReport {
        let firstIdOfTransaction = nextId
        var completions: [Completion] = []
        completions.reserveCapacity(jobs.count)
        var channelCounts: [String: (count: Int64, lastId: Int64)] = [:]
        var recordCount = 0
        var deletedCount = 0
        do {
            try begin.step()
            begin.reset()
            for job in jobs {
                switch job {
                case .append(let records, let continuation):
                    let result = try appendRecords(records, channelCounts: &channelCounts)
                    recordCount += records.count
                    completions.append(.append(result, continuation))
                case .consumer(let operation, let continuation):
                    completions.append(.consumer(try run(operation), continuation))
                case .retention(let step, let continuation):
                    let outcome = try run(step)
                    deletedCount += outcome.deleted
                    completions.append(.retention(outcome, continuation))
                }
            }
            for (channel, summary) in channelCounts {
                try upsertChannel.bind(channel, at: 1)
                try upsertChannel.bind(summary.count, at: 2)
                try upsertChannel.bind(summary.lastId, at: 3)
                try upsertChannel.step()
                upsertChannel.reset()
            }
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
            let failure = LogPilotError.storage(error)
            for job in jobs {
                switch job {
                case .append(_, let continuation): continuation.resume(returning: .failure(failure))
                case .consumer(_, let continuation): continuation.resume(returning: .failure(failure))
                case .retention(_, let continuation): continuation.resume(returning: .failure(failure))
                }
            }
            return TransactionReport(records: 0, deleted: 0, error: error)
        }
        for completion in completions {
            switch completion {
            case .append(let result, let continuation): continuation.resume(returning: .success(result))
            case .consumer(let outcome, let continuation): continuation.resume(returning: .success(outcome))
            case .retention(let outcome, let continuation): continuation.resume(returning: .success(outcome))
            }
        }
        return TransactionReport(records: recordCount, deleted: deletedCount, error: nil)
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
        for statement in [begin, commit, insert, upsertChannel, saveLastId, selectOffset, upsertOffset, selectAfter,
                          selectChannelMaxId, probeStatement] {
            statement.reset()
        }
    }

    private func appendRecords(
        _ records: [LogRecord],
        channelCounts: inout [String: (count: Int64, lastId: Int64)]
    ) throws(SQLiteError) -> AppendResult {
        guard !records.isEmpty else { return AppendResult(count: 0, firstId: nil, lastId: nil) }
        let first = nextId
        for record in records {
            let id = nextId
            try insertRow(id: id, record: record)
            nextId += 1
            channelCounts[record.channel, default: (0, 0)].count += 1
            channelCounts[record.channel]!.lastId = id
        }
        return AppendResult(count: records.count, firstId: first, lastId: nextId - 1)
    }

    /// The hot path: binds text without copying (the bytes outlive `step()`), reuses one prepared statement.
    private func insertRow(id: Int64, record: LogRecord) throws(SQLiteError) {
        try insert.bind(id, at: 1)
        try insert.bind(record.timestamp, at: 2)
        try insert.bind(Int64(record.level.rawValue), at: 4)
        var channel = record.channel
        var message = record.message
        var meta = record.metaJSON
        let result: SQLiteError? = channel.withUTF8 { channelBytes -> SQLiteError? in
            message.withUTF8 { messageBytes -> SQLiteError? in
                do throws(SQLiteError) {
                    try insert.bindNoCopy(channelBytes, at: 3)
                    try insert.bindNoCopy(messageBytes, at: 5)
                    if meta == nil {
                        try insert.bindNull(at: 6)
                        try insert.step()
                        insert.reset()
                        return nil
                    }
                } catch {
                    return error
                }
                return meta!.withUTF8 { metaBytes -> SQLiteError? in
                    do throws(SQLiteError) {
                        try insert.bindNoCopy(metaBytes, at: 6)
                        try insert.step()
                        insert.reset()
                        return nil
                    } catch {
                        return error
                    }
                }
            }
        }
        if let result { throw result }
    }

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
            var records: [StoredLogRecord] = []
            do {
                defer { selectAfter.reset() }
                try selectAfter.bind(channel, at: 1)
                try selectAfter.bind(current, at: 2)
                try selectAfter.bind(Int64(limit), at: 3)
                while try selectAfter.step() {
                    records.append(LogRow.read(selectAfter))
                }
            }
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
            case .earliest:
                offset = 0
            case .latest:
                defer { selectChannelMaxId.reset() }
                try selectChannelMaxId.bind(channel, at: 1)
                offset = try selectChannelMaxId.step() && !selectChannelMaxId.isNull(0) ? selectChannelMaxId.int64(0) : 0
            case .specific(let id):
                offset = max(id - 1, 0)
            }
            try setOffset(channel: channel, consumerId: consumerId, offset: offset)
            return ConsumerOutcome(
                position: ConsumerPosition(channel: channel, consumerId: consumerId, offset: offset),
                records: []
            )
        }
    }

    private func run(_ step: RetentionStep) throws(SQLiteError) -> RetentionOutcome {
        switch step {
        case .deleteOlderThan(let cutoff, let limit):
            let deleted = try deleteReturningChannels(
                "DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE ts < ? LIMIT ?) RETURNING channel",
                bindings: [cutoff, Int64(limit)]
            )
            return RetentionOutcome(deleted: deleted, stillAboveLimit: false)
        case .deleteOldestAbove(let maxBytes, let limit):
            guard try usedBytes() > maxBytes else { return RetentionOutcome(deleted: 0, stillAboveLimit: false) }
            let deleted = try deleteReturningChannels(
                "DELETE FROM logs WHERE id IN (SELECT id FROM logs ORDER BY id LIMIT ?) RETURNING channel",
                bindings: [Int64(limit)]
            )
            let stillAbove = deleted > 0 ? try usedBytes() > maxBytes : false
            return RetentionOutcome(deleted: deleted, stillAboveLimit: stillAbove)
        case .releaseFreePages:
            try db.execute("PRAGMA incremental_vacuum")
            return RetentionOutcome(deleted: 0, stillAboveLimit: false)
        }
    }

    /// Bytes of pages in use (excludes the free list), the measure size retention bounds.
    func usedBytes() throws(SQLiteError) -> Int64 {
        let pages = try db.scalarInt64("PRAGMA page_count") ?? 0
        let free = try db.scalarInt64("PRAGMA freelist_count") ?? 0
        let size = try db.scalarInt64("PRAGMA page_size") ?? 4096
        return (pages - free) * size
    }

    private func deleteReturningChannels(_ sql: String, bindings: [Int64]) throws(SQLiteError) -> Int {
        let statement = try db.prepare(sql)
        for (index, value) in bindings.enumerated() {
            try statement.bind(value, at: Int32(index + 1))
        }
        var perChannel: [String: Int64] = [:]
        var deleted = 0
        while try statement.step() {
            perChannel[statement.string(0), default: 0] += 1
            deleted += 1
        }
        let update = try db.prepare("UPDATE channels SET record_count = record_count - ? WHERE name = ?")
        for (channel, count) in perChannel {
            try update.bind(count, at: 1)
            try update.bind(channel, at: 2)
            try update.step()
            update.reset()
        }
        if !perChannel.isEmpty {
            try db.execute("DELETE FROM channels WHERE record_count <= 0")
        }
        return deleted
    }
}

/// The column list and row decoding shared by every query that returns log records.
enum LogRow {
    static let columns = "id, ts, channel, level, message, meta"

    static func read(_ statement: SQLiteStatement) -> StoredLogRecord {
        StoredLogRecord(
            id: statement.int64(0),
            record: LogRecord(
                timestamp: statement.int64(1),
                channel: statement.string(2),
                level: LogLevel(rawValue: UInt8(clamping: statement.int64(3))) ?? .info,
                message: statement.string(4),
                metaJSON: statement.optionalString(5)
            )
        )
    }
}

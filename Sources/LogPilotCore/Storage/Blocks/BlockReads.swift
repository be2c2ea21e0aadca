/// One block's metadata, as the read paths see it before they decide to open the block.
struct BlockRef: Sendable, Equatable {
    var minId: Int64
    var streamId: Int64
    var maxId: Int64
    var minTimestamp: Int64
    var maxTimestamp: Int64
    var count: Int
    var levelMask: Int
    /// The message trigram filter, when the read asked for it.
    var filter: [UInt8]?
}

/// What a read needs besides its connection: a zstd context for the blocks it opens and the channel of each stream.
/// One per connection, confined to the thread that holds the connection.
final class BlockReadContext {
    let db: SQLiteConnection
    let decompressor = ZstdDecompressor()
    /// Stream id → channel label. Stream ids are never reused (AUTOINCREMENT), so entries never go stale.
    private var channels: [Int64: String?] = [:]

    init(db: SQLiteConnection) {
        self.db = db
    }

    func channel(ofStream id: Int64) throws(SQLiteError) -> String {
        if let known = channels[id] { return known ?? "" }
        let statement = try db.prepare("SELECT channel FROM streams WHERE id = ?")
        try statement.bind(id, at: 1)
        let channel: String? = try statement.step() ? statement.optionalString(0) : nil
        channels[id] = channel
        return channel ?? ""
    }

    /// Forgets what it knows (the writer calls this after a rolled-back transaction that created streams).
    func forgetStreams() { channels.removeAll() }
}

/// The read paths of the block store, as functions over one connection. Every multi-statement read runs in one read
/// transaction (callers on reader connections wrap it), so it sees one consistent snapshot.
enum BlockReads {
    /// The streams of a channel (today one; a channel shared by streams with more labels gives several).
    static func streams(ofChannel channel: String, _ db: SQLiteConnection) throws(SQLiteError) -> [Int64] {
        let statement = try db.prepare("SELECT id FROM streams WHERE channel = ?")
        try statement.bind(channel, at: 1)
        var ids: [Int64] = []
        while try statement.step() { ids.append(statement.int64(0)) }
        return ids
    }

    /// Block metadata matching the coarse filters, unordered.
    static func blocks(
        _ db: SQLiteConnection,
        streams: [Int64]?,
        below: Int64? = nil,
        above: Int64? = nil,
        from: Int64? = nil,
        to: Int64? = nil,
        levelMask: Int? = nil,
        withFilter: Bool = false
    ) throws(SQLiteError) -> [BlockRef] {
        var conditions: [String] = []
        var values: [Int64] = []
        if let streams {
            if streams.isEmpty { return [] }
            conditions.append("stream_id IN (\(streams.map(String.init).joined(separator: ",")))")
        }
        if let below {
            conditions.append("min_id < ?")
            values.append(below)
        }
        if let above {
            conditions.append("max_id > ?")
            values.append(above)
        }
        if let from {
            conditions.append("max_ts >= ?")
            values.append(from)
        }
        if let to {
            conditions.append("min_ts < ?")
            values.append(to)
        }
        if let levelMask {
            conditions.append("(level_mask & \(levelMask)) != 0")
        }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let statement = try db.prepare(
            "SELECT min_id, stream_id, max_id, min_ts, max_ts, count, level_mask\(withFilter ? ", filter" : "") FROM blocks"
                + whereClause
        )
        for (index, value) in values.enumerated() { try statement.bind(value, at: Int32(index + 1)) }
        var refs: [BlockRef] = []
        while try statement.step() {
            refs.append(BlockRef(
                minId: statement.int64(0),
                streamId: statement.int64(1),
                maxId: statement.int64(2),
                minTimestamp: statement.int64(3),
                maxTimestamp: statement.int64(4),
                count: Int(statement.int64(5)),
                levelMask: Int(statement.int64(6)),
                filter: withFilter ? statement.blob(7) : nil
            ))
        }
        return refs
    }

    /// Opens (decompresses and checks) one block, all columns.
    static func open(_ block: BlockRef, _ context: BlockReadContext) throws(SQLiteError) -> DecodedBlock {
        let data = try data(of: block, context)
        return try decode(data, block, columns: .all, context)
    }

    /// A block's stored bytes.
    static func data(of block: BlockRef, _ context: BlockReadContext) throws(SQLiteError) -> [UInt8] {
        let statement = try context.db.prepare("SELECT data FROM block_data WHERE min_id = ?")
        try statement.bind(block.minId, at: 1)
        guard try statement.step() else {
            throw SQLiteError.corruptBlock(block, "its data row is missing")
        }
        return statement.blob(0)
    }

    /// Decodes some columns of a block's bytes and checks them against its metadata. A block that does not decode
    /// or does not match is reported as SQLITE_CORRUPT with the block and the reason, like any other corruption.
    static func decode(
        _ data: [UInt8],
        _ block: BlockRef,
        columns: BlockColumns,
        _ context: BlockReadContext
    ) throws(SQLiteError) -> DecodedBlock {
        let decoded: DecodedBlock
        do {
            decoded = try BlockCodec.decode(data, decompressor: context.decompressor, columns: columns.union(.ids))
        } catch {
            throw SQLiteError.corruptBlock(block, error.description)
        }
        guard decoded.count == block.count, decoded.count > 0,
            decoded.id(at: 0) == block.minId, decoded.id(at: decoded.count - 1) == block.maxId
        else {
            throw SQLiteError.corruptBlock(block, "its records do not match its metadata")
        }
        return decoded
    }

    /// Adds columns to a block decoded before.
    static func load(
        _ columns: BlockColumns,
        into decoded: inout DecodedBlock,
        from data: [UInt8],
        _ block: BlockRef,
        _ context: BlockReadContext
    ) throws(SQLiteError) {
        guard !decoded.columns.isSuperset(of: columns) else { return }
        let result: Result<Void, BlockFormatError> = data.withUnsafeBytes { bytes in
            Result { () throws(BlockFormatError) in
                try decoded.load(columns, from: bytes, decompressor: context.decompressor)
            }
        }
        if case .failure(let error) = result { throw SQLiteError.corruptBlock(block, error.description) }
    }

    static func record(_ decoded: DecodedBlock, at index: Int, channel: String) -> StoredLogRecord {
        StoredLogRecord(
            id: decoded.id(at: index),
            record: LogRecord(
                timestamp: decoded.timestamp(at: index),
                channel: channel,
                level: decoded.level(at: index),
                message: decoded.message(at: index),
                metaJSON: decoded.metaJSON(at: index)
            )
        )
    }

    // MARK: Consumer reads

    /// Records of a channel with `id > offset`, ascending, at most `limit` (consumer fetch and peek).
    static func after(
        _ offset: Int64,
        channel: String,
        limit: Int,
        _ context: BlockReadContext
    ) throws(SQLiteError) -> [StoredLogRecord] {
        let streams = try streams(ofChannel: channel, context.db)
        // Ascending by first id; with several streams, a record is final once no unopened block starts below it.
        let blocks = try blocks(context.db, streams: streams, above: offset).sorted { $0.minId < $1.minId }
        var pending: [StoredLogRecord] = []
        var result: [StoredLogRecord] = []
        for (index, block) in blocks.enumerated() {
            let decoded = try open(block, context)
            let name = try context.channel(ofStream: block.streamId)
            for i in 0..<decoded.count where decoded.id(at: i) > offset {
                pending.append(record(decoded, at: i, channel: name))
            }
            pending.sort { $0.id < $1.id }
            let bound = index + 1 < blocks.count ? blocks[index + 1].minId : Int64.max
            var taken = 0
            while taken < pending.count, pending[taken].id < bound, result.count < limit {
                result.append(pending[taken])
                taken += 1
            }
            pending.removeFirst(taken)
            if result.count >= limit { break }
            // Keep only what could still be among the first `limit`.
            if pending.count > limit - result.count { pending.removeLast(pending.count - (limit - result.count)) }
        }
        return result
    }

    /// The newest `limit` records of a channel, newest first.
    static func latest(channel: String, limit: Int, _ context: BlockReadContext) throws(SQLiteError) -> [StoredLogRecord] {
        let streams = try streams(ofChannel: channel, context.db)
        var query = LogSearchQuery(limit: limit)
        query.channel = channel
        let unbounded = ReadBudget(maxScannedRecords: .max, timeoutMilliseconds: .max)
        return try search(query, streams: streams, budget: unbounded, deadline: .now + .seconds(86_400), context).records
    }

    // MARK: Search

    /// Filtered search, newest first, with an id cursor, bounded by `budget`.
    ///
    /// Candidate blocks come from their metadata (stream, id range below the cursor, time range, level mask) and
    /// the message trigram filter; they are opened newest first (by the highest id they can contribute). A match is
    /// final once no unopened candidate can hold a newer record, so pages come out in exact id order across
    /// streams. At the bound the read returns its final matches and the cursor `bound + 1`, where `bound` is the
    /// highest id an unopened candidate can hold: resuming there neither skips nor repeats. The bound is checked
    /// only when stopping would move the cursor, so every read makes progress.
    static func search(
        _ query: LogSearchQuery,
        budget: ReadBudget,
        deadline: ContinuousClock.Instant,
        _ context: BlockReadContext
    ) throws(SQLiteError) -> LogSearchPage {
        let streams: [Int64]? = try query.channel.map { channel throws(SQLiteError) in
            try Self.streams(ofChannel: channel, context.db)
        }
        return try search(query, streams: streams, budget: budget, deadline: deadline, context)
    }

    private static func search(
        _ query: LogSearchQuery,
        streams: [Int64]?,
        budget: ReadBudget,
        deadline: ContinuousClock.Instant,
        _ context: BlockReadContext
    ) throws(SQLiteError) -> LogSearchPage {
        let before = query.beforeId ?? Int64.max
        let levels: Int? =
            query.levels.isEmpty || query.levels.count == LogLevel.allCases.count
            ? nil : query.levels.reduce(0) { $0 | (1 << Int($1.rawValue)) }
        let needle: [UInt8]? = query.text.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        var candidates = try blocks(
            context.db, streams: streams, below: before, from: query.from, to: query.to, levelMask: levels,
            withFilter: needle != nil
        )
        if let needle {
            candidates.removeAll { block in
                guard let bytes = block.filter, let filter = try? TokenFilter(serialized: bytes) else { return false }
                return !filter.mayContainSubstring(needle)
            }
        }
        // The highest id a block can still contribute.
        func top(_ block: BlockRef) -> Int64 { min(block.maxId, before - 1) }
        candidates.sort { top($0) > top($1) }

        let wanted = query.limit + 1  // one extra record tells whether another page exists
        var final: [StoredLogRecord] = []
        var pending: [StoredLogRecord] = []
        var scanned = 0
        var truncated: ReadTruncation?
        var cursor: Int64?
        for (index, block) in candidates.enumerated() {
            // The filter columns first; messages and meta of the matches only once there are matches.
            let data = try data(of: block, context)
            var decoded = try decode(data, block, columns: needle == nil ? [.timestamps, .levels] : [.timestamps, .levels, .messages], context)
            scanned += decoded.count
            let needed = wanted - final.count
            var matches: [Int] = []
            for i in stride(from: decoded.count - 1, through: 0, by: -1) {
                let id = decoded.id(at: i)
                if id >= before { continue }
                if let levels, levels & (1 << Int(decoded.level(at: i).rawValue)) == 0 { continue }
                let ts = decoded.timestamp(at: i)
                if let from = query.from, ts < from { continue }
                if let to = query.to, ts >= to { continue }
                if let needle, !decoded.messageContains(needle, at: i) { continue }
                matches.append(i)
                // Ids descend within the block: its later matches cannot be among the `needed` newest any more.
                if matches.count >= needed { break }
            }
            if !matches.isEmpty {
                try load(.all, into: &decoded, from: data, block, context)
                let name = try context.channel(ofStream: block.streamId)
                for i in matches { pending.append(record(decoded, at: i, channel: name)) }
            }
            pending.sort { $0.id > $1.id }
            let bound = index + 1 < candidates.count ? top(candidates[index + 1]) : Int64.min
            var taken = 0
            while taken < pending.count, pending[taken].id > bound, final.count < wanted {
                final.append(pending[taken])
                taken += 1
            }
            pending.removeFirst(taken)
            if final.count >= wanted { break }
            if pending.count > wanted - final.count { pending.removeLast(pending.count - (wanted - final.count)) }
            guard index + 1 < candidates.count, bound + 1 < before else { continue }
            if scanned >= budget.maxScannedRecords {
                truncated = .scanLimit
            } else if ContinuousClock.now >= deadline {
                truncated = .timeout
            }
            if truncated != nil {
                cursor = bound + 1
                break
            }
        }
        if final.count > query.limit {
            final.removeLast(final.count - query.limit)
            return LogSearchPage(records: final, nextCursor: final.last?.id, scannedRecords: scanned)
        }
        if let truncated, let cursor {
            return LogSearchPage(records: final, nextCursor: cursor, truncated: truncated, scannedRecords: scanned)
        }
        return LogSearchPage(records: final, nextCursor: nil, scannedRecords: scanned)
    }

    // MARK: Channels

    /// Every channel with its record count and newest id, by name.
    static func channels(_ db: SQLiteConnection) throws(SQLiteError) -> [ChannelSummary] {
        let statement = try db.prepare(
            """
            SELECT channel, sum(record_count), max(last_id) FROM streams
            WHERE channel IS NOT NULL AND record_count > 0 GROUP BY channel ORDER BY channel
            """
        )
        var result: [ChannelSummary] = []
        while try statement.step() {
            result.append(ChannelSummary(channel: statement.string(0), count: statement.int64(1), lastId: statement.int64(2)))
        }
        return result
    }

    /// Counts stored records (tests and diagnostics).
    static func count(_ db: SQLiteConnection) throws(SQLiteError) -> Int64 {
        try db.scalarInt64("SELECT coalesce(sum(count), 0) FROM blocks") ?? 0
    }
}

extension SQLiteError {
    /// A block that does not decode or does not match its metadata: corruption, reported like SQLite's own.
    static func corruptBlock(_ block: BlockRef, _ reason: String) -> SQLiteError {
        SQLiteError(
            resultCode: SQLiteError.corrupt,
            extendedResultCode: SQLiteError.corrupt,
            message: "block \(block.minId)...\(block.maxId) of stream \(block.streamId) is corrupt: \(reason)",
            context: "read block"
        )
    }
}

extension BlockReads {
    /// Runs `body` in one read transaction: every statement of it sees one snapshot.
    static func inReadTransaction<T>(
        _ context: BlockReadContext,
        _ body: () throws(SQLiteError) -> T
    ) throws(SQLiteError) -> T {
        try context.db.execute("BEGIN")
        defer { try? context.db.execute("COMMIT") }
        return try body()
    }

    /// A consumer read without committing: records after the stored offset, ascending.
    static func peek(channel: String, consumerId: String, limit: Int, _ context: BlockReadContext) throws(SQLiteError) -> [StoredLogRecord] {
        try inReadTransaction(context) { () throws(SQLiteError) in
            let statement = try context.db.prepare(
                "SELECT last_log_id FROM consumer_offsets WHERE consumer_id = ? AND channel = ?"
            )
            try statement.bind(consumerId, at: 1)
            try statement.bind(channel, at: 2)
            let offset = try statement.step() ? statement.int64(0) : 0
            return try after(offset, channel: channel, limit: limit, context)
        }
    }
}

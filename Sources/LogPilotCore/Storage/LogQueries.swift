/// The read paths, as functions over one reader connection. Every multi-statement read runs in one read
/// transaction so it sees one consistent snapshot of the WAL.
enum LogQueries {
    /// The newest `limit` records of a channel, newest first (Java's "no consumerId" read).
    static func latest(_ db: SQLiteConnection, channel: String, limit: Int) throws(SQLiteError) -> [StoredLogRecord] {
        let statement = try db.prepare(
            "SELECT \(LogRow.columns) FROM logs WHERE channel = ? ORDER BY id DESC LIMIT ?"
        )
        try statement.bind(channel, at: 1)
        try statement.bind(Int64(limit), at: 2)
        return try collect(statement)
    }

    /// A consumer read without committing: records after the stored offset, ascending.
    static func peek(
        _ db: SQLiteConnection,
        channel: String,
        consumerId: String,
        limit: Int
    ) throws(SQLiteError) -> (offset: Int64, records: [StoredLogRecord]) {
        try db.execute("BEGIN")
        defer { try? db.execute("COMMIT") }
        let offsetStatement = try db.prepare(
            "SELECT last_log_id FROM consumer_offsets WHERE consumer_id = ? AND channel = ?"
        )
        try offsetStatement.bind(consumerId, at: 1)
        try offsetStatement.bind(channel, at: 2)
        let offset = try offsetStatement.step() ? offsetStatement.int64(0) : 0
        let statement = try db.prepare(
            "SELECT \(LogRow.columns) FROM logs WHERE channel = ? AND id > ? ORDER BY id LIMIT ?"
        )
        try statement.bind(channel, at: 1)
        try statement.bind(offset, at: 2)
        try statement.bind(Int64(limit), at: 3)
        return (offset, try collect(statement))
    }

    /// Filtered search, newest first, with an id cursor, bounded by `budget`.
    ///
    /// The search walks down the id space in chunks of about `budget.chunkRecords` stored records (of the channel,
    /// when one is given: its `(channel, id)` index finds the chunk's lower bound), each one bounded SQL query. It
    /// stops when the page is full, at the oldest record, or at the budget; then `nextCursor` is the lower bound of
    /// the last chunk it finished, so a resumed search neither skips nor repeats a record. The `ts` filter is kept
    /// off its index (`+ts`) so that every chunk stays a range scan of ids, whatever the planner would guess.
    static func search(
        _ db: SQLiteConnection,
        _ query: LogSearchQuery,
        budget: ReadBudget,
        deadline: ContinuousClock.Instant
    ) throws(SQLiteError) -> LogSearchPage {
        try db.execute("BEGIN")
        defer { try? db.execute("COMMIT") }
        var conditions: [String] = ["id >= ?", "id < ?"]
        var bindings: [SQLiteBinding] = []
        if let channel = query.channel {
            conditions.append("channel = ?")
            bindings.append(.text(channel))
        }
        if !query.levels.isEmpty, query.levels.count < LogLevel.allCases.count {
            let values = query.levels.map { String($0.rawValue) }.sorted().joined(separator: ", ")
            conditions.append("level IN (\(values))")
        }
        if let from = query.from {
            conditions.append("+ts >= ?")
            bindings.append(.integer(from))
        }
        if let to = query.to {
            conditions.append("+ts < ?")
            bindings.append(.integer(to))
        }
        if let text = query.text, !text.isEmpty {
            conditions.append("instr(message, ?) > 0")
            bindings.append(.text(text))
        }
        let select = try db.prepare(
            "SELECT \(LogRow.columns) FROM logs WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?"
        )
        // The id range holding records: [lowest, upper).
        let lowest: Int64
        var upper: Int64
        let chunkBound: SQLiteStatement?
        if let channel = query.channel {
            lowest = try scalar(db, "SELECT min(id) FROM logs WHERE channel = ?", channel) ?? 0
            upper = (try scalar(db, "SELECT max(id) FROM logs WHERE channel = ?", channel) ?? -1) + 1
            chunkBound = try db.prepare("SELECT id FROM logs WHERE channel = ? AND id < ? ORDER BY id DESC LIMIT 1 OFFSET ?")
        } else {
            lowest = try db.scalarInt64("SELECT min(id) FROM logs") ?? 0
            upper = (try db.scalarInt64("SELECT max(id) FROM logs") ?? -1) + 1
            chunkBound = nil
        }
        if let beforeId = query.beforeId { upper = min(upper, beforeId) }

        var records: [StoredLogRecord] = []
        var scanned = 0
        var truncated: ReadTruncation?
        // The first chunk always runs, so that every resumed search makes progress, however small its budget.
        while upper > lowest, records.count <= query.limit {
            if scanned > 0 {
                if scanned >= budget.maxScannedRecords {
                    truncated = .scanLimit
                    break
                }
                if ContinuousClock.now >= deadline {
                    truncated = .timeout
                    break
                }
            }
            let span = max(min(budget.chunkRecords, budget.maxScannedRecords - scanned), 1)
            let lower: Int64
            if let chunkBound, let channel = query.channel {
                try chunkBound.bind(channel, at: 1)  // reset() clears every binding
                try chunkBound.bind(upper, at: 2)
                try chunkBound.bind(Int64(span - 1), at: 3)
                lower = try chunkBound.step() ? chunkBound.int64(0) : lowest
                chunkBound.reset()
                scanned += span
            } else {
                lower = max(upper - Int64(span), lowest)
                scanned += Int(upper - lower)
            }
            try select.bind(lower, at: 1)
            try select.bind(upper, at: 2)
            for (index, binding) in bindings.enumerated() {
                switch binding {
                case .text(let text): try select.bind(text, at: Int32(index + 3))
                case .integer(let value): try select.bind(value, at: Int32(index + 3))
                }
            }
            // One extra row tells whether another page exists.
            try select.bind(Int64(query.limit + 1 - records.count), at: Int32(bindings.count + 3))
            while try select.step() {
                records.append(LogRow.read(select))
            }
            select.reset()
            upper = lower
        }
        if records.count > query.limit {
            records.removeLast(records.count - query.limit)
            return LogSearchPage(records: records, nextCursor: records.last?.id, scannedRecords: scanned)
        }
        if let truncated {
            return LogSearchPage(records: records, nextCursor: upper, truncated: truncated, scannedRecords: scanned)
        }
        return LogSearchPage(records: records, nextCursor: nil, scannedRecords: scanned)
    }

    private static func scalar(_ db: SQLiteConnection, _ sql: String, _ text: String) throws(SQLiteError) -> Int64? {
        let statement = try db.prepare(sql)
        try statement.bind(text, at: 1)
        guard try statement.step(), !statement.isNull(0) else { return nil }
        return statement.int64(0)
    }

    /// Every channel with its record count and newest id, by name.
    static func channels(_ db: SQLiteConnection) throws(SQLiteError) -> [ChannelSummary] {
        let statement = try db.prepare("SELECT name, record_count, last_id FROM channels ORDER BY name")
        var result: [ChannelSummary] = []
        while try statement.step() {
            result.append(ChannelSummary(channel: statement.string(0), count: statement.int64(1), lastId: statement.int64(2)))
        }
        return result
    }

    /// Counts rows (tests and diagnostics).
    static func count(_ db: SQLiteConnection) throws(SQLiteError) -> Int64 {
        try db.scalarInt64("SELECT count(*) FROM logs") ?? 0
    }

    private enum SQLiteBinding {
        case text(String)
        case integer(Int64)
    }

    private static func collect(_ statement: SQLiteStatement) throws(SQLiteError) -> [StoredLogRecord] {
        var records: [StoredLogRecord] = []
        while try statement.step() {
            records.append(LogRow.read(statement))
        }
        return records
    }
}

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

    /// Filtered search, newest first, with an id cursor.
    static func search(_ db: SQLiteConnection, _ query: LogSearchQuery) throws(SQLiteError) -> LogSearchPage {
        var conditions: [String] = []
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
            conditions.append("ts >= ?")
            bindings.append(.integer(from))
        }
        if let to = query.to {
            conditions.append("ts < ?")
            bindings.append(.integer(to))
        }
        if let text = query.text, !text.isEmpty {
            conditions.append("instr(message, ?) > 0")
            bindings.append(.text(text))
        }
        if let beforeId = query.beforeId {
            conditions.append("id < ?")
            bindings.append(.integer(beforeId))
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        // One extra row tells whether another page exists.
        let sql = "SELECT \(LogRow.columns) FROM logs \(whereClause) ORDER BY id DESC LIMIT ?"
        let statement = try db.prepare(sql)
        bindings.append(.integer(Int64(query.limit) + 1))
        for (index, binding) in bindings.enumerated() {
            switch binding {
            case .text(let text): try statement.bind(text, at: Int32(index + 1))
            case .integer(let value): try statement.bind(value, at: Int32(index + 1))
            }
        }
        var records = try collect(statement)
        var nextCursor: Int64?
        if records.count > query.limit {
            records.removeLast(records.count - query.limit)
            nextCursor = records.last?.id
        }
        return LogSearchPage(records: records, nextCursor: nextCursor)
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

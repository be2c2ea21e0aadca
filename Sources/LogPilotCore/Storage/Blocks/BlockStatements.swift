/// The block store's write statements on the writer connection (prepared once, reused).
final class BlockStatements {
    private let db: SQLiteConnection
    private let insertBlock: SQLiteStatement
    private let insertData: SQLiteStatement
    private let deleteBlock: SQLiteStatement
    private let deleteData: SQLiteStatement
    private let insertStreamStatement: SQLiteStatement
    private let updateStreamStatement: SQLiteStatement
    private let deleteStreamStatement: SQLiteStatement

    init(_ db: SQLiteConnection) throws(SQLiteError) {
        self.db = db
        insertBlock = try db.prepare(
            """
            INSERT INTO blocks(min_id, stream_id, max_id, min_ts, max_ts, count, level_mask, raw_bytes, data_bytes,
                               created_at, generation, filter)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            persistent: true
        )
        insertData = try db.prepare("INSERT INTO block_data(min_id, fields, data) VALUES (?, ?, ?)", persistent: true)
        deleteBlock = try db.prepare("DELETE FROM blocks WHERE min_id = ?", persistent: true)
        deleteData = try db.prepare("DELETE FROM block_data WHERE min_id = ?", persistent: true)
        insertStreamStatement = try db.prepare(
            """
            INSERT INTO streams(labels, fingerprint, channel, record_count, last_id, created_at)
            VALUES (?, ?, ?, 0, 0, ?) RETURNING id
            """,
            persistent: true
        )
        updateStreamStatement = try db.prepare(
            "UPDATE streams SET record_count = ?, last_id = ? WHERE id = ?",
            persistent: true
        )
        deleteStreamStatement = try db.prepare("DELETE FROM streams WHERE id = ?", persistent: true)
    }

    func resetAll() {
        for statement in [insertBlock, insertData, deleteBlock, deleteData, insertStreamStatement,
                          updateStreamStatement, deleteStreamStatement] {
            statement.reset()
        }
    }

    /// Stores a block of one stream.
    func insert(
        _ block: BuiltBlock,
        stream: Int64,
        generation: Int,
        createdAt: Int64
    ) throws(SQLiteError) {
        let summary = block.summary
        defer { insertBlock.reset() }
        try insertBlock.bind(summary.minId, at: 1)
        try insertBlock.bind(stream, at: 2)
        try insertBlock.bind(summary.maxId, at: 3)
        try insertBlock.bind(summary.minTimestamp, at: 4)
        try insertBlock.bind(summary.maxTimestamp, at: 5)
        try insertBlock.bind(summary.count, at: 6)
        try insertBlock.bind(Int64(summary.levelMask), at: 7)
        try insertBlock.bind(summary.rawBytes, at: 8)
        try insertBlock.bind(block.data.count, at: 9)
        try insertBlock.bind(createdAt, at: 10)
        try insertBlock.bind(generation, at: 11)
        try insertBlock.bindBlob(block.filter, at: 12)
        try insertBlock.step()
        defer { insertData.reset() }
        try insertData.bind(summary.minId, at: 1)
        if let fields = block.fields { try insertData.bindBlob(fields, at: 2) } else { try insertData.bindNull(at: 2) }
        try insertData.bindBlob(block.data, at: 3)
        try insertData.step()
    }

    func delete(minId: Int64) throws(SQLiteError) {
        defer {
            deleteBlock.reset()
            deleteData.reset()
        }
        try deleteBlock.bind(minId, at: 1)
        try deleteBlock.step()
        try deleteData.bind(minId, at: 1)
        try deleteData.step()
    }

    /// The oldest blocks (lowest ids), about `limitRecords` records' worth (at least one block), optionally only
    /// those whose newest record is older than `olderThan`.
    func oldest(limitRecords: Int, olderThan cutoff: Int64?) throws(SQLiteError) -> [BlockRef] {
        let statement = try db.prepare(
            "SELECT min_id, stream_id, max_id, min_ts, max_ts, count, level_mask FROM blocks"
                + (cutoff == nil ? "" : " WHERE max_ts < ?") + " ORDER BY min_id LIMIT 256"
        )
        if let cutoff { try statement.bind(cutoff, at: 1) }
        var result: [BlockRef] = []
        var records = 0
        while records < limitRecords, try statement.step() {
            let block = BlockRef(
                minId: statement.int64(0), streamId: statement.int64(1), maxId: statement.int64(2),
                minTimestamp: statement.int64(3), maxTimestamp: statement.int64(4), count: Int(statement.int64(5)),
                levelMask: Int(statement.int64(6)), filter: nil
            )
            result.append(block)
            records += block.count
        }
        return result
    }

    /// Whether every block is still stored, unchanged, in `stream`.
    func exist(_ blocks: [BlockRef], stream: Int64) throws(SQLiteError) -> Bool {
        let statement = try db.prepare("SELECT max_id, count FROM blocks WHERE min_id = ? AND stream_id = ?")
        for block in blocks {
            try statement.bind(block.minId, at: 1)
            try statement.bind(stream, at: 2)
            guard try statement.step(), statement.int64(0) == block.maxId, Int(statement.int64(1)) == block.count else {
                return false
            }
            statement.reset()
        }
        return true
    }

    func insertStream(_ labels: StreamLabels, createdAt: Int64) throws(SQLiteError) -> Int64 {
        defer { insertStreamStatement.reset() }
        try insertStreamStatement.bind(labels.canonical, at: 1)
        try insertStreamStatement.bind(labels.fingerprint, at: 2)
        try insertStreamStatement.bind(labels.channel, at: 3)
        try insertStreamStatement.bind(createdAt, at: 4)
        guard try insertStreamStatement.step() else {
            throw SQLiteError(resultCode: 1, extendedResultCode: 1, message: "no id for a new stream", context: "streams")
        }
        return insertStreamStatement.int64(0)
    }

    func updateStream(_ id: Int64, recordCount: Int64, lastId: Int64) throws(SQLiteError) {
        defer { updateStreamStatement.reset() }
        try updateStreamStatement.bind(recordCount, at: 1)
        try updateStreamStatement.bind(lastId, at: 2)
        try updateStreamStatement.bind(id, at: 3)
        try updateStreamStatement.step()
    }

    func deleteStream(_ id: Int64) throws(SQLiteError) {
        defer { deleteStreamStatement.reset() }
        try deleteStreamStatement.bind(id, at: 1)
        try deleteStreamStatement.step()
    }
}

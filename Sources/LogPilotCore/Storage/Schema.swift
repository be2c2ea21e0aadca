/// The versioned schema. `PRAGMA user_version` holds the version; migrations run at startup, before the server
/// reports ready.
///
/// - Version 1 (the row store): one `logs` row per record, indexes `(channel, id)` and `(ts)`, a `channels` table.
/// - Version 2 (the block store): `streams` (interned label sets), `blocks` (one row per compressed block of one
///   stream: id range, time range, level mask, sizes, token filter) and `block_data` (the block's bytes, apart so
///   that scanning block metadata never touches them). A version-1 database is converted at startup by
///   `RowStoreConversion`, in chunks, with progress in the log; the offsets and ids stay as they were.
enum Schema {
    /// The version this build writes. A database with a newer version is refused.
    static let currentVersion: Int64 = 2

    struct Migration {
        var version: Int64
        var sql: String
    }

    /// Tables both versions share.
    static let commonTables = """
        CREATE TABLE IF NOT EXISTS consumer_offsets (
            consumer_id TEXT    NOT NULL,
            channel     TEXT    NOT NULL,
            last_log_id INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL, -- microseconds since the epoch
            PRIMARY KEY (consumer_id, channel)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS engine_state (
            key   TEXT    PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO engine_state(key, value) VALUES ('last_id', 0);
        """

    /// The block store (version 2).
    static let blockTables = """
        CREATE TABLE IF NOT EXISTS streams (
            id           INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: readers cache id -> labels
            labels       TEXT    NOT NULL UNIQUE, -- canonical JSON object, names sorted: {"channel":"orders"}
            fingerprint  INTEGER NOT NULL,        -- 64-bit FNV-1a of labels
            channel      TEXT,                    -- the channel label, NULL when the stream has none
            record_count INTEGER NOT NULL,
            last_id      INTEGER NOT NULL,
            created_at   INTEGER NOT NULL         -- microseconds since the epoch
        );
        CREATE INDEX IF NOT EXISTS streams_channel ON streams(channel);
        CREATE TABLE IF NOT EXISTS blocks (
            min_id     INTEGER PRIMARY KEY,       -- first record id: unique, since ids are global
            stream_id  INTEGER NOT NULL,
            max_id     INTEGER NOT NULL,
            min_ts     INTEGER NOT NULL,          -- microseconds since the epoch
            max_ts     INTEGER NOT NULL,
            count      INTEGER NOT NULL,
            level_mask INTEGER NOT NULL,          -- bit n set: a record of level n (0 TRACE .. 5 FATAL)
            raw_bytes  INTEGER NOT NULL,          -- the columns before compression
            data_bytes INTEGER NOT NULL,          -- the block as stored (block_data.data)
            created_at INTEGER NOT NULL,          -- microseconds since the epoch, for compaction
            generation INTEGER NOT NULL,          -- 0 = written by a commit, n = made by n compactions
            filter     BLOB    NOT NULL           -- message trigrams (docs/block-format.md)
        );
        CREATE INDEX IF NOT EXISTS blocks_stream ON blocks(stream_id, max_id);
        CREATE INDEX IF NOT EXISTS blocks_max_id ON blocks(max_id);
        CREATE TABLE IF NOT EXISTS block_data (
            min_id INTEGER PRIMARY KEY,           -- = blocks.min_id
            fields BLOB,                          -- field-value token filter, NULL until compaction builds it
            data   BLOB    NOT NULL               -- the block (docs/block-format.md)
        );
        """

    /// Brings the database to `currentVersion`. Returns the versions applied. A version-1 database is converted
    /// (`RowStoreConversion`), which can take a while: `progress` is called as it goes.
    @discardableResult
    static func migrate(
        _ db: SQLiteConnection,
        converter: () throws(LogPilotError) -> Void = {}
    ) throws(LogPilotError) -> [Int64] {
        do {
            let version = try db.scalarInt64("PRAGMA user_version") ?? 0
            if version > currentVersion {
                throw LogPilotError(
                    code: .storageFailure,
                    message: "the database has schema version \(version), newer than this LogPilot (\(currentVersion))"
                )
            }
            switch version {
            case 0:
                // Must be chosen before the first table exists; lets retention give pages back to the filesystem.
                try db.execute("PRAGMA auto_vacuum = INCREMENTAL")
                try transaction(db) { () throws(SQLiteError) in
                    try db.execute(commonTables)
                    try db.execute(blockTables)
                    try db.execute("PRAGMA user_version = \(currentVersion)")
                }
                return [currentVersion]
            case 1:
                try converter()
                return [2]
            default:
                return []
            }
        } catch let error as SQLiteError {
            throw LogPilotError.storage(error)
        } catch let error as LogPilotError {
            throw error
        } catch {
            throw LogPilotError(code: .internalError, message: "migration failed: \(error)")
        }
    }

    /// Runs `body` in one write transaction.
    static func transaction(_ db: SQLiteConnection, _ body: () throws(SQLiteError) -> Void) throws(SQLiteError) {
        try db.execute("BEGIN IMMEDIATE")
        do {
            try body()
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }
}

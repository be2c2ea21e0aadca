/// The versioned schema. `PRAGMA user_version` holds the version; each migration runs in its own transaction at
/// startup, before the server reports ready.
enum Schema {
    /// The version this build writes. A database with a newer version is refused.
    static let currentVersion: Int64 = 1

    struct Migration {
        var version: Int64
        var sql: String
    }

    static let migrations: [Migration] = [
        Migration(
            version: 1,
            sql: """
                CREATE TABLE logs (
                    id      INTEGER PRIMARY KEY,  -- global, strictly increasing in commit order; never reused
                    ts      INTEGER NOT NULL,     -- microseconds since the epoch, UTC
                    channel TEXT    NOT NULL,
                    level   INTEGER NOT NULL,     -- 0 TRACE .. 5 FATAL
                    message TEXT    NOT NULL,
                    meta    TEXT                  -- compact JSON object, or NULL
                );
                CREATE INDEX logs_channel_id ON logs(channel, id);
                CREATE INDEX logs_ts ON logs(ts);
                CREATE TABLE consumer_offsets (
                    consumer_id TEXT    NOT NULL,
                    channel     TEXT    NOT NULL,
                    last_log_id INTEGER NOT NULL,
                    updated_at  INTEGER NOT NULL, -- microseconds since the epoch
                    PRIMARY KEY (consumer_id, channel)
                ) WITHOUT ROWID;
                CREATE TABLE channels (
                    name         TEXT    PRIMARY KEY,
                    record_count INTEGER NOT NULL,
                    last_id      INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE engine_state (
                    key   TEXT    PRIMARY KEY,
                    value INTEGER NOT NULL
                ) WITHOUT ROWID;
                INSERT INTO engine_state(key, value) VALUES ('last_id', 0);
                """
        )
    ]

    /// Brings the database to `currentVersion`. Returns the versions applied.
    @discardableResult
    static func migrate(_ db: SQLiteConnection) throws(LogPilotError) -> [Int64] {
        do {
            let version = try db.scalarInt64("PRAGMA user_version") ?? 0
            if version > currentVersion {
                throw LogPilotError(
                    code: .storageFailure,
                    message: "the database has schema version \(version), newer than this LogPilot (\(currentVersion))"
                )
            }
            if version == 0 {
                // Must be chosen before the first table exists; lets retention give pages back to the filesystem.
                try db.execute("PRAGMA auto_vacuum = INCREMENTAL")
            }
            var applied: [Int64] = []
            for migration in migrations where migration.version > version {
                try db.execute("BEGIN IMMEDIATE")
                do {
                    try db.execute(migration.sql)
                    try db.execute("PRAGMA user_version = \(migration.version)")
                    try db.execute("COMMIT")
                } catch {
                    try? db.execute("ROLLBACK")
                    throw error
                }
                applied.append(migration.version)
            }
            return applied
        } catch let error as SQLiteError {
            throw LogPilotError.storage(error)
        } catch let error as LogPilotError {
            throw error
        } catch {
            throw LogPilotError(code: .internalError, message: "migration failed: \(error)")
        }
    }
}

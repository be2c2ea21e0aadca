import Foundation
import Logging

/// Converts a version-1 database (one `logs` row per record) to the block store at startup, before the server is
/// ready: records are read in id order in chunks, each chunk becomes one block per channel in its own transaction,
/// and a marker in `engine_state` records how far it got, so a conversion interrupted by a crash or a SIGKILL
/// resumes where it stopped. Ids, timestamps, consumer offsets and the id counter stay exactly as they were.
/// At the end the row tables are dropped and their pages handed back to the filesystem.
struct RowStoreConversion {
    static let progressKey = "row_store_converted_to"

    let db: SQLiteConnection
    let path: String
    let logger: Logger
    var compressionLevel: Int32 = CompactionPolicy().compressionLevel
    /// Records read and converted per transaction.
    var chunkRecords = 131_072
    /// Tests: stop with an error after this many chunks, as a killed process would.
    var stopAfterChunks: Int?

    func run() throws(LogPilotError) {
        do {
            try convert()
        } catch let error as SQLiteError {
            throw LogPilotError.storage(error)
        } catch let error as LogPilotError {
            throw error
        } catch {
            throw LogPilotError(code: .internalError, message: "conversion failed: \(error)")
        }
    }

    private func convert() throws {
        let started = ContinuousClock.now
        let total = try db.scalarInt64("SELECT count(*) FROM logs") ?? 0
        try checkFreeSpace()
        try Schema.transaction(db) { () throws(SQLiteError) in
            try db.execute(Schema.blockTables)
            try db.execute("INSERT OR IGNORE INTO engine_state(key, value) VALUES ('\(Self.progressKey)', 0)")
        }
        var converted = try db.scalarInt64("SELECT value FROM engine_state WHERE key = '\(Self.progressKey)'") ?? 0
        let alreadyDone = try db.scalarInt64("SELECT count(*) FROM logs WHERE id <= \(converted)") ?? 0
        logger.notice("converting the row store (schema 1) to blocks (schema 2); the server is not ready until done", metadata: [
            "storage.records": "\(total)", "storage.resume_after_id": "\(converted)",
        ])
        let statements = try BlockStatements(db)
        let builder = BlockBuilder(level: compressionLevel)
        var registry = try StreamRegistry.load(db)
        let select = try db.prepare(
            "SELECT id, ts, channel, level, message, meta FROM logs WHERE id > ? ORDER BY id LIMIT \(chunkRecords)"
        )
        let saveProgress = try db.prepare("UPDATE engine_state SET value = ? WHERE key = '\(Self.progressKey)'")
        var done = alreadyDone
        var lastReport = ContinuousClock.now
        var chunks = 0
        while true {
            if let stopAfterChunks, chunks >= stopAfterChunks {
                throw LogPilotError(code: .internalError, message: "conversion stopped after \(chunks) chunks (test)")
            }
            chunks += 1
            try select.bind(converted, at: 1)
            var byChannel: [String: [BlockRecord]] = [:]
            var order: [String] = []
            var last: Int64 = converted
            while try select.step() {
                let channel = select.string(2)
                if byChannel[channel] == nil { order.append(channel) }
                last = select.int64(0)
                byChannel[channel, default: []].append(BlockRecord(
                    id: last,
                    timestamp: select.int64(1),
                    level: LogLevel(rawValue: UInt8(clamping: select.int64(3))) ?? .info,
                    message: select.string(4),
                    metaJSON: select.optionalString(5)
                ))
            }
            select.reset()
            if order.isEmpty { break }
            let before = registry
            do {
                try Schema.transaction(db) { () throws(SQLiteError) in
                    for channel in order {
                        let records = byChannel[channel]!
                        let stream: Int64
                        if let known = registry.id(ofChannel: channel) {
                            stream = known
                        } else {
                            stream = try registry.create(StreamLabels(channel: channel), statements)
                        }
                        let built = builder.build(records, withFields: true)
                        try statements.insert(built, stream: stream, generation: 1, createdAt: WallClock.nowMicroseconds())
                        registry.noteAppended(stream: stream, records: Int64(records.count), lastId: records.last!.id)
                    }
                    try registry.saveChanges(statements)
                    try saveProgress.bind(last, at: 1)
                    try saveProgress.step()
                    saveProgress.reset()
                }
            } catch {
                registry = before
                throw error
            }
            registry.committed()
            converted = last
            done += Int64(byChannel.values.reduce(0) { $0 + $1.count })
            if ContinuousClock.now - lastReport >= .seconds(5) || done == total {
                lastReport = ContinuousClock.now
                let seconds = (ContinuousClock.now - started).seconds
                logger.info("converting the row store", metadata: [
                    "storage.converted": "\(done)", "storage.records": "\(total)",
                    "storage.percent": "\(total > 0 ? done * 100 / total : 100)",
                    "storage.seconds": "\(Int(seconds))",
                ])
            }
        }
        try Schema.transaction(db) { () throws(SQLiteError) in
            try db.execute("""
                DROP TABLE logs;
                DROP TABLE IF EXISTS channels;
                DELETE FROM engine_state WHERE key = '\(Self.progressKey)';
                PRAGMA user_version = 2;
                """)
        }
        // Hand the row store's pages back (the file shrinks to the size of the blocks).
        try db.execute("PRAGMA incremental_vacuum")
        let seconds = (ContinuousClock.now - started).seconds
        logger.notice("row store converted to blocks", metadata: [
            "storage.records": "\(total)", "storage.seconds": "\(String(format: "%.1f", seconds))",
            "storage.seconds_per_million": "\(total > 0 ? String(format: "%.1f", seconds * 1_000_000 / Double(total)) : "-")",
        ])
    }

    /// The blocks need room next to the rows until the rows are dropped: refuse early, with what to do, rather than
    /// fill the volume halfway.
    private func checkFreeSpace() throws {
        let pages = try db.scalarInt64("PRAGMA page_count") ?? 0
        let size = try db.scalarInt64("PRAGMA page_size") ?? 4096
        let needed = pages * size / 2 + (64 << 20)
        if let free = DiskSpace.volume(containing: path)?.free, free < needed {
            throw LogPilotError(
                code: .storageFull,
                message: "converting \(path) to the block store needs about \(needed >> 20) MiB free next to it "
                    + "(\(free >> 20) MiB are): free space on the volume, or start the previous LogPilot release "
                    + "and move the database to a larger volume first"
            )
        }
    }
}

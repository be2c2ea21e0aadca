import Foundation
import Logging
import Testing
@testable import LogPilotCore

/// A version-1 database (the row store), written by the release before the block store through its REST API
/// (Fixtures/make-row-store-fixture.py), converts at startup and serves the same records and offsets.
struct RowStoreConversionTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/row-store-v1.db").path

    /// The fixture's rows, read straight from its `logs` table: the truth to compare with.
    func rows(_ path: String) throws -> [StoredLogRecord] {
        let db = try SQLiteConnection(path: path, readOnly: true)
        let statement = try db.prepare("SELECT id, ts, channel, level, message, meta FROM logs ORDER BY id")
        var rows: [StoredLogRecord] = []
        while try statement.step() {
            rows.append(StoredLogRecord(id: statement.int64(0), record: LogRecord(
                timestamp: statement.int64(1), channel: statement.string(2),
                level: LogLevel(rawValue: UInt8(statement.int64(3)))!, message: statement.string(4),
                metaJSON: statement.optionalString(5)
            )))
        }
        return rows
    }

    func copyOfFixture(_ scratch: borrowing TemporaryDirectory) throws -> String {
        let path = scratch.path + "/logpilot.db"
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: path)
        return path
    }

    func checkConverted(_ engine: StorageEngine, expected: [StoredLogRecord]) async throws {
        let all = try await engine.search(LogSearchQuery(limit: 10_000)).records
        #expect(all == expected.reversed())
        let channels = try await engine.channels()
        #expect(channels.map(\.channel) == ["audit", "orders", "payments"])
        #expect(channels.map(\.count) == [200, 700, 600])
        for summary in channels {
            #expect(summary.lastId == expected.last { $0.record.channel == summary.channel }?.id)
        }
        // Offsets as the old release left them: billing/orders at the 100th orders record, audit/payments LATEST,
        // x/audit SPECIFIC 1400.
        let orders = expected.filter { $0.record.channel == "orders" }
        let billing = try await engine.fetch(channel: "orders", consumerId: "billing", limit: 5, autoCommit: false)
        #expect(billing == Array(orders[100..<105]))
        #expect(try await engine.fetch(channel: "payments", consumerId: "audit", limit: 5, autoCommit: false).isEmpty)
        let x = try await engine.fetch(channel: "audit", consumerId: "x", limit: 1_000, autoCommit: true)
        #expect(x.map(\.id) == expected.filter { $0.record.channel == "audit" && $0.id >= 1_400 }.map(\.id))
        // New records continue the old id sequence.
        let appended = try await engine.append([record("orders", "after conversion")])
        #expect(appended.firstId == 1_501)
    }

    @Test func aRowStoreDatabaseConvertsAndServesTheSameRecordsAndOffsets() async throws {
        let scratch = TemporaryDirectory()
        let path = try copyOfFixture(scratch)
        let expected = try rows(path)
        #expect(expected.count == 1_500)
        try await withEngine(at: scratch.path) { engine in
            try await checkConverted(engine, expected: expected)
        }
        let db = try SQLiteConnection(path: path, readOnly: true)
        #expect(try db.scalarInt64("PRAGMA user_version") == 2)
        #expect(try db.scalarInt64("SELECT count(*) FROM sqlite_master WHERE name IN ('logs', 'channels')") == 0)
        // Reopening a converted database converts nothing again.
        try await withEngine(at: scratch.path) { engine in
            let count = try await engine.count()
            #expect(count == 1_501)
        }
    }

    @Test func anInterruptedConversionResumesWhereItStopped() async throws {
        let scratch = TemporaryDirectory()
        let path = try copyOfFixture(scratch)
        let expected = try rows(path)
        do {
            // Two chunks of 400 records, then stop as if the process had been killed.
            let db = try SQLiteConnection(path: path, readOnly: false)
            var conversion = RowStoreConversion(db: db, path: path, logger: Logger.quiet)
            conversion.chunkRecords = 400
            conversion.stopAfterChunks = 2
            #expect(throws: LogPilotError.self) { try conversion.run() }
            #expect(try db.scalarInt64("PRAGMA user_version") == 1)
            #expect(try db.scalarInt64("SELECT value FROM engine_state WHERE key = 'row_store_converted_to'") == 800)
            db.close()
        }
        try await withEngine(at: scratch.path) { engine in
            try await checkConverted(engine, expected: expected)
        }
    }
}

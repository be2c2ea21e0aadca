import Foundation
import Logging
import Testing
@testable import LogPilotCore

/// The block store behind the engine: streams and their limit, compaction, corruption.
struct BlockStoreTests {
    @Test func newStreamsBeyondTheLimitAreRefusedWithoutFailingOthers() async throws {
        try await withEngine({ $0.streamLimits.maxStreams = 3 }) { engine in
            _ = try await engine.append([record("a"), record("b")])
            // One request with two new channels would make four streams: refused whole, nothing of it stored.
            await #expect(throws: LogPilotError.self) { _ = try await engine.append([record("a"), record("c"), record("d")]) }
            do {
                _ = try await engine.append([record("c"), record("d")])
                Issue.record("a fourth stream must be refused")
            } catch let error as LogPilotError {
                #expect(error.code == .streamLimit)
                #expect(error.message.contains("LOGPILOT_MAX_STREAMS=3"))
                #expect(error.retryAfterSeconds != nil)
            }
            // Existing streams and one new one within the limit still work, also in the same transaction.
            async let known = engine.append([record("a", "still fine")])
            async let third = engine.append([record("c", "third stream")])
            #expect(try await known.count == 1)
            #expect(try await third.count == 1)
            #expect(try await engine.channels().map(\.channel) == ["a", "b", "c"])
            #expect(try await engine.count() == 4)
        }
    }

    @Test func retentionForgetsEmptiedStreamsAndFreesTheirPlace() async throws {
        try await withEngine({ $0.streamLimits.maxStreams = 2; $0.retentionDays = 1 }) { engine in
            let old = WallClock.nowMicroseconds() - 3 * 86_400_000_000
            _ = try await engine.append([record("old", timestamp: old), record("kept")])
            await #expect(throws: LogPilotError.self) { _ = try await engine.append([record("new")]) }
            _ = try await RetentionService(engine: engine, logger: Logger.quiet).runOnce()
            #expect(try await engine.channels().map(\.channel) == ["kept"])
            #expect(try await engine.append([record("new")]).count == 1)
        }
    }

    @Test func compactionMergesSmallBlocksWithoutChangingARecordOrId() async throws {
        let scratch = TemporaryDirectory()
        let policy = CompactionPolicy(targetRecords: 1_000, minAgeSeconds: 0, idleSeconds: 1)
        try await withEngine({ $0.compaction = policy }, at: scratch.path) { engine in
            var ids: [Int64] = []
            for batch in 0..<40 {
                let result = try await engine.append((0..<20).map {
                    record($0 % 2 == 0 ? "even" : "odd", "batch \(batch) record \($0) \(incompressible(20))", meta: "{\"n\":\($0)}")
                })
                ids += Array(result.firstId!...result.lastId!)
            }
            let before = try await engine.search(LogSearchQuery(limit: 10_000)).records
            #expect(try blockCount(scratch.path) == 80)
            let worker = CompactionWorker(engine: engine, policy: policy)
            defer { worker.stop() }
            var merged = 0
            while true {
                let step = try await worker.pass()
                if step == 0 { break }
                merged += step
            }
            #expect(merged >= 78)
            #expect(try blockCount(scratch.path) == 2)  // one block per stream: 400 records each, under the target
            let after = try await engine.search(LogSearchQuery(limit: 10_000)).records
            #expect(after == before)
            #expect(after.map(\.id) == ids.reversed())
            // Consumers read the merged blocks exactly as before.
            let fetched = try await engine.fetch(channel: "even", consumerId: "c", limit: 10_000, autoCommit: true)
            #expect(fetched == before.filter { $0.record.channel == "even" }.reversed())
            // The merged blocks carry the field filter.
            let db = try SQLiteConnection(path: scratch.path + "/logpilot.db", readOnly: true)
            #expect(try db.scalarInt64("SELECT count(*) FROM block_data WHERE fields IS NULL") == 0)
        }
    }

    @Test func aCorruptBlockIsAStorageErrorNamingTheBlock() async throws {
        let scratch = TemporaryDirectory()
        try await withEngine(at: scratch.path) { engine in
            _ = try await engine.append((0..<10).map { record("c", "m\($0)") })
            _ = try await engine.append((0..<10).map { record("d", "m\($0)") })
            // Flip bytes in the middle of the first block's data (another connection, as a bad disk would).
            let db = try SQLiteConnection(path: scratch.path + "/logpilot.db", readOnly: false)
            let blob = try db.prepare("SELECT data FROM block_data WHERE min_id = 1")
            _ = try blob.step()
            var bytes = blob.blob(0)
            blob.reset()
            for index in stride(from: bytes.count / 2, to: bytes.count, by: 3) { bytes[index] ^= 0x5A }
            let update = try db.prepare("UPDATE block_data SET data = ? WHERE min_id = 1")
            try update.bindBlob(bytes, at: 1)
            try update.step()
            update.reset()
            db.close()
            do {
                _ = try await engine.latest(channel: "c", limit: 10)
                Issue.record("a corrupt block must not read as records")
            } catch let error as LogPilotError {
                #expect(error.code == .storageFailure)
                #expect(error.message.contains("SQLITE_CORRUPT"))
                #expect(error.message.contains("block 1...10 of stream"))
            }
            // The other stream's block is fine.
            #expect(try await engine.latest(channel: "d", limit: 10).count == 10)
        }
    }

    func blockCount(_ directory: String) throws -> Int64 {
        let db = try SQLiteConnection(path: directory + "/logpilot.db", readOnly: true)
        return try db.scalarInt64("SELECT count(*) FROM blocks") ?? 0
    }
}

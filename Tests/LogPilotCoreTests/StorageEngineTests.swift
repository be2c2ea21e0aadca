import Foundation
import Logging
import Testing
@testable import LogPilotCore

struct StorageEngineTests {
    @Test func aSecondEngineOnTheSameFileIsRefusedUntilTheFirstStops() async throws {
        let scratch = TemporaryDirectory()
        try await withEngine(at: scratch.path) { first in
            let second = StorageEngine(configuration: first.configuration, logger: Logger.quiet)
            do {
                try await second.start()
                Issue.record("a second engine must not open a database in use")
            } catch let error as LogPilotError {
                #expect(error.message.contains("another LogPilot process"))
            }
            _ = try await first.append([record()])
        }
        // Released at shutdown: the next engine starts.
        try await withEngine(at: scratch.path) { engine in
            let appended = try await engine.append([record()])
            #expect(appended.firstId == 2)
        }
    }

    @Test func appendReturnsContiguousIdsAfterCommit() async throws {
        try await withEngine { engine in
            let first = try await engine.append([record(), record(), record()])
            #expect(first == AppendResult(count: 3, firstId: 1, lastId: 3))
            let second = try await engine.append([record("other")])
            #expect(second == AppendResult(count: 1, firstId: 4, lastId: 4))
            #expect(try await engine.count() == 4)
            let empty = try await engine.append([])
            #expect(empty == AppendResult(count: 0, firstId: nil, lastId: nil))
        }
    }

    @Test func recordsRoundTripExactly() async throws {
        try await withEngine { engine in
            let original = record("ch-ü", "multi\nline \"quoted\" ✓", level: .fatal, timestamp: -1_234_567, meta: #"{"a":[1,{"b":null}]}"#)
            _ = try await engine.append([original, record("ch-ü", "", level: .trace)])
            let latest = try await engine.latest(channel: "ch-ü", limit: 10)
            #expect(latest.map(\.id) == [2, 1])
            #expect(latest[1].record == original)
            #expect(latest[0].record.message == "")
            #expect(latest[0].record.metaJSON == nil)
        }
    }

    @Test func concurrentAppendsAreGroupCommittedWithUniqueOrderedIds() async throws {
        try await withEngine({ $0.synchronous = .full }) { engine in
            let results = try await withThrowingTaskGroup(of: (Int, AppendResult).self) { group in
                for task in 0..<200 {
                    group.addTask {
                        let records = (0..<5).map { record("c\(task % 4)", "t\(task)-\($0)") }
                        return (task, try await engine.append(records))
                    }
                }
                var all: [(Int, AppendResult)] = []
                for try await result in group { all.append(result) }
                return all
            }
            var seen = Set<Int64>()
            for (task, result) in results {
                let first = try #require(result.firstId)
                let last = try #require(result.lastId)
                #expect(last - first == 4)
                for id in first...last { #expect(seen.insert(id).inserted) }
                // Each request's records are contiguous and in request order.
                let stored = try await engine.search(LogSearchQuery(channel: "c\(task % 4)", limit: 10_000))
                let mine = stored.records.filter { $0.id >= first && $0.id <= last }.sorted { $0.id < $1.id }
                #expect(mine.map(\.record.message) == (0..<5).map { "t\(task)-\($0)" })
            }
            #expect(seen == Set(1...1000))
            // Group commit: 200 concurrent appends need fewer transactions than appends.
            #expect(engine.transactionsWithRecords < 200)
        }
    }

    @Test func consumerFetchAutoCommitsInTheSameTransaction() async throws {
        try await withEngine { engine in
            _ = try await engine.append((1...5).map { record("orders", "m\($0)") })
            _ = try await engine.append([record("payments", "p1")])
            let first = try await engine.fetch(channel: "orders", consumerId: "c1", limit: 3, autoCommit: true)
            #expect(first.map(\.record.message) == ["m1", "m2", "m3"])
            let second = try await engine.fetch(channel: "orders", consumerId: "c1", limit: 10, autoCommit: true)
            #expect(second.map(\.record.message) == ["m4", "m5"])
            let third = try await engine.fetch(channel: "orders", consumerId: "c1", limit: 10, autoCommit: true)
            #expect(third.isEmpty)
            // Another consumer and another channel are independent.
            let other = try await engine.fetch(channel: "orders", consumerId: "c2", limit: 2, autoCommit: true)
            #expect(other.map(\.record.message) == ["m1", "m2"])
            let payments = try await engine.fetch(channel: "payments", consumerId: "c1", limit: 10, autoCommit: true)
            #expect(payments.map(\.record.message) == ["p1"])
        }
    }

    @Test func peekDoesNotMoveTheOffsetUntilCommit() async throws {
        try await withEngine { engine in
            _ = try await engine.append((1...4).map { record("orders", "m\($0)") })
            let peek1 = try await engine.fetch(channel: "orders", consumerId: "c", limit: 2, autoCommit: false)
            let peek2 = try await engine.fetch(channel: "orders", consumerId: "c", limit: 2, autoCommit: false)
            #expect(peek1 == peek2)
            #expect(peek1.map(\.id) == [1, 2])
            let position = try await engine.commitOffset(channel: "orders", consumerId: "c", offset: 2)
            #expect(position.offset == 2)
            let next = try await engine.fetch(channel: "orders", consumerId: "c", limit: 10, autoCommit: false)
            #expect(next.map(\.id) == [3, 4])
        }
    }

    @Test func seekUsesTheJavaOffsetArithmetic() async throws {
        try await withEngine { engine in
            _ = try await engine.append([record("other", "x")])
            _ = try await engine.append((1...5).map { record("orders", "m\($0)") })  // ids 2...6
            let latest = try await engine.seek(channel: "orders", consumerId: "c", to: .latest)
            #expect(latest.offset == 6)
            #expect(try await engine.fetch(channel: "orders", consumerId: "c", limit: 10, autoCommit: true).isEmpty)
            let specific = try await engine.seek(channel: "orders", consumerId: "c", to: .specific(4))
            #expect(specific.offset == 3)
            let fromFour = try await engine.fetch(channel: "orders", consumerId: "c", limit: 10, autoCommit: true)
            #expect(fromFour.map(\.id) == [4, 5, 6])
            let earliest = try await engine.seek(channel: "orders", consumerId: "c", to: .earliest)
            #expect(earliest.offset == 0)
            #expect(try await engine.fetch(channel: "orders", consumerId: "c", limit: 1, autoCommit: true).map(\.id) == [2])
            let empty = try await engine.seek(channel: "nothing-here", consumerId: "c", to: .latest)
            #expect(empty.offset == 0)
        }
    }

    @Test func searchFiltersAndPagesNewestFirst() async throws {
        try await withEngine { engine in
            let base: Int64 = 1_700_000_000_000_000
            var records: [LogRecord] = []
            for index in 0..<30 {
                let level: LogLevel = index % 3 == 0 ? .error : .info
                records.append(record(index % 2 == 0 ? "a" : "b", "event \(index) \(index % 5 == 0 ? "needle" : "hay")", level: level, timestamp: base + Int64(index) * 1_000_000))
            }
            _ = try await engine.append(records)
            var query = LogSearchQuery(channel: "a", levels: [.error], limit: 2)
            var pages: [[Int64]] = []
            while true {
                let page = try await engine.search(query)
                pages.append(page.records.map(\.id))
                guard let next = page.nextCursor else { break }
                query.beforeId = next
            }
            // channel a = even indexes (ids 1,3,...); ERROR = index % 3 == 0 → indexes 0,6,12,18,24 → ids 1,7,13,19,25
            #expect(pages == [[25, 19], [13, 7], [1]])
            let text = try await engine.search(LogSearchQuery(text: "needle", limit: 100))
            #expect(text.records.map(\.id) == [26, 21, 16, 11, 6, 1])
            let window = try await engine.search(LogSearchQuery(from: base + 10_000_000, to: base + 13_000_000, limit: 100))
            #expect(window.records.map(\.id) == [13, 12, 11])
        }
    }

    /// Pages through a search with a small work bound; every page's cursor resumes exactly where the last stopped.
    private func pagedSearch(
        _ engine: StorageEngine,
        _ query: LogSearchQuery,
        budget: ReadBudget
    ) async throws -> (ids: [Int64], pages: [LogSearchPage]) {
        var query = query
        var ids: [Int64] = []
        var pages: [LogSearchPage] = []
        while true {
            let page = try await engine.search(query, budget: budget)
            pages.append(page)
            ids += page.records.map(\.id)
            guard let next = page.nextCursor else { break }
            query.beforeId = next
        }
        return (ids, pages)
    }

    @Test func searchStopsAtItsScanBoundAndResumesWithoutSkippingOrRepeating() async throws {
        try await withEngine { engine in
            var records: [LogRecord] = []
            for index in 0..<50_000 {
                let rare = index % 7_919 == 0 ? " needle" : ""
                records.append(record(index % 3 == 0 ? "a" : "b", "event \(index)\(rare)", level: index % 2 == 0 ? .info : .warn))
            }
            for start in stride(from: 0, to: records.count, by: 10_000) {
                _ = try await engine.append(Array(records[start..<start + 10_000]))
            }
            // What an unbounded search finds: ids are 1-based positions.
            func expected(_ keep: (Int, LogRecord) -> Bool) -> [Int64] {
                records.enumerated().filter { keep($0.offset, $0.element) }.map { Int64($0.offset + 1) }.reversed()
            }
            let budget = ReadBudget(maxScannedRecords: 20_000, timeoutMilliseconds: 60_000)
            // Five transactions, each one block per channel: "a" 3 334 records, "b" 6 666, their id ranges
            // interleaved. A read may pass its bound by the blocks it must finish for its cursor to move.
            let largestBlock = 6_667

            // Every page but the last stopped at the bound; following the cursors finds every match once, in order.
            func checkPaged(_ paged: (ids: [Int64], pages: [LogSearchPage]), _ expected: [Int64], bound: Int) {
                #expect(paged.ids == expected)
                #expect(Set(paged.ids).count == paged.ids.count)
                #expect(paged.pages.last?.truncated == nil)
                #expect(paged.pages.allSatisfy { $0.scannedRecords <= bound + 2 * largestBlock })
            }

            // Filters prune: "needle" is in 7 records, so only their blocks are opened; a term no block holds opens none.
            let rare = try await pagedSearch(engine, LogSearchQuery(text: "needle", limit: 100), budget: budget)
            checkPaged(rare, expected { $1.message.contains("needle") }, bound: 20_000)
            #expect(rare.pages.reduce(0) { $0 + $1.scannedRecords } < 50_000)
            let none = try await engine.search(LogSearchQuery(text: "no such term", limit: 100), budget: budget)
            #expect(none == LogSearchPage(records: [], nextCursor: nil, scannedRecords: 0))

            // Level filters prune by each block's level mask; the bound applies to what is opened.
            let warn = try await pagedSearch(engine, LogSearchQuery(levels: [.warn], limit: 100_000), budget: budget)
            checkPaged(warn, expected { $1.level == .warn }, bound: 20_000)
            #expect(warn.pages.count > 1)
            #expect(warn.pages.dropLast().allSatisfy { $0.truncated == .scanLimit })

            // A channel's search opens only that channel's blocks.
            let small = ReadBudget(maxScannedRecords: 5_000, timeoutMilliseconds: 60_000)
            let channel = try await pagedSearch(engine, LogSearchQuery(channel: "a", levels: [.warn], limit: 1_000), budget: small)
            checkPaged(channel, expected { $1.channel == "a" && $1.level == .warn }, bound: 5_000)
            #expect(channel.pages.count >= 3)

            // Full pages end by the limit, not the bound.
            let paged = try await pagedSearch(engine, LogSearchQuery(levels: [.info], limit: 4_000), budget: budget)
            checkPaged(paged, expected { $1.level == .info }, bound: 20_000)

            // A deadline already passed still lets each read finish what moves its cursor: progress, then a timeout.
            let late = try await pagedSearch(engine, LogSearchQuery(levels: [.info], limit: 100_000), budget: ReadBudget(maxScannedRecords: 1_000_000, timeoutMilliseconds: 0))
            checkPaged(late, expected { $1.level == .info }, bound: 0)
            #expect(late.pages.count > 2)
            #expect(late.pages.dropLast().allSatisfy { $0.truncated == .timeout })
        }
    }

    @Test func channelsListCountsAndLastIds() async throws {
        try await withEngine { engine in
            _ = try await engine.append([record("b"), record("a"), record("b")])
            let channels = try await engine.channels()
            #expect(channels == [
                ChannelSummary(channel: "a", count: 1, lastId: 2),
                ChannelSummary(channel: "b", count: 2, lastId: 3),
            ])
        }
    }

    @Test func restartKeepsRecordsOffsetsAndNeverReusesIds() async throws {
        let scratch = TemporaryDirectory()
        try await withEngine({ $0.retentionDays = 1 }, at: scratch.path) { engine in
            _ = try await engine.append([record(timestamp: 0), record(timestamp: 0)])
            _ = try await engine.commitOffset(channel: "orders", consumerId: "c", offset: 1)
        }
        try await withEngine({ $0.retentionDays = 1 }, at: scratch.path) { engine in
            #expect(try await engine.count() == 2)
            let next = try await engine.fetch(channel: "orders", consumerId: "c", limit: 10, autoCommit: false)
            #expect(next.map(\.id) == [2])
            // Delete everything, then make sure ids continue after a restart anyway.
            let deleted = try await RetentionService(engine: engine, logger: Logger.quiet).runOnce()
            #expect(deleted == 2)
            #expect(try await engine.count() == 0)
            #expect(try await engine.channels().isEmpty)
        }
        try await withEngine(at: scratch.path) { engine in
            let result = try await engine.append([record()])
            #expect(result.firstId == 3)
        }
    }

    @Test func ageRetentionDeletesOnlyOldRecordsInChunks() async throws {
        try await withEngine({ $0.retentionDays = 7; $0.retentionChunkRecords = 10 }) { engine in
            let old = WallClock.nowMicroseconds() - 8 * 86_400_000_000
            _ = try await engine.append((0..<35).map { record("old", "o\($0)", timestamp: old) })
            _ = try await engine.append((0..<5).map { record("new", "n\($0)") })
            let deleted = try await RetentionService(engine: engine, logger: Logger.quiet).runOnce()
            #expect(deleted == 35)
            #expect(try await engine.count() == 5)
            #expect(try await engine.channels().map(\.channel) == ["new"])
        }
    }

    @Test func sizeRetentionDeletesOldestUntilUnderTheBound() async throws {
        try await withEngine({ $0.retentionMaxBytes = 256 * 1024; $0.retentionDays = 0; $0.retentionChunkRecords = 200 }) { engine in
            for batch in 0..<10 {
                _ = try await engine.append((0..<200).map { record("c", "\(batch)-\($0) \(incompressible(500))") })
            }
            let deleted = try await RetentionService(engine: engine, logger: Logger.quiet).runOnce()
            #expect(deleted > 0)
            let remaining = try await engine.count()
            #expect(remaining == 2_000 - Int64(deleted))
            // The oldest went first: the newest record is still there.
            let newest = try await engine.latest(channel: "c", limit: 1)
            #expect(newest.first?.id == 2_000)
            let oldest = try await engine.search(LogSearchQuery(limit: 10_000)).records.last?.id ?? 0
            #expect(oldest == Int64(deleted) + 1)
        }
    }

    @Test func fullDatabaseFailsCleanlyAndRecovers() async throws {
        try await withEngine({ $0.maxDatabaseBytes = 256 * 1024; $0.retentionMaxBytes = 128 * 1024; $0.retentionDays = 0 }) { engine in
            var acknowledged = 0
            var failure: LogPilotError?
            for batch in 0..<100 {
                do {
                    let result = try await engine.append((0..<20).map { record("c", "\(batch)-\($0) \(incompressible(1_000))") })
                    acknowledged += result.count
                } catch {
                    failure = error as? LogPilotError
                    break
                }
            }
            let error = try #require(failure)
            #expect(error.code == .storageFull)
            #expect(error.message.contains("SQLITE_FULL"))
            #expect(engine.status.writeFailure != nil)
            #expect(!engine.status.isWritable)
            // Nothing acknowledged was lost, nothing of the failed batch was stored.
            #expect(try await engine.count() == Int64(acknowledged))
            // Free space, and writes succeed again.
            let deleted = try await RetentionService(engine: engine, logger: Logger.quiet).runOnce()
            #expect(deleted > 0)
            let after = try await engine.append([record("c", "after")])
            #expect(after.count == 1)
            #expect(engine.status.isWritable)
        }
    }

    @Test func shutdownCommitsEverythingAcknowledged() async throws {
        let scratch = TemporaryDirectory()
        let configuration = StorageConfiguration(path: scratch.path + "/logpilot.db", synchronous: .normal)
        let engine = StorageEngine(configuration: configuration, logger: Logger.quiet)
        try await engine.start()
        let acknowledged = await withTaskGroup(of: Int.self) { group in
            for task in 0..<50 {
                group.addTask {
                    do {
                        return try await engine.append((0..<20).map { record("c", "\(task)-\($0)") }).count
                    } catch {
                        #expect((error as? LogPilotError)?.code == .unavailable)
                        return 0
                    }
                }
            }
            group.addTask {
                await engine.shutdown()
                return 0
            }
            return await group.reduce(0, +)
        }
        #expect(engine.status.phase == .stopped)
        do {
            _ = try await engine.append([record()])
            Issue.record("append after shutdown must fail")
        } catch {
            #expect(error.code == .unavailable)
        }
        let stored = try await withEngine(at: scratch.path) { reopened in try await reopened.count() }
        #expect(stored == Int64(acknowledged))
    }

    @Test func aLockedDatabaseIsUnavailableThenRecovers() async throws {
        let scratch = TemporaryDirectory()
        try await withEngine({ $0.busyTimeoutMilliseconds = 100 }, at: scratch.path) { engine in
            _ = try await engine.append([record()])
            // Another process holding the write lock (e.g. an operator's sqlite3 shell).
            let intruder = try SQLiteConnection(path: scratch.path + "/logpilot.db", readOnly: false)
            try intruder.execute("BEGIN IMMEDIATE")
            do {
                _ = try await engine.append([record("c", "blocked")])
                Issue.record("append must fail while another connection holds the write lock")
            } catch {
                let failure = try #require(error as? LogPilotError)
                #expect(failure.code == .unavailable)
                #expect(failure.message.contains("SQLITE_BUSY"))
                #expect(failure.retryAfterSeconds != nil)
            }
            #expect(!engine.status.isWritable)
            try intruder.execute("ROLLBACK")
            intruder.close()
            // The writer's probe (every 2 s while failing) restores writability without any request.
            var recovered = false
            for _ in 0..<50 where !recovered {
                try await Task.sleep(for: .milliseconds(100))
                recovered = engine.status.isWritable
            }
            #expect(recovered)
            #expect(try await engine.append([record("c", "after")]).count == 1)
            #expect(try await engine.count() == 2)
        }
    }

    @Test func notADatabaseFailsToStartWithSQLiteReason() async throws {
        let scratch = TemporaryDirectory()
        let path = scratch.path + "/logpilot.db"
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: path))
        let engine = StorageEngine(configuration: StorageConfiguration(path: path), logger: Logger.quiet)
        do {
            try await engine.start()
            Issue.record("opening garbage must fail")
        } catch {
            #expect(error.code == .storageFailure)
            #expect(error.message.contains("SQLITE_NOTADB"))
        }
        #expect(engine.status.phase == .failed)
        do {
            _ = try await engine.append([record()])
            Issue.record("append on a failed engine must fail")
        } catch {
            #expect(error.code == .storageFailure)
        }
    }

    @Test func newerSchemaIsRefused() async throws {
        let scratch = TemporaryDirectory()
        try await withEngine(at: scratch.path) { _ in }
        let connection = try SQLiteConnection(path: scratch.path + "/logpilot.db", readOnly: false)
        try connection.execute("PRAGMA user_version = 99")
        connection.close()
        let engine = StorageEngine(configuration: StorageConfiguration(path: scratch.path + "/logpilot.db"), logger: Logger.quiet)
        do {
            try await engine.start()
            Issue.record("a newer schema must be refused")
        } catch {
            #expect(error.message.contains("schema version 99"))
        }
    }

    @Test func walModeAndSynchronousAreApplied() async throws {
        let scratch = TemporaryDirectory()
        try await withEngine({ $0.synchronous = .full }, at: scratch.path) { _ in
            let connection = try SQLiteConnection(path: scratch.path + "/logpilot.db", readOnly: false)
            let mode = try connection.prepare("PRAGMA journal_mode")
            _ = try mode.step()
            #expect(mode.string(0) == "wal")
        }
    }
}

import LogPilotCore
import Testing

@testable import LogPilotGRPC

/// The unary RPCs of `logpilot.LogService`, called through their `GRPCMethod` handlers (encoded requests in,
/// encoded responses or statuses out) over a real storage engine.
struct LogServiceTests {
    static let levelNames = "TRACE, DEBUG, INFO, WARN (or WARNING), ERROR, FATAL"

    @Test func methodTable() async throws {
        try await ServiceTestHarness.with { harness in
            #expect(
                harness.logService.methods.map(\.path) == [
                    "/logpilot.LogService/SendLog", "/logpilot.LogService/SendLogs", "/logpilot.LogService/ListLogs",
                    "/logpilot.LogService/FetchLogs", "/logpilot.LogService/Seek", "/logpilot.LogService/CommitOffset",
                    "/logpilot.LogService/StreamLogs",
                ]
            )
            #expect(harness.logService.methods.allSatisfy { $0.requiresAuthentication })
        }
    }

    // MARK: SendLog

    @Test func sendLogStoresTheRecordAndAnswersWithItsId() async throws {
        try await ServiceTestHarness.with { harness in
            let request = LogRequestMessage(
                channel: "orders",
                level: "warning",
                message: "disk low",
                meta: ["b": "2", "a": "1", "quote": #"say "hi""#],
                storage: "sqlite",
                timestamp: 1_700_000_000_123
            )
            let response = try await unaryCall(harness.log("SendLog"), request, as: LogResponseMessage.self).get()
            #expect(response == LogResponseMessage(status: "success", message: "Log stored successfully", id: 1))
            #expect(
                try await harness.storedRecords() == [
                    StoredLogRecord(
                        id: 1,
                        record: LogRecord(
                            timestamp: 1_700_000_000_123_000,
                            channel: "orders",
                            level: .warn,
                            message: "disk low",
                            metaJSON: #"{"a":"1","b":"2","quote":"say \"hi\""}"#
                        )
                    )
                ]
            )
            let second = try await unaryCall(
                harness.log("SendLog"),
                LogRequestMessage(channel: "orders", message: "x"),
                as: LogResponseMessage.self
            ).get()
            #expect(second.id == 2)
        }
    }

    @Test func sendLogDefaults() async throws {
        try await ServiceTestHarness.with { harness in
            let before = WallClock.nowMicroseconds()
            // Empty level = INFO, timestamp 0 = server time, empty meta = none, empty message allowed.
            _ = try await unaryCall(
                harness.log("SendLog"),
                LogRequestMessage(channel: "c", level: "", message: ""),
                as: LogResponseMessage.self
            ).get()
            let after = WallClock.nowMicroseconds()
            let stored = try #require(try await harness.storedRecords().first)
            #expect(stored.record.level == .info)
            #expect(stored.record.message == "")
            #expect(stored.record.metaJSON == nil)
            #expect((before...after).contains(stored.record.timestamp))
        }
    }

    @Test func levelsFollowTheRESTRule() async throws {
        try await ServiceTestHarness.with { harness in
            for (name, level) in [
                ("debug", LogLevel.debug), ("Warn", .warn), ("WARNING", .warn), ("fatal", .fatal), ("TRACE", .trace),
            ] {
                let id = try await unaryCall(
                    harness.log("SendLog"),
                    LogRequestMessage(channel: "c", level: name, message: name),
                    as: LogResponseMessage.self
                ).get().id
                let stored = try await harness.storedRecords().first { $0.id == id }
                #expect(stored?.record.level == level, "\(name)")
            }
            // Deliberately not Java's "unknown → INFO".
            let failure = try await unaryCall(
                harness.log("SendLog"),
                LogRequestMessage(channel: "c", level: "VERBOSE", message: "m"),
                as: LogResponseMessage.self
            ).failure
            #expect(
                failure == GRPCStatus(.invalidArgument, "level: unknown level 'VERBOSE' (expected \(Self.levelNames))")
            )
        }
    }

    @Test func sendLogValidation() async throws {
        let limits = IngestLimits(maxMessageBytes: 10, maxMetaBytes: 40, maxMetaKeys: 2, maxChannelBytes: 8)
        try await ServiceTestHarness.with(limits: limits) { harness in
            let cases: [(LogRequestMessage, String)] = [
                (LogRequestMessage(channel: "", message: "m"), "channel: is required"),
                (
                    LogRequestMessage(channel: "a b", message: "m"),
                    "channel: must not contain whitespace or control characters"
                ),
                (LogRequestMessage(channel: "123456789", message: "m"), "channel: must be at most 8 bytes (got 9)"),
                (LogRequestMessage(channel: "c", message: "12345678901"), "message: must be at most 10 bytes (got 11)"),
                (
                    LogRequestMessage(channel: "c", message: "m", meta: ["a": "1", "b": "2", "c": "3"]),
                    "meta: must have at most 2 keys (got 3)"
                ),
                (
                    LogRequestMessage(channel: "c", message: "m", meta: ["k": String(repeating: "v", count: 40)]),
                    "meta: must be at most 40 bytes of JSON (got 48)"
                ),
                (
                    LogRequestMessage(channel: "c", message: "m", timestamp: .max),
                    "timestamp: must be between years 0001 and 9999"
                ),
                (
                    LogRequestMessage(channel: "c", message: "m", timestamp: 253_402_300_800_000),
                    "timestamp: must be between years 0001 and 9999"
                ),
            ]
            for (request, message) in cases {
                let failure = try await unaryCall(harness.log("SendLog"), request, as: LogResponseMessage.self).failure
                #expect(failure == GRPCStatus(.invalidArgument, message))
            }
            #expect(try await harness.engine.count() == 0)
        }
    }

    @Test func invalidProtobufIsInvalidArgument() async throws {
        try await ServiceTestHarness.with { harness in
            for name in ["SendLog", "SendLogs", "ListLogs", "FetchLogs", "Seek", "CommitOffset"] {
                let status = await runCall(
                    try harness.log(name),
                    requests: ScriptedRequests([[0xFF, 0xFF, 0xFF]]),
                    responses: RecordingResponses()
                )
                #expect(status.code == .invalidArgument, "\(name)")
                #expect(status.message.hasPrefix("invalid protobuf in logpilot."), "\(name)")
            }
        }
    }

    // MARK: SendLogs

    @Test func sendLogsStoresTheBatchInOrder() async throws {
        try await ServiceTestHarness.with { harness in
            _ = try await unaryCall(
                harness.log("SendLog"),
                LogRequestMessage(channel: "c", message: "first"),
                as: LogResponseMessage.self
            ).get()
            let request = SendLogsRequestMessage(
                logRequests: (0..<3).map { LogRequestMessage(channel: "batch", level: "error", message: "m\($0)") }
            )
            let response = try await unaryCall(harness.log("SendLogs"), request, as: SendLogsResponseMessage.self).get()
            #expect(
                response
                    == SendLogsResponseMessage(
                        status: "success",
                        message: "Logs stored successfully",
                        accepted: 3,
                        firstId: 2,
                        lastId: 4
                    )
            )
            let stored = try await harness.storedRecords()
            #expect(stored.map(\.id) == [1, 2, 3, 4])
            #expect(stored.dropFirst().map(\.record.message) == ["m0", "m1", "m2"])
            #expect(stored.dropFirst().allSatisfy { $0.record.level == .error && $0.record.channel == "batch" })
        }
    }

    @Test func sendLogsWithNoRecordsSucceeds() async throws {
        try await ServiceTestHarness.with { harness in
            let response = try await unaryCall(
                harness.log("SendLogs"),
                SendLogsRequestMessage(),
                as: SendLogsResponseMessage.self
            ).get()
            #expect(
                response
                    == SendLogsResponseMessage(
                        status: "success",
                        message: "Logs stored successfully",
                        accepted: 0,
                        firstId: 0,
                        lastId: 0
                    )
            )
        }
    }

    @Test func sendLogsNamesTheBadRecordAndStoresNothing() async throws {
        try await ServiceTestHarness.with { harness in
            var records = (0..<5).map { LogRequestMessage(channel: "c", level: "info", message: "m\($0)") }
            records[3].level = "LOUD"
            let failure = try await unaryCall(
                harness.log("SendLogs"),
                SendLogsRequestMessage(logRequests: records),
                as: SendLogsResponseMessage.self
            ).failure
            #expect(
                failure
                    == GRPCStatus(
                        .invalidArgument,
                        "log_requests[3].level: unknown level 'LOUD' (expected \(Self.levelNames))"
                    )
            )

            records[3].level = "info"
            records[1].channel = ""
            let missing = try await unaryCall(
                harness.log("SendLogs"),
                SendLogsRequestMessage(logRequests: records),
                as: SendLogsResponseMessage.self
            ).failure
            #expect(missing == GRPCStatus(.invalidArgument, "log_requests[1].channel: is required"))
            #expect(try await harness.engine.count() == 0)
        }
    }

    @Test func sendLogsOverTheBatchLimitIsResourceExhausted() async throws {
        try await ServiceTestHarness.with(limits: IngestLimits(maxBatchRecords: 2)) { harness in
            let request = SendLogsRequestMessage(
                logRequests: (0..<3).map { LogRequestMessage(channel: "c", message: "m\($0)") }
            )
            let failure = try await unaryCall(harness.log("SendLogs"), request, as: SendLogsResponseMessage.self)
                .failure
            #expect(failure == GRPCStatus(.resourceExhausted, "the batch has 3 records; at most 2 are allowed"))
        }
    }

    @Test func fullStorageIsResourceExhausted() async throws {
        try await ServiceTestHarness.with(configure: {
            $0.maxDatabaseBytes = 256 * 1024
            $0.retentionDays = 0
        }) { harness in
            var generator = SystemRandomNumberGenerator()
            // Random hex, different in every record: blocks compress it no smaller than its entropy.
            func message() -> String { String((0..<1_000).map { _ in Array("0123456789abcdef")[Int(generator.next() % 16)] }) }
            var failure: GRPCStatus?
            for batch in 0..<200 {
                let request = SendLogsRequestMessage(
                    logRequests: (0..<20).map { LogRequestMessage(channel: "c", message: "\(batch)-\($0) \(message())") }
                )
                if let status = try await unaryCall(harness.log("SendLogs"), request, as: SendLogsResponseMessage.self)
                    .failure
                {
                    failure = status
                    break
                }
            }
            let status = try #require(failure)
            #expect(status.code == .resourceExhausted)
            #expect(status.message.hasPrefix("storage is full (SQLITE_FULL"))
            // Health follows: storage no longer accepts writes.
            let health = try await unaryCall(
                harness.health("Check"),
                HealthCheckRequestMessage(),
                as: HealthCheckResponseMessage.self
            ).get()
            #expect(health.status == .notServing)
        }
    }

    @Test func stoppedStorageIsUnavailable() async throws {
        try await ServiceTestHarness.with { harness in
            await harness.engine.shutdown()
            let write = try await unaryCall(
                harness.log("SendLog"),
                LogRequestMessage(channel: "c", message: "m"),
                as: LogResponseMessage.self
            ).failure
            #expect(
                write
                    == GRPCStatus(.unavailable, "the server is shutting down", trailers: [("retry-after-seconds", "1")])
            )
            let read = try await unaryCall(
                harness.log("FetchLogs"),
                FetchLogsRequestMessage(channel: "c"),
                as: FetchLogsResponseMessage.self
            ).failure
            #expect(read == GRPCStatus(.unavailable, "storage is not ready", trailers: [("retry-after-seconds", "1")]))
            let seek = try await unaryCall(
                harness.log("Seek"),
                SeekRequestMessage(channel: "c", consumerId: "x", operation: "EARLIEST"),
                as: SeekResponseMessage.self
            ).failure
            #expect(seek?.code == .unavailable)
        }
    }

    // MARK: FetchLogs

    /// Appends `count` records to `channel` with messages `<prefix>0`, `<prefix>1`, ...
    static func append(
        _ harness: ServiceTestHarness,
        _ count: Int,
        to channel: String,
        prefix: String = "m"
    ) async throws {
        _ = try await harness.engine.append(
            (0..<count).map {
                LogRecord(timestamp: 1_000_000, channel: channel, level: .info, message: "\(prefix)\($0)")
            }
        )
    }

    static func fetch(
        _ harness: ServiceTestHarness,
        _ request: FetchLogsRequestMessage
    ) async throws -> [LogEntryMessage] {
        try await unaryCall(harness.log("FetchLogs"), request, as: FetchLogsResponseMessage.self).get().logs
    }

    @Test func fetchWithoutConsumerReturnsTheNewestFirst() async throws {
        try await ServiceTestHarness.with { harness in
            try await Self.append(harness, 5, to: "orders")
            try await Self.append(harness, 2, to: "other")
            let logs = try await Self.fetch(
                harness,
                FetchLogsRequestMessage(channel: "orders", limit: 3, storage: "sqlite")
            )
            #expect(logs.map(\.id) == [5, 4, 3])
            #expect(logs.map(\.message) == ["m4", "m3", "m2"])
            // Reading latest moves no offset.
            #expect(
                try await Self.fetch(harness, FetchLogsRequestMessage(channel: "orders", limit: 3)).map(\.id) == [
                    5, 4, 3,
                ]
            )
        }
    }

    @Test func fetchRoutesSinceAndConsumerIdToConsumerFetches() async throws {
        try await ServiceTestHarness.with { harness in
            try await Self.append(harness, 3, to: "other")
            try await Self.append(harness, 5, to: "orders")
            // `since` is the legacy consumer id.
            #expect(
                try await Self.fetch(harness, FetchLogsRequestMessage(since: "c1", channel: "orders", limit: 2)).map(
                    \.id
                ) == [4, 5]
            )
            #expect(
                try await Self.fetch(harness, FetchLogsRequestMessage(since: "c1", channel: "orders", limit: 2)).map(
                    \.id
                ) == [6, 7]
            )
            // `consumerId` when `since` is empty: its own offset.
            #expect(
                try await Self.fetch(harness, FetchLogsRequestMessage(channel: "orders", limit: 2, consumerId: "c2"))
                    .map(\.id) == [4, 5]
            )
            // `since` wins over `consumerId`.
            #expect(
                try await Self.fetch(
                    harness,
                    FetchLogsRequestMessage(since: "c1", channel: "orders", limit: 10, consumerId: "c2")
                ).map(\.id) == [8]
            )
            #expect(
                try await Self.fetch(harness, FetchLogsRequestMessage(channel: "orders", limit: 10, consumerId: "c2"))
                    .map(\.id) == [6, 7, 8]
            )
            #expect(
                try await Self.fetch(harness, FetchLogsRequestMessage(channel: "orders", limit: 10, consumerId: "c2"))
                    .isEmpty
            )
        }
    }

    @Test func fetchWithoutAutoCommitThenCommitOffset() async throws {
        try await ServiceTestHarness.with { harness in
            try await Self.append(harness, 5, to: "orders")
            let peek = FetchLogsRequestMessage(channel: "orders", limit: 2, consumerId: "manual", autoCommit: false)
            #expect(try await Self.fetch(harness, peek).map(\.id) == [1, 2])
            #expect(try await Self.fetch(harness, peek).map(\.id) == [1, 2])
            let commit = try await unaryCall(
                harness.log("CommitOffset"),
                CommitOffsetRequestMessage(channel: "orders", consumerId: "manual", lastLogId: 2),
                as: CommitOffsetResponseMessage.self
            ).get()
            #expect(
                commit
                    == CommitOffsetResponseMessage(
                        status: "success",
                        message: "Offset committed successfully",
                        offset: 2
                    )
            )
            #expect(try await Self.fetch(harness, peek).map(\.id) == [3, 4])
            // auto_commit explicitly true behaves as unset.
            #expect(
                try await Self.fetch(
                    harness,
                    FetchLogsRequestMessage(channel: "orders", limit: 2, consumerId: "manual", autoCommit: true)
                ).map(\.id) == [3, 4]
            )
            #expect(try await Self.fetch(harness, peek).map(\.id) == [5])
        }
    }

    @Test func unsetLimitMeansOneHundred() async throws {
        try await ServiceTestHarness.with { harness in
            try await Self.append(harness, 150, to: "orders")
            #expect(try await Self.fetch(harness, FetchLogsRequestMessage(channel: "orders")).count == 100)
            #expect(
                try await Self.fetch(harness, FetchLogsRequestMessage(channel: "orders", consumerId: "c")).map(\.id)
                    == Array(1...100)
            )
            let page = try await unaryCall(
                harness.log("ListLogs"),
                ListLogsRequestMessage(),
                as: ListLogsResponseMessage.self
            ).get()
            #expect(page.logs.count == 100)
            #expect(page.nextCursor == "51")
        }
    }

    @Test func fetchValidation() async throws {
        try await ServiceTestHarness.with(limits: IngestLimits(maxReadLimit: 50)) { harness in
            let cases: [(FetchLogsRequestMessage, String)] = [
                (FetchLogsRequestMessage(channel: "", limit: 1), "channel: is required"),
                (FetchLogsRequestMessage(channel: "a b"), "channel: must not contain whitespace or control characters"),
                (FetchLogsRequestMessage(channel: "c", limit: -1), "limit: must not be negative"),
                (FetchLogsRequestMessage(channel: "c", limit: 51), "limit: must be at most 50 (got 51)"),
                (FetchLogsRequestMessage(since: " \t", channel: "c", limit: 1), "since: must not be blank"),
                (FetchLogsRequestMessage(channel: "c", limit: 1, consumerId: "  "), "consumerId: must not be blank"),
                (
                    FetchLogsRequestMessage(channel: "c", limit: 1, consumerId: String(repeating: "x", count: 257)),
                    "consumerId: must be at most 256 bytes"
                ),
            ]
            for (request, message) in cases {
                let failure = try await unaryCall(harness.log("FetchLogs"), request, as: FetchLogsResponseMessage.self)
                    .failure
                #expect(failure == GRPCStatus(.invalidArgument, message))
            }
            #expect(try await Self.fetch(harness, FetchLogsRequestMessage(channel: "c", limit: 50)).isEmpty)
        }
    }

    @Test func entriesCarryTimestampsIdAndMeta() async throws {
        try await ServiceTestHarness.with { harness in
            _ = try await harness.engine.append([
                LogRecord(
                    timestamp: 1_700_000_000_123_456,
                    channel: "c",
                    level: .error,
                    message: "boom",
                    metaJSON: #"{"s":"x","n":1.50,"b":true,"z":null,"o":{"k":[1,"2"]},"s":"dup","e":""}"#
                ),
                LogRecord(timestamp: -1, channel: "c", level: .debug, message: "before 1970"),
            ])
            let logs = try await Self.fetch(harness, FetchLogsRequestMessage(channel: "c", consumerId: "reader"))
            #expect(
                logs == [
                    LogEntryMessage(
                        channel: "c",
                        level: "ERROR",
                        message: "boom",
                        meta: ["s": "x", "n": "1.50", "b": "true", "z": "null", "o": #"{"k":[1,"2"]}"#, "e": ""],
                        timestamp: 1_700_000_000_123,
                        id: 1,
                        timestampMicros: 1_700_000_000_123_456
                    ),
                    LogEntryMessage(
                        channel: "c",
                        level: "DEBUG",
                        message: "before 1970",
                        meta: [:],
                        timestamp: -1,
                        id: 2,
                        timestampMicros: -1
                    ),
                ]
            )
        }
    }

    @Test func metaRoundTripsThroughSendAndFetch() async throws {
        try await ServiceTestHarness.with { harness in
            let meta = ["user": "alice", "json-looking": #"{"not":"parsed"}"#, "unicode": "héllo ✓", "empty": ""]
            _ = try await unaryCall(
                harness.log("SendLog"),
                LogRequestMessage(channel: "c", message: "m", meta: meta),
                as: LogResponseMessage.self
            ).get()
            #expect(try await Self.fetch(harness, FetchLogsRequestMessage(channel: "c")).first?.meta == meta)
        }
    }

    // MARK: Seek and CommitOffset

    static func seek(
        _ harness: ServiceTestHarness,
        _ operation: String,
        logId: Int64 = 0,
        channel: String = "orders"
    ) async throws -> Result<SeekResponseMessage, GRPCStatus> {
        try await unaryCall(
            harness.log("Seek"),
            SeekRequestMessage(
                channel: channel,
                consumerId: "c",
                operation: operation,
                logId: logId,
                storage: "sqlite"
            ),
            as: SeekResponseMessage.self
        )
    }

    @Test func seekArithmetic() async throws {
        try await ServiceTestHarness.with { harness in
            try await Self.append(harness, 3, to: "orders")  // 1...3
            try await Self.append(harness, 2, to: "other")  // 4, 5
            try await Self.append(harness, 1, to: "orders")  // 6
            try await Self.append(harness, 1, to: "other")  // 7
            #expect(
                try await Self.seek(harness, "LATEST").get()
                    == SeekResponseMessage(status: "success", message: "Seek operation successful", offset: 6)
            )
            #expect(try await Self.fetch(harness, FetchLogsRequestMessage(channel: "orders", consumerId: "c")).isEmpty)
            #expect(try await Self.seek(harness, "EARLIEST").get().offset == 0)
            #expect(
                try await Self.fetch(harness, FetchLogsRequestMessage(channel: "orders", limit: 1, consumerId: "c"))
                    .map(\.id) == [1]
            )
            #expect(try await Self.seek(harness, "SPECIFIC", logId: 3).get().offset == 2)
            #expect(
                try await Self.fetch(harness, FetchLogsRequestMessage(channel: "orders", consumerId: "c")).map(\.id)
                    == [3, 6]
            )
            // Case-insensitive (Java matched exactly).
            #expect(try await Self.seek(harness, "earliest").get().offset == 0)
            #expect(try await Self.seek(harness, "Latest").get().offset == 6)
            #expect(try await Self.seek(harness, "LATEST", channel: "empty").get().offset == 0)
        }
    }

    @Test func seekValidation() async throws {
        try await ServiceTestHarness.with { harness in
            let cases: [(SeekRequestMessage, String)] = [
                (SeekRequestMessage(channel: "", consumerId: "c", operation: "EARLIEST"), "channel: is required"),
                (SeekRequestMessage(channel: "o", consumerId: "", operation: "EARLIEST"), "consumerId: is required"),
                (
                    SeekRequestMessage(channel: "o", consumerId: "c", operation: ""),
                    "operation: is required (EARLIEST, LATEST or SPECIFIC)"
                ),
                (
                    SeekRequestMessage(channel: "o", consumerId: "c", operation: "NEWEST"),
                    "operation: must be EARLIEST, LATEST or SPECIFIC (got 'NEWEST')"
                ),
                (
                    SeekRequestMessage(channel: "o", consumerId: "c", operation: "SPECIFIC"),
                    "logId: is required when operation is SPECIFIC"
                ),
                (
                    SeekRequestMessage(channel: "o", consumerId: "c", operation: "specific", logId: -5),
                    "logId: must be a positive integer"
                ),
            ]
            for (request, message) in cases {
                let failure = try await unaryCall(harness.log("Seek"), request, as: SeekResponseMessage.self).failure
                #expect(failure == GRPCStatus(.invalidArgument, message))
            }
        }
    }

    @Test func commitOffsetValidation() async throws {
        try await ServiceTestHarness.with { harness in
            let cases: [(CommitOffsetRequestMessage, String)] = [
                (CommitOffsetRequestMessage(channel: "", consumerId: "c", lastLogId: 1), "channel: is required"),
                (CommitOffsetRequestMessage(channel: "o", consumerId: "", lastLogId: 1), "consumerId: is required"),
                (
                    CommitOffsetRequestMessage(channel: "o", consumerId: "c", lastLogId: -1),
                    "lastLogId: must not be negative"
                ),
            ]
            for (request, message) in cases {
                let failure = try await unaryCall(
                    harness.log("CommitOffset"),
                    request,
                    as: CommitOffsetResponseMessage.self
                ).failure
                #expect(failure == GRPCStatus(.invalidArgument, message))
            }
            // 0 is a valid offset: "nothing consumed". No existence check, as in Java and REST.
            let zero = try await unaryCall(
                harness.log("CommitOffset"),
                CommitOffsetRequestMessage(channel: "o", consumerId: "c", lastLogId: 0),
                as: CommitOffsetResponseMessage.self
            ).get()
            #expect(zero.offset == 0)
            let ahead = try await unaryCall(
                harness.log("CommitOffset"),
                CommitOffsetRequestMessage(channel: "o", consumerId: "c", lastLogId: 99),
                as: CommitOffsetResponseMessage.self
            ).get()
            #expect(ahead.offset == 99)
        }
    }

    // MARK: ListLogs

    /// ids 1...5: (channel, level, ms, message).
    static let listFixture: [(String, LogLevel, Int64, String)] = [
        ("a", .info, 1_000, "alpha one"),
        ("b", .warn, 2_000, "beta two"),
        ("a", .error, 3_000, "alpha three"),
        ("a", .debug, 4_000, "gamma four"),
        ("b", .error, 5_000, "alpha five"),
    ]

    static func list(
        _ harness: ServiceTestHarness,
        _ request: ListLogsRequestMessage
    ) async throws -> ListLogsResponseMessage {
        try await unaryCall(harness.log("ListLogs"), request, as: ListLogsResponseMessage.self).get()
    }

    @Test func listLogsFilters() async throws {
        try await ServiceTestHarness.with { harness in
            _ = try await harness.engine.append(
                Self.listFixture.map {
                    LogRecord(timestamp: $0.2 * 1_000, channel: $0.0, level: $0.1, message: $0.3)
                }
            )
            func ids(_ request: ListLogsRequestMessage) async throws -> [Int64] {
                try await Self.list(harness, request).logs.map(\.id)
            }
            let all = try await Self.list(harness, ListLogsRequestMessage(storage: "ignored"))
            #expect(all.nextCursor == "")
            #expect(try await ids(ListLogsRequestMessage()) == [5, 4, 3, 2, 1])
            #expect(try await ids(ListLogsRequestMessage(channel: "a")) == [4, 3, 1])
            #expect(try await ids(ListLogsRequestMessage(level: "error")) == [5, 3])
            #expect(try await ids(ListLogsRequestMessage(levels: ["warn", "DEBUG"])) == [4, 2])
            #expect(try await ids(ListLogsRequestMessage(level: "INFO", levels: ["ERROR"])) == [5, 3, 1])
            #expect(try await ids(ListLogsRequestMessage(level: "warn,error")) == [5, 3, 2])
            // Epoch milliseconds, both bounds inclusive (logpilot.proto).
            #expect(try await ids(ListLogsRequestMessage(fromTimestamp: 2_000, toTimestamp: 4_000)) == [4, 3, 2])
            #expect(try await ids(ListLogsRequestMessage(fromTimestamp: 4_000)) == [5, 4])
            #expect(try await ids(ListLogsRequestMessage(toTimestamp: 2_000)) == [2, 1])
            #expect(try await ids(ListLogsRequestMessage(toTimestamp: .max)) == [5, 4, 3, 2, 1])
            #expect(try await ids(ListLogsRequestMessage(query: "alpha")) == [5, 3, 1])
            #expect(try await ids(ListLogsRequestMessage(channel: "a", level: "error", query: "alpha")) == [3])
            let entry = try #require(
                try await Self.list(harness, ListLogsRequestMessage(channel: "b", limit: 1)).logs.first
            )
            #expect(
                entry
                    == LogEntryMessage(
                        channel: "b",
                        level: "ERROR",
                        message: "alpha five",
                        timestamp: 5_000,
                        id: 5,
                        timestampMicros: 5_000_000
                    )
            )
        }
    }

    @Test func listLogsTimeBoundsAreWholeMilliseconds() async throws {
        try await ServiceTestHarness.with { harness in
            _ = try await harness.engine.append([1_999_999, 2_000_000, 2_000_999, 2_001_000].map {
                LogRecord(timestamp: $0, channel: "t", level: .info, message: "at \($0)")
            })
            let page = try await Self.list(harness, ListLogsRequestMessage(fromTimestamp: 2_000, toTimestamp: 2_000))
            #expect(page.logs.map(\.timestampMicros) == [2_000_999, 2_000_000])
            #expect(page.logs.map(\.timestamp) == [2_000, 2_000])
        }
    }

    @Test func listLogsPages() async throws {
        try await ServiceTestHarness.with { harness in
            _ = try await harness.engine.append(
                Self.listFixture.map {
                    LogRecord(timestamp: $0.2 * 1_000, channel: $0.0, level: $0.1, message: $0.3)
                }
            )
            let first = try await Self.list(harness, ListLogsRequestMessage(limit: 2))
            #expect(first.logs.map(\.id) == [5, 4])
            #expect(first.nextCursor == "4")
            let second = try await Self.list(harness, ListLogsRequestMessage(limit: 2, cursor: first.nextCursor))
            #expect(second.logs.map(\.id) == [3, 2])
            #expect(second.nextCursor == "2")
            let last = try await Self.list(harness, ListLogsRequestMessage(limit: 2, cursor: second.nextCursor))
            #expect(last.logs.map(\.id) == [1])
            #expect(last.nextCursor == "")
        }
    }

    @Test func listLogsValidation() async throws {
        try await ServiceTestHarness.with(limits: IngestLimits(maxReadLimit: 50)) { harness in
            let cases: [(ListLogsRequestMessage, String)] = [
                (ListLogsRequestMessage(channel: "a b"), "channel: must not contain whitespace or control characters"),
                (ListLogsRequestMessage(level: "LOUD"), "level: unknown level 'LOUD' (expected \(Self.levelNames))"),
                (
                    ListLogsRequestMessage(levels: ["info", "LOUD"]),
                    "levels[1]: unknown level 'LOUD' (expected \(Self.levelNames))"
                ),
                (
                    ListLogsRequestMessage(query: String(repeating: "q", count: 1_025)),
                    "query: must be at most 1024 bytes"
                ),
                (ListLogsRequestMessage(limit: -1), "limit: must not be negative"),
                (ListLogsRequestMessage(limit: 51), "limit: must be at most 50 (got 51)"),
                (ListLogsRequestMessage(limit: 1, cursor: "abc"), "cursor: is not a cursor returned by this API"),
                (ListLogsRequestMessage(limit: 1, cursor: "0"), "cursor: is not a cursor returned by this API"),
            ]
            for (request, message) in cases {
                let failure = try await unaryCall(harness.log("ListLogs"), request, as: ListLogsResponseMessage.self)
                    .failure
                #expect(failure == GRPCStatus(.invalidArgument, message))
            }
        }
    }
}

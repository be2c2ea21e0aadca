import Testing
@testable import LogPilotGRPC

/// Round trips, byte-exact encodings and hostile input for `ProtobufCodec` (protobuf-c underneath).
struct ProtobufCodecTests {
    // MARK: Helpers

    /// Encodes, checks the bytes decode back to the same value, and returns the bytes.
    @discardableResult
    func roundTrip<M: ProtobufMessage & Equatable>(
        _ message: M,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [UInt8] {
        let bytes = ProtobufCodec.encode(message)
        let decoded = try ProtobufCodec.decode(bytes, as: M.self)
        #expect(decoded == message, sourceLocation: sourceLocation)
        // The raw-buffer entry point agrees with the array one.
        let viaBuffer = try bytes.withUnsafeBytes { buffer throws(ProtobufDecodingError) -> M in
            try ProtobufCodec.decode(buffer, as: M.self)
        }
        #expect(viaBuffer == message, sourceLocation: sourceLocation)
        return bytes
    }

    func decodingError<M: ProtobufMessage>(_ bytes: [UInt8], as type: M.Type) -> ProtobufDecodingError? {
        do {
            _ = try ProtobufCodec.decode(bytes, as: type)
            return nil
        } catch {
            return error
        }
    }

    static let unicode = "Größe → 42 ✓ 日本語 🚀 \u{10FFFF}"

    static let entry = LogEntryMessage(
        channel: "orders",
        level: "ERROR",
        message: unicode,
        meta: ["host": "api-1", "rëgion": "eu-west", "": "empty key", "empty value": ""],
        timestamp: 1_700_000_000_123,
        id: .max,
        timestampMicros: 1_700_000_000_123_456
    )

    // MARK: logpilot requests

    @Test func logRequestRoundTrip() throws {
        try roundTrip(
            LogRequestMessage(
                channel: "orders",
                level: "warn",
                message: Self.unicode,
                meta: ["trace": "abc", "ключ": "значение", "emoji": "🙂"],
                storage: "sqlite",
                timestamp: 1_700_000_000_123
            )
        )
        try roundTrip(LogRequestMessage(channel: "c", timestamp: .min))
        try roundTrip(LogRequestMessage(channel: "c", timestamp: .max))
        try roundTrip(LogRequestMessage(channel: "c", timestamp: -1))
    }

    @Test func sendLogsRequestRoundTrip() throws {
        try roundTrip(SendLogsRequestMessage())
        try roundTrip(
            SendLogsRequestMessage(logRequests: [
                LogRequestMessage(channel: "a", level: "INFO", message: "one", meta: ["k": "v"]),
                LogRequestMessage(),  // an all-default element still counts as an element
                LogRequestMessage(channel: "b", level: "DEBUG", message: Self.unicode, timestamp: .max),
            ])
        )
    }

    @Test func largeBatchRoundTrip() throws {
        let big = String(repeating: "x", count: 100_000)
        var requests: [LogRequestMessage] = []
        for index in 0..<5_000 {
            let message: String = index == 4_321 ? big : "message \(index)"
            let meta: [String: String] = index % 3 == 0 ? ["i": "\(index)", "even": "\(index % 2 == 0)"] : [:]
            requests.append(
                LogRequestMessage(
                    channel: "channel-\(index % 7)",
                    level: "INFO",
                    message: message,
                    meta: meta,
                    timestamp: Int64(index)
                )
            )
        }
        let bytes = try roundTrip(SendLogsRequestMessage(logRequests: requests))
        #expect(bytes.count > 100_000)
    }

    @Test func listLogsRequestRoundTrip() throws {
        try roundTrip(
            ListLogsRequestMessage(
                storage: "sqlite",
                channel: "orders",
                level: "ERROR",
                fromTimestamp: .min,
                toTimestamp: .max,
                levels: ["WARN", "ERROR", "", "FATAL"],
                query: "timeout → retry",
                limit: .max,
                cursor: "opaque-cursor=="
            )
        )
        try roundTrip(ListLogsRequestMessage(limit: .min))
        try roundTrip(ListLogsRequestMessage(limit: -1))
    }

    @Test(arguments: [nil, true, false] as [Bool?])
    func fetchLogsRequestAutoCommit(_ autoCommit: Bool?) throws {
        let message = FetchLogsRequestMessage(
            since: "legacy",
            channel: "orders",
            limit: 50,
            storage: "sqlite",
            consumerId: "consumer-1",
            autoCommit: autoCommit
        )
        let bytes = try roundTrip(message)
        // Presence is on the wire: field 6 (tag 0x30) appears exactly when auto_commit is set, even when false.
        let trailer: [UInt8] = autoCommit.map { [0x30, $0 ? 1 : 0] } ?? []
        #expect(Array(bytes.suffix(trailer.count)) == trailer)
        #expect(bytes.contains(0x30) == (autoCommit != nil))
        #expect(try ProtobufCodec.decode(bytes, as: FetchLogsRequestMessage.self).autoCommit == autoCommit)
    }

    @Test func fetchLogsRequestWithOnlyAutoCommitFalseIsNotEmpty() throws {
        #expect(ProtobufCodec.encode(FetchLogsRequestMessage(autoCommit: false)) == [0x30, 0x00])
        #expect(ProtobufCodec.encode(FetchLogsRequestMessage(autoCommit: nil)) == [])
        #expect(try ProtobufCodec.decode([0x30, 0x00], as: FetchLogsRequestMessage.self).autoCommit == false)
        #expect(try ProtobufCodec.decode([0x30, 0x01], as: FetchLogsRequestMessage.self).autoCommit == true)
        #expect(try ProtobufCodec.decode([], as: FetchLogsRequestMessage.self).autoCommit == nil)
    }

    @Test func seekAndCommitRequestsRoundTrip() throws {
        for logId in [Int64.min, -1, 0, 1, .max] {
            try roundTrip(
                SeekRequestMessage(
                    channel: "orders",
                    consumerId: "c-1",
                    operation: "SPECIFIC",
                    logId: logId,
                    storage: "sqlite"
                )
            )
            try roundTrip(CommitOffsetRequestMessage(channel: "orders", consumerId: "çonsumer", lastLogId: logId))
        }
    }

    // MARK: logpilot responses

    @Test func logEntryRoundTrip() throws {
        try roundTrip(Self.entry)
        try roundTrip(LogEntryMessage(timestamp: .min, id: .min, timestampMicros: .min))
    }

    @Test func responsesRoundTrip() throws {
        try roundTrip(LogResponseMessage(status: "success", message: "Log stored successfully", id: 42))
        try roundTrip(LogResponseMessage(status: "error", message: "Failed to store log: disk I/O ✗", id: 0))
        try roundTrip(
            SendLogsResponseMessage(
                status: "success",
                message: "Logs stored successfully",
                accepted: 3,
                firstId: .max - 2,
                lastId: .max
            )
        )
        try roundTrip(SeekResponseMessage(status: "success", message: "Seek operation successful", offset: -1))
        try roundTrip(CommitOffsetResponseMessage(status: "success", message: "ok", offset: .max))
        try roundTrip(StreamLogsAckMessage(recordsCommitted: .max, lastId: .min))
    }

    @Test func listAndFetchResponsesRoundTrip() throws {
        let logs = [Self.entry, LogEntryMessage(), LogEntryMessage(channel: "b", meta: ["k": "v"], id: 7)]
        try roundTrip(ListLogsResponseMessage(logs: logs, nextCursor: "next"))
        try roundTrip(ListLogsResponseMessage(logs: [], nextCursor: "only-cursor"))
        try roundTrip(FetchLogsResponseMessage(logs: logs))
    }

    /// Every message: the all-default value encodes to zero bytes, and zero bytes decode to the default value.
    @Test func emptyMessages() throws {
        func check<M: ProtobufMessage & Equatable>(_ value: M, sourceLocation: SourceLocation = #_sourceLocation)
            throws
        {
            #expect(ProtobufCodec.encode(value) == [], sourceLocation: sourceLocation)
            #expect(try ProtobufCodec.decode([], as: M.self) == value, sourceLocation: sourceLocation)
            let viaEmptyBuffer = try ProtobufCodec.decode(UnsafeRawBufferPointer(start: nil, count: 0), as: M.self)
            #expect(viaEmptyBuffer == value, sourceLocation: sourceLocation)
        }
        try check(LogRequestMessage())
        try check(SendLogsRequestMessage())
        try check(ListLogsRequestMessage())
        try check(FetchLogsRequestMessage())
        try check(SeekRequestMessage())
        try check(CommitOffsetRequestMessage())
        try check(LogEntryMessage())
        try check(LogResponseMessage())
        try check(SendLogsResponseMessage())
        try check(ListLogsResponseMessage())
        try check(FetchLogsResponseMessage())
        try check(SeekResponseMessage())
        try check(CommitOffsetResponseMessage())
        try check(StreamLogsAckMessage())
        try check(HealthCheckRequestMessage())
        try check(HealthCheckResponseMessage())
        try check(ServerReflectionRequestMessage())
        try check(ServerReflectionResponseMessage())
    }

    @Test func mapEncodingIsDeterministic() {
        var meta: [String: String] = [:]
        for index in 0..<50 {
            meta["key-\(index)"] = "value-\(index)"
        }
        let first = ProtobufCodec.encode(LogRequestMessage(meta: meta))
        let second = ProtobufCodec.encode(LogRequestMessage(meta: Dictionary(uniqueKeysWithValues: meta.reversed())))
        #expect(first == second)
    }

    @Test func duplicateMapKeysKeepTheLastValue() throws {
        // meta { key: "k" value: "1" } meta { key: "k" value: "2" }
        let bytes: [UInt8] = [
            0x22, 0x06, 0x0A, 0x01, 0x6B, 0x12, 0x01, 0x31,
            0x22, 0x06, 0x0A, 0x01, 0x6B, 0x12, 0x01, 0x32,
        ]
        #expect(try ProtobufCodec.decode(bytes, as: LogRequestMessage.self).meta == ["k": "2"])
    }

    @Test func unknownFieldsAreSkipped() throws {
        // channel "c", then unknown field 15 (varint 1), unknown field 16 (bytes "zz").
        let bytes: [UInt8] = [0x0A, 0x01, 0x63, 0x78, 0x01, 0x82, 0x01, 0x02, 0x7A, 0x7A]
        #expect(try ProtobufCodec.decode(bytes, as: LogRequestMessage.self) == LogRequestMessage(channel: "c"))
    }

    // MARK: Byte-exact encodings (computed with `protoc --encode`, see below)

    /// `printf 'channel: "orders"\nlevel: "WARN"\nmessage: "Größe → 42 ✓"\nmeta { key: "host" value: "api-1" }\n
    /// meta { key: "région" value: "eu-west" }\nstorage: "sqlite"\ntimestamp: 1700000000123\n'
    /// | protoc --encode=logpilot.LogRequest logpilot.proto | od -An -tx1` (in proto/)
    static let protocLogRequest: [UInt8] = [
        0x0a, 0x06, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x73, 0x12, 0x04, 0x57, 0x41, 0x52, 0x4e, 0x1a, 0x12,
        0x47, 0x72, 0xc3, 0xb6, 0xc3, 0x9f, 0x65, 0x20, 0xe2, 0x86, 0x92, 0x20, 0x34, 0x32, 0x20, 0xe2,
        0x9c, 0x93, 0x22, 0x0d, 0x0a, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x12, 0x05, 0x61, 0x70, 0x69, 0x2d,
        0x31, 0x22, 0x12, 0x0a, 0x07, 0x72, 0xc3, 0xa9, 0x67, 0x69, 0x6f, 0x6e, 0x12, 0x07, 0x65, 0x75,
        0x2d, 0x77, 0x65, 0x73, 0x74, 0x2a, 0x06, 0x73, 0x71, 0x6c, 0x69, 0x74, 0x65, 0x30, 0xfb, 0xd0,
        0x95, 0xff, 0xbc, 0x31,
    ]

    /// `printf 'channel: "c"\nconsumerId: "me"\nlimit: 10\nauto_commit: false\n'
    /// | protoc --encode=logpilot.FetchLogsRequest logpilot.proto`
    static let protocFetchLogsRequest: [UInt8] = [0x12, 0x01, 0x63, 0x18, 0x0a, 0x2a, 0x02, 0x6d, 0x65, 0x30, 0x00]

    /// `printf 'logId: -1\n' | protoc --encode=logpilot.SeekRequest logpilot.proto`
    static let protocSeekRequest: [UInt8] = [0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]

    @Test func encodingMatchesProtoc() throws {
        let request = LogRequestMessage(
            channel: "orders",
            level: "WARN",
            message: "Größe → 42 ✓",
            meta: ["région": "eu-west", "host": "api-1"],
            storage: "sqlite",
            timestamp: 1_700_000_000_123
        )
        #expect(ProtobufCodec.encode(request) == Self.protocLogRequest)
        #expect(try ProtobufCodec.decode(Self.protocLogRequest, as: LogRequestMessage.self) == request)

        let fetch = FetchLogsRequestMessage(channel: "c", limit: 10, consumerId: "me", autoCommit: false)
        #expect(ProtobufCodec.encode(fetch) == Self.protocFetchLogsRequest)
        #expect(try ProtobufCodec.decode(Self.protocFetchLogsRequest, as: FetchLogsRequestMessage.self) == fetch)

        let seek = SeekRequestMessage(logId: -1)
        #expect(ProtobufCodec.encode(seek) == Self.protocSeekRequest)
        #expect(try ProtobufCodec.decode(Self.protocSeekRequest, as: SeekRequestMessage.self) == seek)
    }

    // MARK: Health

    @Test(arguments: [
        HealthCheckResponseMessage.ServingStatus.unknown, .serving, .notServing, .serviceUnknown, .unrecognized(42),
        .unrecognized(-5),
    ])
    func healthRoundTrip(_ status: HealthCheckResponseMessage.ServingStatus) throws {
        try roundTrip(HealthCheckResponseMessage(status: status))
        #expect(HealthCheckResponseMessage.ServingStatus(rawValue: status.rawValue) == status)
    }

    @Test func healthWireNumbers() throws {
        #expect(ProtobufCodec.encode(HealthCheckResponseMessage(status: .serving)) == [0x08, 0x01])
        #expect(ProtobufCodec.encode(HealthCheckResponseMessage(status: .serviceUnknown)) == [0x08, 0x03])
        try roundTrip(HealthCheckRequestMessage(service: "logpilot.LogService"))
    }

    // MARK: Reflection

    static let reflectionRequests: [ServerReflectionRequestMessage] = [
        ServerReflectionRequestMessage(host: "localhost:50051", request: nil),
        ServerReflectionRequestMessage(host: "", request: .fileByFilename("logpilot.proto")),
        ServerReflectionRequestMessage(host: "h", request: .fileByFilename("")),  // set but empty: still present
        ServerReflectionRequestMessage(request: .fileContainingSymbol("logpilot.LogService")),
        ServerReflectionRequestMessage(
            request: .fileContainingExtension(containingType: "logpilot.LogRequest", extensionNumber: 100)
        ),
        ServerReflectionRequestMessage(request: .fileContainingExtension(containingType: "", extensionNumber: 0)),
        ServerReflectionRequestMessage(request: .allExtensionNumbersOfType("logpilot.LogEntry")),
        ServerReflectionRequestMessage(request: .listServices("*")),
        ServerReflectionRequestMessage(request: .listServices("")),
    ]

    @Test(arguments: reflectionRequests)
    func reflectionRequestRoundTrip(_ request: ServerReflectionRequestMessage) throws {
        try roundTrip(request)
    }

    @Test func reflectionResponsesRoundTrip() throws {
        let original = ServerReflectionRequestMessage(host: "h", request: .listServices(""))
        let responses: [ServerReflectionResponseMessage.Response?] = [
            nil,
            .fileDescriptorResponse([]),
            .fileDescriptorResponse([[0x0a, 0x00], [], Array(0...255)]),
            .allExtensionNumbersResponse(baseTypeName: "logpilot.LogEntry", extensionNumbers: [1, 100, .max, .min]),
            .allExtensionNumbersResponse(baseTypeName: "", extensionNumbers: []),
            .listServicesResponse(["grpc.health.v1.Health", "logpilot.LogService"]),
            .listServicesResponse([]),
            .errorResponse(errorCode: 5, errorMessage: "symbol not found: ünknown"),
            .errorResponse(errorCode: 0, errorMessage: ""),
        ]
        for response in responses {
            try roundTrip(ServerReflectionResponseMessage(validHost: "", originalRequest: nil, response: response))
            try roundTrip(
                ServerReflectionResponseMessage(validHost: "host", originalRequest: original, response: response)
            )
        }
    }

    /// `list_services_response { service { name: "a" } }`, as grpcurl expects it, and the request grpcurl sends.
    @Test func reflectionWireShape() throws {
        let response = ServerReflectionResponseMessage(response: .listServicesResponse(["a"]))
        #expect(ProtobufCodec.encode(response) == [0x32, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0x61])
        // host: "" list_services: "" -> only field 7, empty (oneof presence).
        #expect(
            try ProtobufCodec.decode([0x3a, 0x00], as: ServerReflectionRequestMessage.self)
                == ServerReflectionRequestMessage(request: .listServices(""))
        )
    }

    // MARK: Hostile input

    static let garbage: [[UInt8]] = [
        [0xff, 0xff, 0xff],  // a tag varint that never ends
        [0x08],  // field 1 varint with no value (wrong wire type for a string too)
        [0x0a, 0x10, 0x41],  // length 16, only 1 byte follows
        [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x41],  // huge length
        [0x00, 0x00],  // field number 0
        [0x0b, 0x0c],  // groups (wire types 3 and 4)
        [0x0f, 0x01],  // wire type 7
        [0x0a, 0x01],  // length 1, no data
        Array("hello, this is not protobuf".utf8),
        [0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],  // 11-byte varint
    ]

    @Test(arguments: garbage)
    func garbageThrows(_ bytes: [UInt8]) {
        let error = decodingError(bytes, as: LogRequestMessage.self)
        #expect(error?.message == "invalid protobuf in logpilot.LogRequest")
        #expect(decodingError(bytes, as: SendLogsRequestMessage.self) != nil)
        #expect(decodingError(bytes, as: ServerReflectionRequestMessage.self) != nil)
    }

    @Test func wrongWireTypeForKnownFieldThrows() {
        // meta (field 4) sent as a varint.
        #expect(decodingError([0x20, 0x01], as: LogRequestMessage.self) != nil)
        // log_requests (field 1) holding bytes that are not a LogRequest.
        #expect(decodingError([0x0a, 0x02, 0xff, 0xff], as: SendLogsRequestMessage.self) != nil)
    }

    /// Random bytes never crash the decoders (run this under -sanitize=address too).
    @Test func randomBytesNeverCrash() {
        var generator = SplitMix64(seed: 0x5EED)
        for round in 0..<3_000 {
            let count = Int(generator.next() % 64)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if round % 3 == 0, !bytes.isEmpty {
                // Start with a plausible tag so the parser gets further.
                bytes[0] = [0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x30, 0x3a][Int(generator.next() % 7)]
            }
            _ = try? ProtobufCodec.decode(bytes, as: LogRequestMessage.self)
            _ = try? ProtobufCodec.decode(bytes, as: SendLogsRequestMessage.self)
            _ = try? ProtobufCodec.decode(bytes, as: ListLogsRequestMessage.self)
            _ = try? ProtobufCodec.decode(bytes, as: FetchLogsRequestMessage.self)
            _ = try? ProtobufCodec.decode(bytes, as: SeekRequestMessage.self)
            _ = try? ProtobufCodec.decode(bytes, as: CommitOffsetRequestMessage.self)
            _ = try? ProtobufCodec.decode(bytes, as: HealthCheckRequestMessage.self)
            _ = try? ProtobufCodec.decode(bytes, as: ServerReflectionRequestMessage.self)
            _ = try? ProtobufCodec.decode(bytes, as: ServerReflectionResponseMessage.self)
            _ = try? ProtobufCodec.decode(bytes, as: ListLogsResponseMessage.self)
        }
    }

    /// Truncating a valid encoding anywhere must throw or decode, never crash.
    @Test func truncatedMessagesNeverCrash() {
        let bytes = ProtobufCodec.encode(ListLogsResponseMessage(logs: [Self.entry, Self.entry], nextCursor: "n"))
        var failures = 0
        for length in 0..<bytes.count {
            if (try? ProtobufCodec.decode(Array(bytes.prefix(length)), as: ListLogsResponseMessage.self)) == nil {
                failures += 1
            }
        }
        #expect(failures > bytes.count / 2)
    }

    // MARK: Invalid UTF-8

    static let invalidUTF8Sequences: [[UInt8]] = [
        [0xc3, 0x28],  // bad continuation byte
        [0xff],  // never valid
        [0xc0, 0xaf],  // overlong "/"
        [0xed, 0xa0, 0x80],  // UTF-16 surrogate
        [0x61, 0xe2, 0x82],  // truncated sequence
    ]

    @Test(arguments: invalidUTF8Sequences)
    func invalidUTF8ThrowsNamingTheField(_ invalid: [UInt8]) {
        func field(_ number: UInt8, _ payload: [UInt8]) -> [UInt8] {
            [number << 3 | 2, UInt8(payload.count)] + payload
        }
        func message<M: ProtobufMessage>(_ bytes: [UInt8], _ type: M.Type) -> String? {
            decodingError(bytes, as: type)?.message
        }

        #expect(
            message(field(1, invalid), LogRequestMessage.self)
                == "invalid UTF-8 in string field logpilot.LogRequest.channel"
        )
        #expect(
            message(field(1, Array("ok".utf8)) + field(3, invalid), LogRequestMessage.self)
                == "invalid UTF-8 in string field logpilot.LogRequest.message"
        )
        let badValue = field(4, field(1, Array("k".utf8)) + field(2, invalid))
        #expect(
            message(badValue, LogRequestMessage.self) == "invalid UTF-8 in string field logpilot.LogRequest.meta.value"
        )
        let badKey = field(4, field(1, invalid) + field(2, Array("v".utf8)))
        #expect(message(badKey, LogRequestMessage.self) == "invalid UTF-8 in string field logpilot.LogRequest.meta.key")

        let batch = field(1, field(1, Array("fine".utf8))) + field(1, field(2, invalid))
        #expect(
            message(batch, SendLogsRequestMessage.self)
                == "invalid UTF-8 in string field logpilot.SendLogsRequest.log_requests[1].level"
        )
        let levels = field(6, Array("INFO".utf8)) + field(6, invalid)
        #expect(
            message(levels, ListLogsRequestMessage.self)
                == "invalid UTF-8 in string field logpilot.ListLogsRequest.levels[1]"
        )
        #expect(
            message(field(5, invalid), FetchLogsRequestMessage.self)
                == "invalid UTF-8 in string field logpilot.FetchLogsRequest.consumerId"
        )
        #expect(
            message(field(3, invalid), SeekRequestMessage.self)
                == "invalid UTF-8 in string field logpilot.SeekRequest.operation"
        )
        #expect(
            message(field(2, invalid), CommitOffsetRequestMessage.self)
                == "invalid UTF-8 in string field logpilot.CommitOffsetRequest.consumerId"
        )
        #expect(
            message(field(1, invalid), HealthCheckRequestMessage.self)
                == "invalid UTF-8 in string field grpc.health.v1.HealthCheckRequest.service"
        )
        #expect(
            message(field(4, invalid), ServerReflectionRequestMessage.self)
                == "invalid UTF-8 in string field grpc.reflection.v1.ServerReflectionRequest.file_containing_symbol"
        )
        let logs = field(1, field(4, field(2, invalid)))
        #expect(
            message(logs, FetchLogsResponseMessage.self)
                == "invalid UTF-8 in string field logpilot.FetchLogsResponse.logs[0].meta.value"
        )
    }

    /// protobuf-c keeps strings NUL-terminated, so U+0000 ends a string (documented in Messages.swift).
    @Test func embeddedNULEndsAString() throws {
        let bytes = ProtobufCodec.encode(LogRequestMessage(channel: "a\u{0}b"))
        #expect(bytes == [0x0a, 0x01, 0x61])
        #expect(try ProtobufCodec.decode([0x0a, 0x03, 0x61, 0x00, 0x62], as: LogRequestMessage.self).channel == "a")
    }
}

/// A small deterministic PRNG for the fuzz-style tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

import Logging
import Testing
@testable import LogPilotCore

struct IngestorTests {
    let ingestor = Ingestor(
        engine: StorageEngine(configuration: StorageConfiguration(path: "/nonexistent/unused.db"), logger: Logger.quiet),
        limits: IngestLimits(maxBatchRecords: 3, maxMessageBytes: 10, maxMetaBytes: 20, maxMetaKeys: 2, maxChannelBytes: 8)
    )

    func problem(_ records: [IncomingLogRecord], single: Bool = false) -> LogPilotError? {
        do {
            _ = try ingestor.validate(records, single: single)
            return nil
        } catch {
            return error
        }
    }

    @Test func validRecordsAreNormalised() throws {
        let records = try ingestor.validate([
            IncomingLogRecord(channel: "a", level: "warning", message: "m", timestamp: 5),
            IncomingLogRecord(channel: "b", level: nil, message: "", metaJSON: #"{"k":1}"#, metaKeyCount: 1),
        ])
        #expect(records[0].level == .warn)
        #expect(records[0].timestamp == 5)
        #expect(records[1].level == .info)
        #expect(records[1].metaJSON == #"{"k":1}"#)
        #expect(records[1].timestamp > 1_700_000_000_000_000)
    }

    @Test(arguments: [
        (IncomingLogRecord(level: "INFO", message: "m"), "records[1].channel", "is required"),
        (IncomingLogRecord(channel: "", message: "m"), "records[1].channel", "must not be empty"),
        (IncomingLogRecord(channel: "a b", message: "m"), "records[1].channel", "whitespace"),
        (IncomingLogRecord(channel: "123456789", message: "m"), "records[1].channel", "at most 8 bytes"),
        (IncomingLogRecord(channel: "a", level: "LOUD", message: "m"), "records[1].level", "unknown level 'LOUD'"),
        (IncomingLogRecord(channel: "a"), "records[1].message", "is required"),
        (IncomingLogRecord(channel: "a", message: "12345678901"), "records[1].message", "at most 10 bytes"),
        (IncomingLogRecord(channel: "a", message: "m", metaJSON: #"{"k":"123456789012345678"}"#, metaKeyCount: 1), "records[1].meta", "at most 20 bytes"),
        (IncomingLogRecord(channel: "a", message: "m", metaJSON: #"{"a":1,"b":2,"c":3}"#, metaKeyCount: 3), "records[1].meta", "at most 2 keys"),
    ])
    func invalidRecordsAreRejectedNamingIndexAndField(bad: IncomingLogRecord, field: String, reason: String) throws {
        let error = try #require(problem([IncomingLogRecord(channel: "ok", message: "fine"), bad]))
        #expect(error.code == .invalidArgument)
        #expect(error.field == field)
        #expect(error.message.contains(reason))
    }

    @Test func singleRecordErrorsHaveNoIndex() throws {
        let error = try #require(problem([IncomingLogRecord(channel: "a")], single: true))
        #expect(error.field == "message")
    }

    @Test func tooManyRecordsIsPayloadTooLarge() throws {
        let error = try #require(problem(Array(repeating: IncomingLogRecord(channel: "a", message: "m"), count: 4)))
        #expect(error.code == .payloadTooLarge)
    }

    @Test func readLimitIsBounded() throws {
        #expect(throws: LogPilotError.self) { try ingestor.checkReadLimit(-1) }
        #expect(throws: LogPilotError.self) { try ingestor.checkReadLimit(ingestor.limits.maxReadLimit + 1) }
        try ingestor.checkReadLimit(0)
    }

    @Test func ingestIntoAStoppedEngineIsUnavailableAndStoresNothing() async throws {
        do {
            _ = try await ingestor.ingest([IncomingLogRecord(channel: "a", message: "m")], protocol: .rest)
            Issue.record("must fail before start")
        } catch {
            #expect(error.code == .unavailable)
        }
    }
}

struct LogLevelTests {
    @Test(arguments: [
        ("TRACE", LogLevel.trace), ("debug", .debug), ("Info", .info), ("WARN", .warn), ("warning", .warn),
        ("WaRnInG", .warn), ("error", .error), ("FATAL", .fatal),
    ])
    func parsesCaseInsensitively(text: String, level: LogLevel) {
        #expect(LogLevel(parsing: text) == level)
    }

    @Test(arguments: ["", "INFORMATION", "WARN ", "ERR", "critical"])
    func rejectsUnknownNames(text: String) {
        #expect(LogLevel(parsing: text) == nil)
    }

    @Test func namesAreUpperCase() {
        #expect(LogLevel.allCases.map(\.name) == ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"])
    }
}

struct APIKeySetTests {
    @Test func acceptsOnlyConfiguredKeys() {
        let keys = APIKeySet(["alpha-key", "beta", ""])
        #expect(keys.isEnabled)
        #expect(keys.count == 2)
        #expect(keys.accepts("alpha-key"))
        #expect(keys.accepts("beta"))
        #expect(!keys.accepts("alpha-ke"))
        #expect(!keys.accepts("alpha-keyx"))
        #expect(!keys.accepts(""))
        #expect(!keys.accepts("BETA"))
    }

    @Test func lengthsThatDifferByAMultipleOf256DoNotMatch() {
        let key = String(repeating: "a", count: 256)
        let keys = APIKeySet([key])
        #expect(!keys.accepts(""))
        #expect(!keys.accepts(key + String(repeating: "a", count: 256)))
    }

    @Test func emptySetIsDisabled() {
        #expect(!APIKeySet([]).isEnabled)
    }
}

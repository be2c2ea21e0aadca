// Plain Swift values for the protobuf messages the gRPC server reads and writes (proto/logpilot.proto,
// proto/grpc/health/v1/health.proto, proto/grpc/reflection/{v1,v1alpha}/reflection.proto).
//
// No C types appear here: `ProtobufCodec` converts between these values and the wire format. Field comments give
// the proto field name and number. Proto3 scalars default to their zero value (an unset field and a zero field are
// the same on the wire); the only field with presence is `FetchLogsRequestMessage.autoCommit`.
//
// Strings: protobuf-c stores strings as NUL-terminated C strings, so a string field cannot carry U+0000. Decoding
// stops such a string at the first NUL, and encoding does the same (nothing after the NUL is sent).

// MARK: - logpilot.LogService requests

/// `logpilot.LogRequest`: one log record to ingest (`SendLog`, each element of `SendLogs`, and `StreamLogs`).
public struct LogRequestMessage: Sendable, Hashable {
    /// `channel = 1`.
    public var channel: String
    /// `level = 2`: a level name such as `INFO` or `warn`.
    public var level: String
    /// `message = 3`.
    public var message: String
    /// `meta = 4` (`map<string, string>`).
    public var meta: [String: String]
    /// `storage = 5`: ignored by the server (the Java client always sends `"sqlite"`).
    public var storage: String
    /// `timestamp = 6` (addition): event time in epoch milliseconds; 0 = the server's receive time.
    public var timestamp: Int64

    public init(
        channel: String = "",
        level: String = "",
        message: String = "",
        meta: [String: String] = [:],
        storage: String = "",
        timestamp: Int64 = 0
    ) {
        self.channel = channel
        self.level = level
        self.message = message
        self.meta = meta
        self.storage = storage
        self.timestamp = timestamp
    }
}

/// `logpilot.SendLogsRequest`: a batch of records stored in one transaction.
public struct SendLogsRequestMessage: Sendable, Hashable {
    /// `log_requests = 1` (repeated).
    public var logRequests: [LogRequestMessage]

    public init(logRequests: [LogRequestMessage] = []) {
        self.logRequests = logRequests
    }
}

/// `logpilot.ListLogsRequest`: a filtered, paged query.
public struct ListLogsRequestMessage: Sendable, Hashable {
    /// `storage = 1`: ignored.
    public var storage: String
    /// `channel = 2`.
    public var channel: String
    /// `level = 3`.
    public var level: String
    /// `fromTimestamp = 4`: epoch milliseconds; 0 = no lower bound.
    public var fromTimestamp: Int64
    /// `toTimestamp = 5`: epoch milliseconds; 0 = no upper bound.
    public var toTimestamp: Int64
    /// `levels = 6` (addition, repeated).
    public var levels: [String]
    /// `query = 7` (addition): substring of the message.
    public var query: String
    /// `limit = 8` (addition): page size; 0 = 100.
    public var limit: Int32
    /// `cursor = 9` (addition): `nextCursor` of the previous page; empty = first page.
    public var cursor: String

    public init(
        storage: String = "",
        channel: String = "",
        level: String = "",
        fromTimestamp: Int64 = 0,
        toTimestamp: Int64 = 0,
        levels: [String] = [],
        query: String = "",
        limit: Int32 = 0,
        cursor: String = ""
    ) {
        self.storage = storage
        self.channel = channel
        self.level = level
        self.fromTimestamp = fromTimestamp
        self.toTimestamp = toTimestamp
        self.levels = levels
        self.query = query
        self.limit = limit
        self.cursor = cursor
    }
}

/// `logpilot.FetchLogsRequest`: consumer fetch (or latest entries when no consumer is given).
public struct FetchLogsRequestMessage: Sendable, Hashable {
    /// `since = 1`: legacy, used as the consumer id.
    public var since: String
    /// `channel = 2`.
    public var channel: String
    /// `limit = 3`.
    public var limit: Int32
    /// `storage = 4`: ignored.
    public var storage: String
    /// `consumerId = 5`.
    public var consumerId: String
    /// `optional bool auto_commit = 6` (addition): `nil` when the client did not send it, which means `true`.
    public var autoCommit: Bool?

    public init(
        since: String = "",
        channel: String = "",
        limit: Int32 = 0,
        storage: String = "",
        consumerId: String = "",
        autoCommit: Bool? = nil
    ) {
        self.since = since
        self.channel = channel
        self.limit = limit
        self.storage = storage
        self.consumerId = consumerId
        self.autoCommit = autoCommit
    }
}

/// `logpilot.SeekRequest`: moves a consumer's offset.
public struct SeekRequestMessage: Sendable, Hashable {
    /// `channel = 1`.
    public var channel: String
    /// `consumerId = 2`.
    public var consumerId: String
    /// `operation = 3`: `EARLIEST`, `LATEST` or `SPECIFIC`.
    public var operation: String
    /// `logId = 4`: only for `SPECIFIC`.
    public var logId: Int64
    /// `storage = 5`: ignored.
    public var storage: String

    public init(
        channel: String = "",
        consumerId: String = "",
        operation: String = "",
        logId: Int64 = 0,
        storage: String = ""
    ) {
        self.channel = channel
        self.consumerId = consumerId
        self.operation = operation
        self.logId = logId
        self.storage = storage
    }
}

/// `logpilot.CommitOffsetRequest` (addition): commits a consumer's offset explicitly.
public struct CommitOffsetRequestMessage: Sendable, Hashable {
    /// `channel = 1`.
    public var channel: String
    /// `consumerId = 2`.
    public var consumerId: String
    /// `lastLogId = 3`: id of the last record the consumer has processed.
    public var lastLogId: Int64

    public init(channel: String = "", consumerId: String = "", lastLogId: Int64 = 0) {
        self.channel = channel
        self.consumerId = consumerId
        self.lastLogId = lastLogId
    }
}

// MARK: - logpilot.LogService responses

/// `logpilot.LogEntry`: a stored record as returned by `ListLogs` and `FetchLogs`.
public struct LogEntryMessage: Sendable, Hashable {
    /// `channel = 1`.
    public var channel: String
    /// `level = 2`.
    public var level: String
    /// `message = 3`.
    public var message: String
    /// `meta = 4` (`map<string, string>`).
    public var meta: [String: String]
    /// `timestamp = 5`: epoch milliseconds.
    public var timestamp: Int64
    /// `id = 6`.
    public var id: Int64
    /// `timestamp_micros = 7` (addition): the same instant in epoch microseconds.
    public var timestampMicros: Int64

    public init(
        channel: String = "",
        level: String = "",
        message: String = "",
        meta: [String: String] = [:],
        timestamp: Int64 = 0,
        id: Int64 = 0,
        timestampMicros: Int64 = 0
    ) {
        self.channel = channel
        self.level = level
        self.message = message
        self.meta = meta
        self.timestamp = timestamp
        self.id = id
        self.timestampMicros = timestampMicros
    }
}

/// `logpilot.LogResponse`: answer of `SendLog`.
public struct LogResponseMessage: Sendable, Hashable {
    /// `status = 1`: `"success"` or `"error"`.
    public var status: String
    /// `message = 2`.
    public var message: String
    /// `id = 3` (addition): id of the stored record; 0 on error.
    public var id: Int64

    public init(status: String = "", message: String = "", id: Int64 = 0) {
        self.status = status
        self.message = message
        self.id = id
    }
}

/// `logpilot.SendLogsResponse`: answer of `SendLogs`.
public struct SendLogsResponseMessage: Sendable, Hashable {
    /// `status = 1`: `"success"` or `"error"`.
    public var status: String
    /// `message = 2`.
    public var message: String
    /// `accepted = 3` (addition): number of records stored.
    public var accepted: Int64
    /// `first_id = 4` (addition): id of the first stored record; 0 if none.
    public var firstId: Int64
    /// `last_id = 5` (addition): id of the last stored record; 0 if none.
    public var lastId: Int64

    public init(status: String = "", message: String = "", accepted: Int64 = 0, firstId: Int64 = 0, lastId: Int64 = 0) {
        self.status = status
        self.message = message
        self.accepted = accepted
        self.firstId = firstId
        self.lastId = lastId
    }
}

/// `logpilot.ListLogsResponse`: one page of `ListLogs`.
public struct ListLogsResponseMessage: Sendable, Hashable {
    /// `logs = 1` (repeated).
    public var logs: [LogEntryMessage]
    /// `next_cursor = 2` (addition): cursor of the next page; empty = no more pages.
    public var nextCursor: String
    /// `truncated = 3` (addition): `scan_limit` or `timeout` when the search stopped at its work bound; empty when
    /// the page is complete.
    public var truncated: String

    public init(logs: [LogEntryMessage] = [], nextCursor: String = "", truncated: String = "") {
        self.logs = logs
        self.nextCursor = nextCursor
        self.truncated = truncated
    }
}

/// `logpilot.FetchLogsResponse`: answer of `FetchLogs`.
public struct FetchLogsResponseMessage: Sendable, Hashable {
    /// `logs = 1` (repeated).
    public var logs: [LogEntryMessage]

    public init(logs: [LogEntryMessage] = []) {
        self.logs = logs
    }
}

/// `logpilot.SeekResponse`: answer of `Seek`.
public struct SeekResponseMessage: Sendable, Hashable {
    /// `status = 1`: `"success"` or `"error"`.
    public var status: String
    /// `message = 2`.
    public var message: String
    /// `offset = 3` (addition): the consumer's offset after the seek.
    public var offset: Int64

    public init(status: String = "", message: String = "", offset: Int64 = 0) {
        self.status = status
        self.message = message
        self.offset = offset
    }
}

/// `logpilot.CommitOffsetResponse` (addition): answer of `CommitOffset`.
public struct CommitOffsetResponseMessage: Sendable, Hashable {
    /// `status = 1`: `"success"` or `"error"`.
    public var status: String
    /// `message = 2`.
    public var message: String
    /// `offset = 3`: the committed offset.
    public var offset: Int64

    public init(status: String = "", message: String = "", offset: Int64 = 0) {
        self.status = status
        self.message = message
        self.offset = offset
    }
}

/// `logpilot.StreamLogsAck` (addition): one acknowledgement on the `StreamLogs` response stream.
public struct StreamLogsAckMessage: Sendable, Hashable {
    /// `records_committed = 1`: cumulative number of records stored on this stream.
    public var recordsCommitted: Int64
    /// `last_id = 2`: id of the last stored record.
    public var lastId: Int64

    public init(recordsCommitted: Int64 = 0, lastId: Int64 = 0) {
        self.recordsCommitted = recordsCommitted
        self.lastId = lastId
    }
}

// MARK: - grpc.health.v1

/// `grpc.health.v1.HealthCheckRequest` (`Check` and `Watch`).
public struct HealthCheckRequestMessage: Sendable, Hashable {
    /// `service = 1`: a fully qualified service name, or empty for the server as a whole.
    public var service: String

    public init(service: String = "") {
        self.service = service
    }
}

/// `grpc.health.v1.HealthCheckResponse`.
public struct HealthCheckResponseMessage: Sendable, Hashable {
    /// `grpc.health.v1.HealthCheckResponse.ServingStatus`. Proto3 enums are open: a value this server does not know
    /// decodes as `.unrecognized`.
    public enum ServingStatus: Sendable, Hashable {
        /// `UNKNOWN = 0`.
        case unknown
        /// `SERVING = 1`.
        case serving
        /// `NOT_SERVING = 2`.
        case notServing
        /// `SERVICE_UNKNOWN = 3`: used only by `Watch`.
        case serviceUnknown
        /// Any other number.
        case unrecognized(Int32)

        /// The wire number.
        public var rawValue: Int32 {
            switch self {
            case .unknown: 0
            case .serving: 1
            case .notServing: 2
            case .serviceUnknown: 3
            case .unrecognized(let value): value
            }
        }

        /// The case for a wire number (`.unrecognized` for numbers outside the enum).
        public init(rawValue: Int32) {
            switch rawValue {
            case 0: self = .unknown
            case 1: self = .serving
            case 2: self = .notServing
            case 3: self = .serviceUnknown
            default: self = .unrecognized(rawValue)
            }
        }
    }

    /// `status = 1`.
    public var status: ServingStatus

    public init(status: ServingStatus = .unknown) {
        self.status = status
    }
}

// MARK: - grpc.reflection.v1 / grpc.reflection.v1alpha

/// `grpc.reflection.v1.ServerReflectionRequest`, also used for `grpc.reflection.v1alpha.ServerReflectionRequest`:
/// the two protos have the same messages with the same field numbers and types, so the wire format is identical.
public struct ServerReflectionRequestMessage: Sendable, Hashable {
    /// The `message_request` oneof.
    public enum Request: Sendable, Hashable {
        /// `file_by_filename = 3`.
        case fileByFilename(String)
        /// `file_containing_symbol = 4`: a fully qualified symbol.
        case fileContainingSymbol(String)
        /// `file_containing_extension = 5` (`ExtensionRequest{containing_type = 1, extension_number = 2}`).
        case fileContainingExtension(containingType: String, extensionNumber: Int32)
        /// `all_extension_numbers_of_type = 6`: a fully qualified message type.
        case allExtensionNumbersOfType(String)
        /// `list_services = 7`: the content is not checked.
        case listServices(String)
    }

    /// `host = 1`.
    public var host: String
    /// The `message_request` oneof; `nil` when the client set none of its fields.
    public var request: Request?

    public init(host: String = "", request: Request? = nil) {
        self.host = host
        self.request = request
    }
}

/// `grpc.reflection.v1.ServerReflectionResponse`, also used for `grpc.reflection.v1alpha` (identical wire format).
public struct ServerReflectionResponseMessage: Sendable, Hashable {
    /// The `message_response` oneof.
    public enum Response: Sendable, Hashable {
        /// `file_descriptor_response = 4` (`FileDescriptorResponse{repeated bytes file_descriptor_proto = 1}`):
        /// serialized `google.protobuf.FileDescriptorProto`s.
        case fileDescriptorResponse([[UInt8]])
        /// `all_extension_numbers_response = 5`
        /// (`ExtensionNumberResponse{base_type_name = 1, repeated int32 extension_number = 2}`).
        case allExtensionNumbersResponse(baseTypeName: String, extensionNumbers: [Int32])
        /// `list_services_response = 6` (`ListServiceResponse{repeated ServiceResponse service = 1}`, where
        /// `ServiceResponse{name = 1}`): fully qualified service names.
        case listServicesResponse([String])
        /// `error_response = 7` (`ErrorResponse{int32 error_code = 1, error_message = 2}`): a gRPC status code.
        case errorResponse(errorCode: Int32, errorMessage: String)
    }

    /// `valid_host = 1`.
    public var validHost: String
    /// `original_request = 2`.
    public var originalRequest: ServerReflectionRequestMessage?
    /// The `message_response` oneof; `nil` when none is set.
    public var response: Response?

    public init(
        validHost: String = "",
        originalRequest: ServerReflectionRequestMessage? = nil,
        response: Response? = nil
    ) {
        self.validHost = validHost
        self.originalRequest = originalRequest
        self.response = response
    }
}

/// The one error type of LogPilot's core. Fronts map `code` to an HTTP status or a gRPC status at the edge.
public struct LogPilotError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; extensible without breaking `switch`es (a struct wrapping a private enum).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case invalidArgument, payloadTooLarge, overloaded, rateLimited, streamLimit, unavailable, storageFull,
                storageFailure, notFound, internalError
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The input is invalid (400 / INVALID_ARGUMENT).
        public static let invalidArgument = Code(.invalidArgument)
        /// A size or count limit was exceeded (413 / RESOURCE_EXHAUSTED).
        public static let payloadTooLarge = Code(.payloadTooLarge)
        /// The write queue is full; retry after `retryAfterSeconds` (429 / RESOURCE_EXHAUSTED).
        public static let overloaded = Code(.overloaded)
        /// The client spent its rate-limit tokens; retry after `retryAfterSeconds` (429 / RESOURCE_EXHAUSTED).
        public static let rateLimited = Code(.rateLimited)
        /// The records would create more streams than `StreamLimits.maxStreams` allows (429 / RESOURCE_EXHAUSTED);
        /// retrying helps only once retention has removed streams.
        public static let streamLimit = Code(.streamLimit)
        /// The server is starting or shutting down, or storage is temporarily unusable (503 / UNAVAILABLE).
        public static let unavailable = Code(.unavailable)
        /// The disk is full (507 / RESOURCE_EXHAUSTED).
        public static let storageFull = Code(.storageFull)
        /// SQLite failed: read-only volume, corruption, I/O error (503 / UNAVAILABLE).
        public static let storageFailure = Code(.storageFailure)
        /// The thing asked for does not exist (404 / NOT_FOUND).
        public static let notFound = Code(.notFound)
        /// A bug (500 / INTERNAL).
        public static let internalError = Code(.internalError)

        public var description: String { "\(wrapped)" }
    }

    public var code: Code
    /// A message safe to show to the client; names the field and batch index for validation errors.
    public var message: String
    /// For validation errors: the offending field, e.g. `records[3].level`.
    public var field: String?
    /// For `overloaded`: how long the client should wait before retrying.
    public var retryAfterSeconds: Int?
    /// For storage errors: SQLite's result code.
    public var sqliteCode: Int32?

    public init(
        code: Code,
        message: String,
        field: String? = nil,
        retryAfterSeconds: Int? = nil,
        sqliteCode: Int32? = nil
    ) {
        self.code = code
        self.message = message
        self.field = field
        self.retryAfterSeconds = retryAfterSeconds
        self.sqliteCode = sqliteCode
    }

    public var description: String { "\(code): \(message)" }

    /// A validation error naming the field.
    public static func invalid(_ field: String, _ reason: String) -> LogPilotError {
        LogPilotError(code: .invalidArgument, message: "\(field): \(reason)", field: field)
    }

    /// Maps a SQLite failure to the client-facing error, keeping SQLite's reason.
    public static func storage(_ error: SQLiteError) -> LogPilotError {
        switch error.resultCode {
        case SQLiteError.full:
            LogPilotError(
                code: .storageFull,
                message: "storage is full (\(error.codeName): \(error.message)); nothing of this request was stored",
                sqliteCode: error.resultCode
            )
        case SQLiteError.busy, SQLiteError.locked:
            LogPilotError(
                code: .unavailable,
                message: "storage is busy (\(error.codeName): \(error.message)); retry later",
                retryAfterSeconds: 1,
                sqliteCode: error.resultCode
            )
        default:
            LogPilotError(
                code: .storageFailure,
                message: "storage failure (\(error.codeName): \(error.message))",
                sqliteCode: error.resultCode
            )
        }
    }
}

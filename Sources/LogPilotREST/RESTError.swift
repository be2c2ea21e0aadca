public import HTTPTypes
public import LogPilotCore

/// An error answered by the REST front: an HTTP status and the Java-compatible JSON body
/// `{"errorCode": ..., "message": ..., "timestamp": ...}` (plus `field` when a field is at fault).
public struct RESTError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var errorCode: String
    public var message: String
    public var field: String?
    public var headers: HTTPFields

    public init(
        status: HTTPResponse.Status,
        errorCode: String,
        message: String,
        field: String? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.errorCode = errorCode
        self.message = message
        self.field = field
        self.headers = headers
    }

    /// 400 BAD_REQUEST: the request cannot be read (malformed JSON, bad query parameter).
    static func badRequest(_ message: String, field: String? = nil) -> RESTError {
        RESTError(status: .badRequest, errorCode: "BAD_REQUEST", message: message, field: field)
    }

    /// 400 VALIDATION_ERROR naming the field.
    static func validation(_ field: String, _ reason: String) -> RESTError {
        RESTError(status: .badRequest, errorCode: "VALIDATION_ERROR", message: "\(field): \(reason)", field: field)
    }

    /// Maps a core error to its HTTP form. The one place where LogPilotError meets HTTP.
    public init(_ error: LogPilotError) {
        var headers: HTTPFields = [:]
        if let retry = error.retryAfterSeconds {
            headers[.retryAfter] = String(retry)
            headers[HTTPField.Name("X-Rate-Limit-Retry-After-Seconds")!] = String(retry)
        }
        let (status, code): (HTTPResponse.Status, String) =
            switch error.code {
            case .invalidArgument: (.badRequest, "VALIDATION_ERROR")
            case .payloadTooLarge: (.contentTooLarge, "PAYLOAD_TOO_LARGE")
            case .overloaded: (.tooManyRequests, "TOO_MANY_REQUESTS")
            case .rateLimited: (.tooManyRequests, "RATE_LIMITED")
            case .streamLimit: (.tooManyRequests, "STREAM_LIMIT_EXCEEDED")
            case .unavailable: (.serviceUnavailable, "SERVICE_UNAVAILABLE")
            case .storageFull: (HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), "INSUFFICIENT_STORAGE")
            case .storageFailure: (.serviceUnavailable, "STORAGE_ERROR")
            case .notFound: (.notFound, "NOT_FOUND")
            default: (.internalServerError, "INTERNAL_SERVER_ERROR")
            }
        self.init(status: status, errorCode: code, message: error.message, field: error.field, headers: headers)
    }

    /// The JSON body.
    func body() -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 128 + message.utf8.count)
        writer.beginObject()
        writer.writeKey("errorCode")
        writer.writeString(errorCode)
        writer.writeKey("message")
        writer.writeString(message)
        if let field {
            writer.writeKey("field")
            writer.writeString(field)
        }
        writer.writeKey("timestamp")
        writer.writeTimestamp(microseconds: WallClock.nowMicroseconds())
        writer.endObject()
        return writer.bytes
    }
}

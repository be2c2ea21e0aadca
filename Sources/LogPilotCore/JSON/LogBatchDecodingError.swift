/// A log request body that ``LogBatchJSONDecoder`` rejected.
///
/// The error never contains input bytes, so its ``description`` is safe to return to clients:
///
/// - `invalid JSON at byte 17: expected ',' or '}'` for ``Kind/syntax``,
/// - `records[3].timestamp: not an ISO-8601 timestamp or epoch milliseconds` for a batch field,
/// - `timestamp: not an ISO-8601 timestamp or epoch milliseconds` for a single-record body,
/// - `records[10000]: a batch may contain at most 10000 records` for ``Kind/tooManyRecords``.
public struct LogBatchDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The category of a decoding error.
    public enum Kind: Sendable, Equatable {
        /// The body is not valid JSON, has the wrong top-level shape, or exceeds a syntax limit.
        case syntax

        /// The body is valid JSON but a record or one of its fields has the wrong type or value.
        case invalidField

        /// The batch array has more elements than ``LogBatchJSONDecoder/maxRecords``.
        case tooManyRecords
    }

    /// The category of the error.
    public var kind: Kind

    /// The index of the affected record in the batch; `nil` for a single-record body and for errors
    /// outside any record (such as a missing `[` or a missing `,` between records).
    public var index: Int?

    /// The affected field: `"channel"`, `"level"`, `"message"`, `"timestamp"` or `"meta"`; `nil`
    /// when the error does not concern one of these fields.
    public var field: String?

    /// The zero-based byte offset in the body at which the problem was detected.
    public var offset: Int

    /// A short description of the problem, for example `expected a string`.
    public var reason: String

    /// Creates a decoding error.
    ///
    /// - Parameters:
    ///   - kind: The category of the error.
    ///   - index: The index of the affected record, if any.
    ///   - field: The affected field, if any.
    ///   - offset: The byte offset of the problem.
    ///   - reason: A short description of the problem.
    public init(kind: Kind, index: Int? = nil, field: String? = nil, offset: Int, reason: String) {
        self.kind = kind
        self.index = index
        self.field = field
        self.offset = offset
        self.reason = reason
    }

    /// A message locating the problem, in one of the forms listed on the type.
    public var description: String {
        if self.kind == .syntax {
            return "invalid JSON at byte \(self.offset): \(self.reason)"
        }
        var location = ""
        if let index = self.index {
            location = "records[\(index)]"
        }
        if let field = self.field {
            location += location.isEmpty ? field : "." + field
        }
        return location.isEmpty ? self.reason : "\(location): \(self.reason)"
    }
}

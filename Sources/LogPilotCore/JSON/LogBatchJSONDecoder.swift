/// Decodes log ingestion request bodies straight from their bytes, without building a JSON tree.
///
/// The decoder validates the whole body as strict RFC 8259 JSON (see ``JSONParser``) while it
/// extracts the fields of each log object:
///
/// - `channel`, `level`, `message`: a string or `null`. The level is kept as sent, not validated.
/// - `timestamp`: an ISO-8601 string (see ``ISO8601Timestamp``), an integer of epoch milliseconds,
///   or `null`; stored as microseconds since the Unix epoch.
/// - `meta`: an object nesting at most ``maxMetaDepth`` levels, or `null`; stored as compact JSON
///   text (`nil` for `{}`) with its number of top-level members.
///
/// Every other key, including `id` and `storage`, is validated and skipped; its value may nest at
/// most ``maxMetaDepth`` levels too. When a key repeats, the last occurrence wins. Decoding stops at
/// the first problem, reported as a ``LogBatchDecodingError`` with its byte offset.
///
/// The `meta` text keeps strings and numbers exactly as sent (escape sequences included) and drops
/// insignificant whitespace, so it parses to the same ``JSONValue`` as the original object.
public struct LogBatchJSONDecoder: Sendable {
    /// The most elements a batch array may have; longer batches fail with
    /// ``LogBatchDecodingError/Kind/tooManyRecords`` as soon as the extra element is reached.
    public var maxRecords: Int

    /// The deepest container nesting allowed in `meta` (the `meta` object itself is depth 1) and in
    /// the values of skipped keys.
    public var maxMetaDepth: Int = 16

    /// Creates a decoder.
    ///
    /// - Parameters:
    ///   - maxRecords: The most records a batch may contain. The default is 10 000.
    ///   - maxMetaDepth: The deepest nesting allowed in `meta`. The default is 16.
    public init(maxRecords: Int = 10_000, maxMetaDepth: Int = 16) {
        self.maxRecords = maxRecords
        self.maxMetaDepth = maxMetaDepth
    }

    /// Decodes a body that is a JSON array of log objects (`POST /api/logs/batch`).
    ///
    /// - Parameter bytes: The request body.
    /// - Returns: The records in body order; empty for `[]`.
    /// - Throws: ``LogBatchDecodingError`` for the first problem found.
    public func decodeBatch(_ bytes: UnsafeRawBufferPointer) throws(LogBatchDecodingError) -> [DecodedLogRecord] {
        guard let scanner = JSONScanner(bytes) else {
            throw Self.emptyBodyError(expecting: "expected a JSON array of log records")
        }
        var reader = LogRecordReader(scanner: scanner, maxMetaDepth: self.maxMetaDepth)
        let records: [DecodedLogRecord]?
        do {
            records = try reader.readBatch(maxRecords: self.maxRecords)
        } catch {
            throw reader.syntaxFailure(error)
        }
        guard let records else {
            throw reader.stoppingFailure
        }
        return records
    }

    /// Decodes a body that is a single log object (`POST /api/logs`).
    ///
    /// - Parameter bytes: The request body.
    /// - Returns: The record.
    /// - Throws: ``LogBatchDecodingError`` for the first problem found.
    public func decodeSingle(_ bytes: UnsafeRawBufferPointer) throws(LogBatchDecodingError) -> DecodedLogRecord {
        guard let scanner = JSONScanner(bytes) else {
            throw Self.emptyBodyError(expecting: "expected a JSON object")
        }
        var reader = LogRecordReader(scanner: scanner, maxMetaDepth: self.maxMetaDepth)
        let record: DecodedLogRecord?
        do {
            record = try reader.readSingle()
        } catch {
            throw reader.syntaxFailure(error)
        }
        guard let record else {
            throw reader.stoppingFailure
        }
        return record
    }

    private static func emptyBodyError(expecting expectation: String) -> LogBatchDecodingError {
        LogBatchDecodingError(kind: .syntax, offset: 0, reason: "unexpected end of input; " + expectation)
    }
}

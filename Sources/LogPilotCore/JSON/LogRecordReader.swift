/// The streaming state of one ``LogBatchJSONDecoder`` call: reads log objects field by field.
///
/// Methods throw ``JSONSyntaxError`` for malformed JSON. Problems with well-formed JSON (a wrong
/// field type, too many records) are stored in ``failure`` and reported by returning `nil`.
struct LogRecordReader {
    /// The keys of a log object that the decoder interprets.
    private enum Field {
        case channel, level, message, timestamp, meta, other

        /// Identifies a key from its decoded UTF-8 bytes.
        ///
        /// Keys are compared as little-endian words: the first eight bytes, plus the ninth for
        /// `timestamp`.
        @inline(__always)
        init(key: UnsafeBufferPointer<UInt8>) {
            switch key.count {
            case 4 where Self.word(key) == Self.word("meta"): self = .meta
            case 5 where Self.word(key) == Self.word("level"): self = .level
            case 7 where Self.word(key) == Self.word("channel"): self = .channel
            case 7 where Self.word(key) == Self.word("message"): self = .message
            case 9 where Self.word(key) == Self.word("timestamp") && key[8] == UInt8(ascii: "p"): self = .timestamp
            default: self = .other
            }
        }

        /// Packs the first (at most eight) bytes into a word, first byte lowest.
        @inline(__always)
        private static func word(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
            var word: UInt64 = 0
            for index in 0..<min(bytes.count, 8) {
                word |= UInt64(bytes[index]) &<< UInt64(index &* 8)
            }
            return word
        }

        @inline(__always)
        private static func word(_ name: StaticString) -> UInt64 {
            Self.word(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        }
    }

    private var scanner: JSONScanner
    private var metaBuffer = CompactJSONBuffer()
    private let maxMetaDepth: Int

    /// The index of the batch element being read; `nil` outside records and for single bodies.
    private var recordIndex: Int?

    /// The problem that stopped reading, when a method returned `nil`.
    private(set) var failure: LogBatchDecodingError?

    init(scanner: JSONScanner, maxMetaDepth: Int) {
        self.scanner = scanner
        self.maxMetaDepth = maxMetaDepth
    }

    /// The error for a syntax problem met at the current position.
    func syntaxFailure(_ error: JSONSyntaxError) -> LogBatchDecodingError {
        LogBatchDecodingError(kind: .syntax, index: self.recordIndex, offset: error.offset, reason: error.reason)
    }

    /// The error to report after a method returned `nil`.
    var stoppingFailure: LogBatchDecodingError {
        self.failure
            ?? LogBatchDecodingError(kind: .syntax, offset: self.scanner.index, reason: "decoding stopped")
    }

    // MARK: - Bodies

    /// Reads a body holding an array of log objects; `nil` when ``failure`` was set.
    mutating func readBatch(maxRecords: Int) throws(JSONSyntaxError) -> [DecodedLogRecord]? {
        self.scanner.skipWhitespace()
        guard self.scanner.currentByte == UInt8(ascii: "[") else {
            throw self.scanner.unexpectedByte("expected a JSON array of log records")
        }
        self.scanner.index &+= 1
        self.scanner.skipWhitespace()
        var records: [DecodedLogRecord] = []
        if self.scanner.currentByte == UInt8(ascii: "]") {
            self.scanner.index &+= 1
            try self.expectEndOfBody()
            return records
        }
        // A log object takes at least a few dozen bytes in practice; avoid most regrowth.
        records.reserveCapacity(max(1, min(maxRecords, self.scanner.count / 128)))
        while true {
            self.scanner.skipWhitespace()
            guard records.count < maxRecords else {
                self.failure = LogBatchDecodingError(
                    kind: .tooManyRecords,
                    index: records.count,
                    offset: self.scanner.index,
                    reason: "a batch may contain at most \(maxRecords) records"
                )
                return nil
            }
            self.recordIndex = records.count
            guard let record = try self.readRecord() else {
                return nil
            }
            records.append(record)
            self.recordIndex = nil
            self.scanner.skipWhitespace()
            switch self.scanner.currentByte {
            case UInt8(ascii: ","):
                self.scanner.index &+= 1
            case UInt8(ascii: "]"):
                self.scanner.index &+= 1
                try self.expectEndOfBody()
                return records
            default:
                throw self.scanner.unexpectedByte("expected ',' or ']'")
            }
        }
    }

    /// Reads a body holding one log object; `nil` when ``failure`` was set.
    mutating func readSingle() throws(JSONSyntaxError) -> DecodedLogRecord? {
        self.scanner.skipWhitespace()
        guard self.scanner.currentByte == UInt8(ascii: "{") else {
            throw self.scanner.unexpectedByte("expected a JSON object")
        }
        guard let record = try self.readRecord() else {
            return nil
        }
        try self.expectEndOfBody()
        return record
    }

    private mutating func expectEndOfBody() throws(JSONSyntaxError) {
        self.scanner.skipWhitespace()
        guard self.scanner.index == self.scanner.count else {
            throw JSONSyntaxError(offset: self.scanner.index, reason: "unexpected data after the JSON value")
        }
    }

    // MARK: - Records

    /// Reads the log object at the cursor; `nil` when ``failure`` was set.
    private mutating func readRecord() throws(JSONSyntaxError) -> DecodedLogRecord? {
        guard let first = self.scanner.currentByte, first == UInt8(ascii: "{") else {
            if let byte = self.scanner.currentByte, JSONScanner.isValueStart(byte) {
                self.fail(field: nil, at: self.scanner.index, reason: "expected a JSON object")
                return nil
            }
            throw self.scanner.unexpectedByte("expected a value")
        }
        self.scanner.index &+= 1
        self.scanner.skipWhitespace()
        var record = DecodedLogRecord()
        if self.scanner.currentByte == UInt8(ascii: "}") {
            self.scanner.index &+= 1
            return record
        }
        var keyExpectation = "expected a string key or '}'"
        while true {
            guard self.scanner.currentByte == UInt8(ascii: "\"") else {
                throw self.scanner.unexpectedByte(keyExpectation)
            }
            let keyToken = try self.scanner.scanString()
            let field = self.scanner.withContents(of: keyToken) { Field(key: $0) }
            self.scanner.skipWhitespace()
            guard self.scanner.currentByte == UInt8(ascii: ":") else {
                throw self.scanner.unexpectedByte("expected ':'")
            }
            self.scanner.index &+= 1
            self.scanner.skipWhitespace()
            guard let valueStart = self.scanner.currentByte, JSONScanner.isValueStart(valueStart) else {
                throw self.scanner.unexpectedByte("expected a value")
            }

            let isValid: Bool
            switch field {
            case .channel:
                isValid = try self.readString(into: &record.channel, field: "channel")
            case .level:
                isValid = try self.readString(into: &record.level, field: "level")
            case .message:
                isValid = try self.readString(into: &record.message, field: "message")
            case .timestamp:
                isValid = try self.readTimestamp(into: &record.timestamp)
            case .meta:
                isValid = try self.readMeta(into: &record)
            case .other:
                isValid = try self.skipValue()
            }
            guard isValid else {
                return nil
            }

            self.scanner.skipWhitespace()
            switch self.scanner.currentByte {
            case UInt8(ascii: ","):
                self.scanner.index &+= 1
                self.scanner.skipWhitespace()
                keyExpectation = "expected a string key"
            case UInt8(ascii: "}"):
                self.scanner.index &+= 1
                return record
            default:
                throw self.scanner.unexpectedByte("expected ',' or '}'")
            }
        }
    }

    // MARK: - Fields

    /// Reads a string-or-null field; `false` when ``failure`` was set.
    private mutating func readString(into value: inout String?, field: String) throws(JSONSyntaxError) -> Bool {
        switch self.scanner.currentByte {
        case UInt8(ascii: "\""):
            let token = try self.scanner.scanString()
            value = self.scanner.makeString(token)
            return true
        case UInt8(ascii: "n"):
            try self.scanner.scanLiteral("null")
            value = nil
            return true
        default:
            self.fail(field: field, at: self.scanner.index, reason: "expected a string")
            return false
        }
    }

    /// Reads the `timestamp` field; `false` when ``failure`` was set.
    private mutating func readTimestamp(into value: inout Int64?) throws(JSONSyntaxError) -> Bool {
        let start = self.scanner.index
        switch self.scanner.currentByte ?? 0 {
        case UInt8(ascii: "\""):
            let token = try self.scanner.scanString()
            let microseconds = self.scanner.withContents(of: token) {
                ISO8601Timestamp.parseMicroseconds(UnsafeRawBufferPointer($0))
            }
            guard let microseconds else {
                self.fail(field: "timestamp", at: start, reason: "not an ISO-8601 timestamp or epoch milliseconds")
                return false
            }
            value = microseconds
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let token = try self.scanner.scanNumber()
            guard token.isInteger else {
                self.fail(field: "timestamp", at: start, reason: "epoch milliseconds must be an integer")
                return false
            }
            guard let milliseconds = JSONNumberLiteral.int64(from: self.scanner.bytes(of: token)) else {
                self.fail(field: "timestamp", at: start, reason: "epoch milliseconds out of range")
                return false
            }
            let (microseconds, overflow) = milliseconds.multipliedReportingOverflow(by: 1000)
            guard !overflow else {
                self.fail(field: "timestamp", at: start, reason: "epoch milliseconds out of range")
                return false
            }
            value = microseconds
            return true
        case UInt8(ascii: "n"):
            try self.scanner.scanLiteral("null")
            value = nil
            return true
        default:
            self.fail(field: "timestamp", at: start, reason: "not an ISO-8601 timestamp or epoch milliseconds")
            return false
        }
    }

    /// Reads the `meta` field; `false` when ``failure`` was set.
    private mutating func readMeta(into record: inout DecodedLogRecord) throws(JSONSyntaxError) -> Bool {
        switch self.scanner.currentByte {
        case UInt8(ascii: "{"):
            // Validate first, only counting the compact length. Machine-written JSON rarely has
            // whitespace inside `meta`; then the input bytes already are the compact text.
            let start = self.scanner.index
            var counter = CountingJSONSink()
            var outcome = try self.scanner.transferValue(maxDepth: self.maxMetaDepth, into: &counter)
            let isCompact = counter.count == self.scanner.index &- start
            if case .transferred(let memberCount) = outcome, memberCount > 0, !isCompact {
                self.scanner.index = start
                self.metaBuffer.bytes.removeAll(keepingCapacity: true)
                outcome = try self.scanner.transferValue(maxDepth: self.maxMetaDepth, into: &self.metaBuffer)
            }
            switch outcome {
            case .transferred(let memberCount):
                record.metaKeyCount = memberCount
                if memberCount == 0 {
                    record.metaJSON = nil
                } else if isCompact {
                    record.metaJSON = String(decoding: self.scanner.bytes(from: start), as: UTF8.self)
                } else {
                    record.metaJSON = String(decoding: self.metaBuffer.bytes, as: UTF8.self)
                }
                return true
            case .depthLimitExceeded(let offset):
                self.fail(field: "meta", at: offset, reason: "nesting deeper than \(self.maxMetaDepth) levels")
                return false
            }
        case UInt8(ascii: "n"):
            try self.scanner.scanLiteral("null")
            record.metaJSON = nil
            record.metaKeyCount = 0
            return true
        default:
            self.fail(field: "meta", at: self.scanner.index, reason: "expected a JSON object")
            return false
        }
    }

    /// Validates and skips the value of an uninterpreted key; `false` when ``failure`` was set.
    private mutating func skipValue() throws(JSONSyntaxError) -> Bool {
        var sink = DiscardingJSONSink()
        let outcome = try self.scanner.transferValue(maxDepth: self.maxMetaDepth, into: &sink)
        guard case .depthLimitExceeded(let offset) = outcome else {
            return true
        }
        self.fail(field: nil, at: offset, reason: "a field value nests deeper than \(self.maxMetaDepth) levels")
        return false
    }

    private mutating func fail(field: String?, at offset: Int, reason: String) {
        self.failure = LogBatchDecodingError(
            kind: .invalidField,
            index: self.recordIndex,
            field: field,
            offset: offset,
            reason: reason
        )
    }
}

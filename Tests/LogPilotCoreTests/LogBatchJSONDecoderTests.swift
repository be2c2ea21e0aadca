import Testing

@testable import LogPilotCore

struct LogBatchJSONDecoderTests {
    // MARK: - Helpers

    private static func decodeBatch(
        _ text: String,
        decoder: LogBatchJSONDecoder = .init()
    ) throws(LogBatchDecodingError) -> [DecodedLogRecord] {
        try Array(text.utf8).withUnsafeBytes { raw in
            Result { () throws(LogBatchDecodingError) in try decoder.decodeBatch(raw) }
        }.get()
    }

    private static func decodeSingle(
        _ text: String,
        decoder: LogBatchJSONDecoder = .init()
    ) throws(LogBatchDecodingError) -> DecodedLogRecord {
        try Array(text.utf8).withUnsafeBytes { raw in
            Result { () throws(LogBatchDecodingError) in try decoder.decodeSingle(raw) }
        }.get()
    }

    private static func batchError(_ text: String, decoder: LogBatchJSONDecoder = .init()) -> LogBatchDecodingError? {
        do {
            _ = try Self.decodeBatch(text, decoder: decoder)
            return nil
        } catch {
            return error
        }
    }

    private static func singleError(_ text: String, decoder: LogBatchJSONDecoder = .init()) -> LogBatchDecodingError? {
        do {
            _ = try Self.decodeSingle(text, decoder: decoder)
            return nil
        } catch {
            return error
        }
    }

    /// The byte offset of the first occurrence of `needle` in `text`.
    private static func offset(of needle: String, in text: String) -> Int? {
        let haystack = Array(text.utf8)
        let pattern = Array(needle.utf8)
        guard pattern.count <= haystack.count else {
            return nil
        }
        for start in 0...(haystack.count - pattern.count)
        where Array(haystack[start..<start + pattern.count]) == pattern {
            return start
        }
        return nil
    }

    // MARK: - Happy path

    @Test func decodesAFullRecord() throws {
        let body = #"""
            [ {"channel":"orders-3","level":"INFO","message":"placed \"order\"\n",
               "timestamp":"2026-11-23T10:00:00.123Z",
               "meta":{"host":"web-1","requestId":"r-1","userId":"12345"}} ]
            """#
        let records = try Self.decodeBatch(body)
        #expect(
            records == [
                DecodedLogRecord(
                    channel: "orders-3",
                    level: "INFO",
                    message: "placed \"order\"\n",
                    timestamp: 1_795_428_000_123_000,
                    metaJSON: #"{"host":"web-1","requestId":"r-1","userId":"12345"}"#,
                    metaKeyCount: 3
                )
            ]
        )
    }

    @Test func decodesASingleRecord() throws {
        let record = try Self.decodeSingle(#"  {"message":"hello","level":"warn"}  "#)
        #expect(record == DecodedLogRecord(level: "warn", message: "hello"))
    }

    @Test func decodesEmptyBatchesAndObjects() throws {
        #expect(try Self.decodeBatch("[]").isEmpty)
        #expect(try Self.decodeBatch(" [ \n ] ").isEmpty)
        #expect(try Self.decodeBatch("[{}]") == [DecodedLogRecord()])
        #expect(try Self.decodeSingle("{ }") == DecodedLogRecord())
    }

    @Test func nullFieldsAreNil() throws {
        let record = try Self.decodeSingle(
            #"{"channel":null,"level":null,"message":null,"timestamp":null,"meta":null}"#
        )
        #expect(record == DecodedLogRecord())
    }

    @Test func lastDuplicateKeyWins() throws {
        let record = try Self.decodeSingle(
            #"{"channel":"a","channel":"b","level":"x","level":null,"meta":{"a":1},"meta":{"b":2,"c":3},"#
                + #""timestamp":1,"timestamp":2}"#
        )
        #expect(record.channel == "b")
        #expect(record.level == nil)
        #expect(record.metaJSON == #"{"b":2,"c":3}"#)
        #expect(record.metaKeyCount == 2)
        #expect(record.timestamp == 2000)

        let cleared = try Self.decodeSingle(#"{"meta":{"a":1},"meta":null}"#)
        #expect(cleared.metaJSON == nil)
        #expect(cleared.metaKeyCount == 0)
    }

    @Test func recognisesEscapedKeys() throws {
        let record = try Self.decodeSingle(#"{"\u0063hannel":"c","mess\u0061ge":"m","\u006deta":{"k":"v"}}"#)
        #expect(record.channel == "c")
        #expect(record.message == "m")
        #expect(record.metaJSON == #"{"k":"v"}"#)
    }

    @Test func keysAreCaseSensitive() throws {
        let record = try Self.decodeSingle(#"{"Channel":"c","MESSAGE":1,"Meta":[]}"#)
        #expect(record == DecodedLogRecord())
    }

    @Test func skipsUnknownKeys() throws {
        let record = try Self.decodeSingle(
            #"{"id":42,"storage":"hot","extra":{"deep":[1,{"x":[true,false,null]},"s"]},"#
                + #""id":null,"n":-1.5e3,"message":"m"}"#
        )
        #expect(record == DecodedLogRecord(message: "m"))
    }

    @Test func unknownKeysMustStillBeValidJSON() {
        let error = Self.singleError(#"{"extra":[1,,2],"message":"m"}"#)
        #expect(error?.kind == .syntax)
        #expect(error?.offset == 12)
        #expect(Self.singleError(#"{"id":01}"#)?.kind == .syntax)
        #expect(Self.singleError(#"{"storage":"\x"}"#)?.kind == .syntax)
        #expect(Self.singleError(#"{"extra":{"a" 1}}"#)?.kind == .syntax)
    }

    @Test func decodesTenThousandRecords() throws {
        var body = "["
        for index in 0..<10_000 {
            if index > 0 {
                body += ",\n"
            }
            body += #"{"channel":"c\#(index % 7)","level":"INFO","message":"message \#(index)","timestamp":\#(index),"#
            body += #""meta":{"i":\#(index),"tag":"t"}}"#
        }
        body += "]"
        let records = try Self.decodeBatch(body)
        #expect(records.count == 10_000)
        #expect(records[9_999] == DecodedLogRecord(
            channel: "c3",
            level: "INFO",
            message: "message 9999",
            timestamp: 9_999_000,
            metaJSON: #"{"i":9999,"tag":"t"}"#,
            metaKeyCount: 2
        ))
        #expect(records.enumerated().allSatisfy { $0.element.message == "message \($0.offset)" })
    }

    // MARK: - Timestamps

    @Test func acceptsTimestampForms() throws {
        #expect(try Self.decodeSingle(#"{"timestamp":"2026-11-23T12:00:00.123+02:00"}"#).timestamp
            == 1_795_428_000_123_000)
        #expect(try Self.decodeSingle(#"{"timestamp":"2024-01-01"}"#).timestamp == 1_704_067_200_000_000)
        #expect(try Self.decodeSingle(#"{"timestamp":"2026\u002d11-23T10:00:00.123Z"}"#).timestamp
            == 1_795_428_000_123_000)
        #expect(try Self.decodeSingle(#"{"timestamp":1795428000123}"#).timestamp == 1_795_428_000_123_000)
        #expect(try Self.decodeSingle(#"{"timestamp":-1}"#).timestamp == -1000)
        #expect(try Self.decodeSingle(#"{"timestamp":0}"#).timestamp == 0)
        #expect(try Self.decodeSingle(#"{"timestamp":-0}"#).timestamp == 0)
        let largest = try Self.decodeSingle(#"{"timestamp":9223372036854775}"#)
        #expect(largest.timestamp == 9_223_372_036_854_775_000)
    }

    @Test(arguments: [
        #"{"timestamp":"yesterday"}"#,
        #"{"timestamp":"2024-02-30T00:00:00Z"}"#,
        #"{"timestamp":""}"#,
        #"{"timestamp":1.5}"#,
        #"{"timestamp":1e3}"#,
        #"{"timestamp":9223372036854776}"#,
        #"{"timestamp":-9223372036854776}"#,
        #"{"timestamp":99999999999999999999}"#,
        #"{"timestamp":true}"#,
        #"{"timestamp":{}}"#,
        #"{"timestamp":["2024-01-01"]}"#,
    ])
    func rejectsInvalidTimestamps(body: String) {
        let error = Self.singleError(body)
        #expect(error?.kind == .invalidField)
        #expect(error?.field == "timestamp")
        #expect(error?.index == nil)
        #expect(error?.offset == 13)
    }

    @Test func timestampSyntaxErrorsStaySyntaxErrors() {
        #expect(Self.singleError(#"{"timestamp":01}"#)?.kind == .syntax)
        #expect(Self.singleError(#"{"timestamp":-}"#)?.kind == .syntax)
        #expect(Self.singleError(#"{"timestamp":"2024-01-01}"#)?.kind == .syntax)
        #expect(Self.singleError(#"{"timestamp":nul}"#)?.kind == .syntax)
    }

    // MARK: - String fields

    @Test(arguments: ["channel", "level", "message"])
    func stringFieldsRejectOtherTypes(field: String) {
        for value in ["1", "true", "false", "{}", "[\"a\"]", "-2.5"] {
            let body = #"[{"message":"ok"},{"\#(field)":\#(value)}]"#
            let error = Self.batchError(body)
            #expect(
                error == LogBatchDecodingError(
                    kind: .invalidField,
                    index: 1,
                    field: field,
                    offset: Self.offset(of: ":" + value, in: body).map { $0 + 1 } ?? -1,
                    reason: "expected a string"
                )
            )
            #expect(error?.description == "records[1].\(field): expected a string")
        }
    }

    @Test func stringFieldsKeepUnicodeAndEscapes() throws {
        let record = try Self.decodeSingle(#"{"message":"é \u00e9 \ud83d\ude00 \\ \/ \t","level":"ИНФО"}"#)
        #expect(record.message == "é é 😀 \\ / \t")
        #expect(record.level == "ИНФО")
    }

    // MARK: - Meta

    @Test func compactsMeta() throws {
        let body =
            #"{"meta": { "a" : [ 1 , 2.50 , -0 ] ,"b":{ },"c" : "x\ny \u00e9" , "d":[ ], "#
            + #""e": {"f": null, "g": true}} }"#
        let record = try Self.decodeSingle(body)
        let compact = #"{"a":[1,2.50,-0],"b":{},"c":"x\ny \u00e9","d":[],"e":{"f":null,"g":true}}"#
        #expect(record.metaJSON == compact)
        #expect(record.metaKeyCount == 5)
        // The compact text parses to the same value as the original object.
        let original = try JSONParser.parse(body)["meta"]
        #expect(try JSONParser.parse(compact) == original)
    }

    @Test func emptyMetaIsNil() throws {
        let record = try Self.decodeSingle(#"{"meta":{  }}"#)
        #expect(record.metaJSON == nil)
        #expect(record.metaKeyCount == 0)
    }

    @Test func metaCountsDuplicateTopLevelKeysButNotNestedOnes() throws {
        let record = try Self.decodeSingle(#"{"meta":{"a":{"x":1,"y":2},"a":[{"z":3}],"b":"{\"fake\":1}"}}"#)
        #expect(record.metaKeyCount == 3)
    }

    @Test(arguments: ["[]", "[1]", "\"{}\"", "1", "true"])
    func metaMustBeAnObject(value: String) {
        let body = #"{"meta":\#(value)}"#
        let error = Self.singleError(body)
        #expect(
            error == LogBatchDecodingError(
                kind: .invalidField,
                field: "meta",
                offset: 8,
                reason: "expected a JSON object"
            )
        )
        #expect(error?.description == "meta: expected a JSON object")
    }

    @Test func limitsMetaDepth() throws {
        func meta(depth: Int) -> String {
            var text = ""
            for _ in 1..<depth {
                text += #"{"k":"#
            }
            text += "{}"
            text += String(repeating: "}", count: depth - 1)
            return #"{"meta":"# + text + "}"
        }
        _ = try Self.decodeSingle(meta(depth: 16))
        let error = Self.singleError(meta(depth: 17))
        #expect(error?.kind == .invalidField)
        #expect(error?.field == "meta")
        #expect(error?.offset == 8 + 16 * 5)

        let shallow = LogBatchJSONDecoder(maxMetaDepth: 2)
        _ = try Self.decodeSingle(#"{"meta":{"a":[1]}}"#, decoder: shallow)
        #expect(Self.singleError(#"{"meta":{"a":[[1]]}}"#, decoder: shallow)?.field == "meta")
        // Skipped keys obey the same limit.
        let skipped = Self.singleError(#"{"other":[[[1]]]}"#, decoder: shallow)
        #expect(skipped?.kind == .invalidField)
        #expect(skipped?.field == nil)
        #expect(skipped?.offset == 11)
    }

    @Test func hostileMetaNestingFailsCleanly() {
        let deep = #"{"meta":"# + String(repeating: #"{"a":"#, count: 100_000)
        let error = Self.singleError(deep)
        #expect(error?.kind == .invalidField)
        #expect(error?.field == "meta")
        let unlimited = LogBatchJSONDecoder(maxMetaDepth: Int.max)
        let deepSkipped = #"{"x":"# + String(repeating: "[", count: 100_000)
        #expect(Self.singleError(deepSkipped, decoder: unlimited)?.kind == .syntax)
    }

    // MARK: - Shape errors

    @Test func nonObjectElementsAreInvalid() {
        let error = Self.batchError(#"[{"message":"a"}, "not an object"]"#)
        #expect(
            error == LogBatchDecodingError(kind: .invalidField, index: 1, offset: 18, reason: "expected a JSON object")
        )
        #expect(error?.description == "records[1]: expected a JSON object")
        #expect(Self.batchError("[1]")?.index == 0)
        #expect(Self.batchError("[[]]")?.kind == .invalidField)
        #expect(Self.batchError("[null]")?.kind == .invalidField)
    }

    @Test func topLevelShapeIsChecked() {
        let notArray = Self.batchError(#"{"message":"a"}"#)
        #expect(notArray?.kind == .syntax)
        #expect(notArray?.index == nil)
        #expect(notArray?.reason == "expected a JSON array of log records")
        let notObject = Self.singleError(#"[{"message":"a"}]"#)
        #expect(notObject?.kind == .syntax)
        #expect(notObject?.reason == "expected a JSON object")
        #expect(Self.batchError("")?.kind == .syntax)
        #expect(Self.batchError("")?.offset == 0)
        #expect(Self.singleError("   ")?.offset == 3)
        #expect(Self.batchError("\"[]\"")?.kind == .syntax)
    }

    @Test func trailingDataIsRejected() {
        #expect(Self.batchError("[] []")?.offset == 3)
        #expect(Self.batchError("[{}],")?.kind == .syntax)
        #expect(Self.singleError("{} x")?.offset == 3)
        #expect(Self.singleError("{}}")?.kind == .syntax)
    }

    @Test func syntaxErrorsCarryTheRecordIndex() {
        let body = #"[{"message":"a"},{"message":"b"},{"message":"c" "level":"x"}]"#
        let error = Self.batchError(body)
        #expect(error?.kind == .syntax)
        #expect(error?.index == 2)
        #expect(error?.offset == Self.offset(of: #" "level""#, in: body).map { $0 + 1 })
        #expect(error?.reason == "expected ',' or '}'")
        #expect(error?.description == "invalid JSON at byte \(error?.offset ?? -1): expected ',' or '}'")

        let between = Self.batchError(#"[{"message":"a"} {"message":"b"}]"#)
        #expect(between?.kind == .syntax)
        #expect(between?.index == nil)
        #expect(between?.offset == 17)
        #expect(Self.batchError(#"[{"message":"a"},]"#)?.kind == .syntax)
        #expect(Self.batchError(#"[{"message":"a"}"#)?.reason == "unexpected end of input; expected ',' or ']'")
        #expect(Self.batchError(#"[{"message":"a\u12"}]"#)?.index == 0)
        #expect(Self.batchError("[{\"message\":\"a\u{1}\"}]")?.offset == 14)
    }

    @Test func invalidUTF8IsASyntaxError() {
        var body = Array(#"[{"message":"ab"#.utf8)
        body.append(0xC3)
        body.append(contentsOf: Array(#""}]"#.utf8))
        let result = body.withUnsafeBytes { raw in
            Result { () throws(LogBatchDecodingError) in try LogBatchJSONDecoder().decodeBatch(raw) }
        }
        #expect(throws: LogBatchDecodingError.self) { try result.get() }
        if case .failure(let error) = result {
            #expect(error.kind == .syntax)
            #expect(error.offset == 15)
        }
    }

    // MARK: - Record limit

    @Test func enforcesMaxRecords() throws {
        let decoder = LogBatchJSONDecoder(maxRecords: 3)
        #expect(try Self.decodeBatch("[{},{},{}]", decoder: decoder).count == 3)
        let error = Self.batchError("[{},{},{}, {}]", decoder: decoder)
        #expect(
            error == LogBatchDecodingError(
                kind: .tooManyRecords,
                index: 3,
                offset: 11,
                reason: "a batch may contain at most 3 records"
            )
        )
        #expect(error?.description == "records[3]: a batch may contain at most 3 records")
        // Parsing stops early: whatever follows the limit is not examined.
        #expect(Self.batchError("[{},{},{},{} garbage", decoder: decoder)?.kind == .tooManyRecords)
        #expect(Self.batchError("[{}]", decoder: LogBatchJSONDecoder(maxRecords: 0))?.kind == .tooManyRecords)
        #expect(try Self.decodeBatch("[]", decoder: LogBatchJSONDecoder(maxRecords: 0)).isEmpty)
    }

    @Test func errorDescriptions() {
        #expect(
            LogBatchDecodingError(kind: .invalidField, index: 3, field: "timestamp", offset: 1, reason: "r").description
                == "records[3].timestamp: r"
        )
        #expect(
            LogBatchDecodingError(kind: .invalidField, field: "timestamp", offset: 1, reason: "r").description
                == "timestamp: r"
        )
        #expect(
            LogBatchDecodingError(kind: .syntax, index: 3, offset: 17, reason: "expected ':'").description
                == "invalid JSON at byte 17: expected ':'"
        )
    }
}

// libFuzzer entry point for the JSON layer of LogPilotCore (Sources/LogPilotCore/JSON).
//
// Every input is fed to JSONParser, LogBatchJSONDecoder (batch and single, with default and with
// tiny limits) and ISO8601Timestamp. Besides "no crash, no memory error", the harness checks:
//
// 1. Whatever JSONParser accepts, JSONWriter serializes to text that parses back to an equal value
//    and re-serializes to identical bytes.
// 2. The streaming LogBatchJSONDecoder agrees with a slow reference decoder written on top of the
//    JSONValue tree: same records (meta compared value-for-value) or the same error kind, record
//    index and field. Whenever the tree parser rejects the input, the decoder must reject it too.
// 3. Whatever ISO8601Timestamp parses, it formats back to text that parses to the same instant;
//    formatting any Int64 works, and round-trips inside years 0001-9999.
// 4. Reported error offsets lie inside the input.
//
// Build and run with fuzz/run.sh.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    FuzzChecks.parserRoundTrip(bytes)
    for decoder in [LogBatchJSONDecoder(), LogBatchJSONDecoder(maxRecords: 3, maxMetaDepth: 2)] {
        FuzzChecks.batchDecoderAgreesWithReference(bytes, decoder: decoder)
        FuzzChecks.singleDecoderAgreesWithReference(bytes, decoder: decoder)
    }
    FuzzChecks.timestampRoundTrip(bytes)
    return 0
}

/// Stops the process with a message that libFuzzer records next to the crashing input.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fatalError("invariant violated: \(message())")
    }
}

enum FuzzChecks {
    /// Deep enough for any 64 KiB input, so the reference never fails for depth reasons.
    static let unlimited = JSONParser.Limits(maxDepth: 1 << 20)

    static func parserRoundTrip(_ bytes: UnsafeRawBufferPointer) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, limits: Self.unlimited)
        } catch {
            check(error.offset >= 0 && error.offset <= bytes.count, "parser offset \(error.offset) of \(bytes.count)")
            return
        }
        let serialized = JSONWriter.serialize(value)
        let reparsed: JSONValue
        do {
            reparsed = try JSONParser.parse(serialized, limits: Self.unlimited)
        } catch {
            check(false, "serialized output does not parse: \(error) in \(serialized)")
            return
        }
        check(reparsed == value, "round trip changed the value: \(serialized)")
        check(JSONWriter.serialize(reparsed) == serialized, "re-serialization differs: \(serialized)")

        // The depth limit must agree with the actual depth.
        let depth = Self.depth(of: value)
        check((try? JSONParser.parse(bytes, limits: .init(maxDepth: depth))) == value, "limit \(depth) rejected")
        if depth > 0 {
            let shallower = try? JSONParser.parse(bytes, limits: .init(maxDepth: depth - 1))
            check(shallower == nil, "limit \(depth - 1) accepted")
        }
    }

    // MARK: - Decoder versus reference

    static func batchDecoderAgreesWithReference(_ bytes: UnsafeRawBufferPointer, decoder: LogBatchJSONDecoder) {
        let actual = Result { () throws(LogBatchDecodingError) in try decoder.decodeBatch(bytes) }
        guard let tree = try? JSONParser.parse(bytes, limits: Self.unlimited) else {
            guard case .failure(let error) = actual else {
                check(false, "decodeBatch accepted input that JSONParser rejects")
                return
            }
            check(error.offset >= 0 && error.offset <= bytes.count, "decoder offset \(error.offset) of \(bytes.count)")
            return
        }
        let expected = ReferenceDecoder(decoder: decoder).decodeBatch(tree)
        Self.compare(actual: actual.map { $0 }, expected: expected, bytes: bytes)
    }

    static func singleDecoderAgreesWithReference(_ bytes: UnsafeRawBufferPointer, decoder: LogBatchJSONDecoder) {
        let actual = Result { () throws(LogBatchDecodingError) in try decoder.decodeSingle(bytes) }
        guard let tree = try? JSONParser.parse(bytes, limits: Self.unlimited) else {
            guard case .failure(let error) = actual else {
                check(false, "decodeSingle accepted input that JSONParser rejects")
                return
            }
            check(error.offset >= 0 && error.offset <= bytes.count, "decoder offset \(error.offset) of \(bytes.count)")
            return
        }
        let expected = ReferenceDecoder(decoder: decoder).decodeSingle(tree).map { [$0] }
        Self.compare(actual: actual.map { [$0] }, expected: expected, bytes: bytes)
    }

    private static func compare(
        actual: Result<[DecodedLogRecord], LogBatchDecodingError>,
        expected: Result<[ReferenceRecord], ReferenceError>,
        bytes: UnsafeRawBufferPointer
    ) {
        switch (actual, expected) {
        case (.success(let records), .success(let references)):
            check(records.count == references.count, "record count \(records.count) != \(references.count)")
            for (record, reference) in zip(records, references) {
                check(record.channel == reference.channel, "channel differs")
                check(record.level == reference.level, "level differs")
                check(record.message == reference.message, "message differs")
                check(record.timestamp == reference.timestamp, "timestamp differs")
                check(record.metaKeyCount == reference.metaKeyCount, "meta key count differs")
                switch (record.metaJSON, reference.meta) {
                case (nil, nil):
                    break
                case (let text?, let value?):
                    let parsed = try? JSONParser.parse(text, limits: Self.unlimited)
                    check(parsed != nil, "metaJSON does not parse: \(text)")
                    check(
                        parsed.map(JSONWriter.serialize) == JSONWriter.serialize(value),
                        "metaJSON differs from the meta value: \(text)"
                    )
                    check(!text.utf8.contains(UInt8(ascii: "\n")), "metaJSON is not compact: \(text)")
                default:
                    check(false, "metaJSON presence differs: \(String(describing: record.metaJSON))")
                }
            }
        case (.failure(let error), .failure(let reference)):
            check(error.kind == reference.kind, "error kind \(error.kind) != \(reference.kind): \(error)")
            check(error.index == reference.index, "error index differs: \(error) vs \(reference)")
            check(error.field == reference.field, "error field differs: \(error) vs \(reference)")
            check(error.offset >= 0 && error.offset <= bytes.count, "decoder offset \(error.offset) of \(bytes.count)")
        case (.success, .failure(let reference)):
            check(false, "decoder accepted input the reference rejects: \(reference)")
        case (.failure(let error), .success):
            check(false, "decoder rejected input the reference accepts: \(error)")
        }
    }

    static func depth(of value: JSONValue) -> Int {
        switch value {
        case .array(let elements):
            return 1 + (elements.map(Self.depth(of:)).max() ?? 0)
        case .object(let members):
            return 1 + (members.map { Self.depth(of: $0.value) }.max() ?? 0)
        default:
            return 0
        }
    }

    // MARK: - Timestamps

    static func timestampRoundTrip(_ bytes: UnsafeRawBufferPointer) {
        if let microseconds = ISO8601Timestamp.parseMicroseconds(bytes) {
            let text = ISO8601Timestamp.format(microseconds: microseconds)
            check(ISO8601Timestamp.parseMicroseconds(text) == microseconds, "format/parse round trip: \(text)")
            let string = String(decoding: bytes, as: UTF8.self)
            check(ISO8601Timestamp.parseMicroseconds(string) == microseconds, "String overload differs")
        }
        // Any 8 bytes as an Int64 must format; inside years 0001-9999 the text must parse back.
        guard bytes.count >= 8 else {
            return
        }
        let value = bytes.loadUnaligned(as: Int64.self)
        let text = ISO8601Timestamp.format(microseconds: value)
        var written: [UInt8] = []
        ISO8601Timestamp.write(microseconds: value, into: &written)
        check(Array(text.utf8) == written, "write(microseconds:into:) differs from format(microseconds:)")
        check(text.utf8.count <= 32 && text.utf8.allSatisfy { $0 < 0x80 }, "odd timestamp text \(text)")
        if value >= -62_135_596_800_000_000 && value <= 253_402_300_799_999_999 {
            check(ISO8601Timestamp.parseMicroseconds(text) == value, "in-range value does not round-trip: \(text)")
        }
        var writer = JSONWriter()
        writer.writeTimestamp(microseconds: value)
        check((try? JSONParser.parse(writer.bytes)) == .string(text), "writeTimestamp output is not the JSON string")
    }
}

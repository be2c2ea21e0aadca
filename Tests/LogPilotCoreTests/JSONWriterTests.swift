import Testing

@testable import LogPilotCore

struct JSONWriterTests {
    private static func text(_ writer: JSONWriter) -> String {
        String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func managesSeparators() {
        var writer = JSONWriter(reservingCapacity: 64)
        writer.beginObject()
        writer.writeKey("level")
        writer.writeString("INFO")
        writer.writeKey("ids")
        writer.beginArray()
        writer.writeInt64(1)
        writer.writeInt64(-2)
        writer.beginObject()
        writer.endObject()
        writer.beginArray()
        writer.endArray()
        writer.writeNull()
        writer.endArray()
        writer.writeKey("ok")
        writer.writeBool(true)
        writer.writeKey("no")
        writer.writeBool(false)
        writer.writeKey("nested")
        writer.beginObject()
        writer.writeKey("a")
        writer.beginObject()
        writer.endObject()
        writer.endObject()
        writer.endObject()
        let expected = #"{"level":"INFO","ids":[1,-2,{},[],null],"ok":true,"no":false,"nested":{"a":{}}}"#
        #expect(Self.text(writer) == expected)
    }

    @Test func writesIntegers() {
        for value: Int64 in [0, 7, -7, 10, 1_000_000, Int64.max, Int64.min, Int64.min + 1] {
            var writer = JSONWriter()
            writer.writeInt64(value)
            #expect(Self.text(writer) == String(value))
        }
    }

    @Test func escapesStrings() {
        var writer = JSONWriter()
        writer.writeString("a\"b\\c/d\n\r\t\u{8}\u{C}\u{0}\u{1F}\u{7F}é😀\u{2028}")
        #expect(Self.text(writer) == #""a\"b\\c/d\n\r\t\b\f\u0000\u001f"# + "\u{7F}é😀\u{2028}\"")
    }

    @Test func escapedStringsRoundTripThroughTheParser() throws {
        var scalars: [Unicode.Scalar] = (0..<0x80).compactMap { Unicode.Scalar($0) }
        scalars += ["é", "日", "😀", "\u{FFFD}", "\u{10FFFF}", "\u{2028}"]
        var everything = ""
        for scalar in scalars {
            everything.unicodeScalars.append(scalar)
            var writer = JSONWriter()
            writer.writeString(String(scalar))
            #expect(try JSONParser.parse(writer.bytes) == .string(String(scalar)), "U+\(scalar.value)")
        }
        var writer = JSONWriter()
        writer.beginObject()
        writer.writeKey(everything)
        writer.writeString(everything)
        writer.endObject()
        let parsed = try JSONParser.parse(writer.bytes)
        #expect(parsed == .object([JSONMember(key: everything, value: .string(everything))]))
    }

    @Test func writesStringsBuiltFromSubstrings() throws {
        let source = "xx\"quoted\"\nline"
        let substring = String(source.dropFirst(2))
        var writer = JSONWriter()
        writer.writeString(substring)
        #expect(try JSONParser.parse(writer.bytes) == .string("\"quoted\"\nline"))
    }

    @Test func writesTimestamps() {
        var writer = JSONWriter()
        writer.beginArray()
        writer.writeTimestamp(microseconds: 1_795_428_000_123_000)
        writer.writeTimestamp(microseconds: -1)
        writer.endArray()
        #expect(Self.text(writer) == #"["2026-11-23T10:00:00.123Z","1969-12-31T23:59:59.999999Z"]"#)
    }

    @Test func writesRawValues() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.writeKey("a")
        writer.writeRaw(#"{"pre":[1,2]}"#)
        writer.writeKey("b")
        writer.writeRaw(Array("3.5".utf8))
        writer.writeKey("c")
        writer.writeRaw("true".utf8)
        writer.endObject()
        #expect(Self.text(writer) == #"{"a":{"pre":[1,2]},"b":3.5,"c":true}"#)
    }

    @Test func serializesValueTrees() throws {
        let text = #"{"a":[1,-0.5e3,"x\ny",{"b":null,"b":false}],"c":{},"d":[],"\u0000":"\ud83d\ude00"}"#
        let value = try JSONParser.parse(text)
        let serialized = JSONWriter.serialize(value)
        #expect(serialized == #"{"a":[1,-0.5e3,"x\ny",{"b":null,"b":false}],"c":{},"d":[],"\u0000":"😀"}"#)
        #expect(try JSONParser.parse(serialized) == value)
    }

    @Test func writesInvalidNumberLiteralsAsStrings() throws {
        let value = JSONValue.array([.number("12"), .number("NaN"), .number("01"), .number(""), .number("1e5")])
        let serialized = JSONWriter.serialize(value)
        #expect(serialized == #"[12,"NaN","01","",1e5]"#)
        _ = try JSONParser.parse(serialized)
    }

    @Test func writesScalarsAtTopLevel() {
        #expect(JSONWriter.serialize(.null) == "null")
        #expect(JSONWriter.serialize(.string("")) == "\"\"")
        #expect(JSONWriter.serialize(.object([])) == "{}")
        #expect(JSONWriter.serialize(.array([.array([])])) == "[[]]")
    }
}

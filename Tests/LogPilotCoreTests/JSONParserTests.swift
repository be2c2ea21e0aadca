import Testing

@testable import LogPilotCore

struct JSONParserTests {
    // MARK: - Helpers

    private static func parse(_ text: String, maxDepth: Int = 64) throws(JSONSyntaxError) -> JSONValue {
        try JSONParser.parse(text, limits: .init(maxDepth: maxDepth))
    }

    /// The error for `bytes`, or `nil` when they parse.
    private static func syntaxError(_ bytes: [UInt8], maxDepth: Int = 64) -> JSONSyntaxError? {
        do {
            _ = try JSONParser.parse(bytes, limits: .init(maxDepth: maxDepth))
            return nil
        } catch {
            return error
        }
    }

    private static func syntaxError(_ text: String) -> JSONSyntaxError? {
        Self.syntaxError(Array(text.utf8))
    }

    // MARK: - Accepted documents (JSONTestSuite y_ style)

    @Test(arguments: [
        ("[]", JSONValue.array([])),
        ("{}", .object([])),
        (" \t\r\n[ ]\n", .array([])),
        ("[1]", .array([.number("1")])),
        ("\"a\"", .string("a")),
        ("\"\"", .string("")),
        ("123", .number("123")),
        ("-0", .number("-0")),
        ("0", .number("0")),
        ("1E+2", .number("1E+2")),
        ("1e-2", .number("1e-2")),
        ("0.5", .number("0.5")),
        ("-1.50e10", .number("-1.50e10")),
        ("123456789012345678901234567890", .number("123456789012345678901234567890")),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("null", .null),
        ("[null,true,false]", .array([.null, .bool(true), .bool(false)])),
        ("[[[[]]]]", .array([.array([.array([.array([])])])])),
        (
            #"{"a":{"b":[1,"x"]},"":0}"#,
            .object([
                JSONMember(
                    key: "a",
                    value: .object([JSONMember(key: "b", value: .array([.number("1"), .string("x")]))])
                ),
                JSONMember(key: "", value: .number("0")),
            ])
        ),
        (
            #"{"a":1,"a":2}"#,
            .object([JSONMember(key: "a", value: .number("1")), JSONMember(key: "a", value: .number("2"))])
        ),
        (" { \"k\" : [ 1 , 2 ] } ", .object([JSONMember(key: "k", value: .array([.number("1"), .number("2")]))])),
    ])
    func acceptsValidDocument(text: String, expected: JSONValue) throws {
        #expect(try Self.parse(text) == expected)
    }

    @Test func decodesEscapeSequences() throws {
        #expect(try Self.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try Self.parse(#""\u0000""#) == .string("\u{0}"))
        #expect(try Self.parse(#""\u00e9\u00E9""#) == .string("éé"))
        #expect(try Self.parse(#""\u2028\u2029""#) == .string("\u{2028}\u{2029}"))
        #expect(try Self.parse(#""a\u0041b""#) == .string("aAb"))
        #expect(try Self.parse(#""\uFFFF""#) == .string("\u{FFFF}"))
    }

    @Test func decodesSurrogatePairs() throws {
        #expect(try Self.parse(#""\uD834\uDD1E""#) == .string("𝄞"))
        #expect(try Self.parse(#""\ud83d\ude00 ok""#) == .string("😀 ok"))
        #expect(try Self.parse(#""\uDBFF\uDFFF""#) == .string("\u{10FFFF}"))
        #expect(try Self.parse(#""\uD800\uDC00""#) == .string("\u{10000}"))
    }

    @Test func acceptsRawUTF8() throws {
        #expect(try Self.parse("\"é日本😀\"") == .string("é日本😀"))
        #expect(try Self.parse("{\"ключ\":\"значение\"}")["ключ"] == .string("значение"))
    }

    @Test func overloadsAgree() throws {
        let text = #"{"a":[1,2,{"b":null}],"c":"d"}"#
        let fromString = try JSONParser.parse(text)
        let fromArray = try JSONParser.parse(Array(text.utf8))
        let fromBuffer = try Array(text.utf8).withUnsafeBytes { raw in
            Result { () throws(JSONSyntaxError) in try JSONParser.parse(raw) }
        }.get()
        #expect(fromString == fromArray)
        #expect(fromString == fromBuffer)
        #expect(fromString["c"] == .string("d"))
    }

    // MARK: - Rejected documents (JSONTestSuite n_ style)

    @Test(arguments: [
        "", " ", "[", "]", "{", "}", "[1,]", "[,1]", "[1,,2]", "[1 2]", "[\"a\" \"b\"]", "{\"a\":1,}", "{,}",
        "{\"a\" 1}", "{\"a\":}", "{\"a\"}", "{a:1}", "{'a':1}", "['a']", "{\"a\":1 \"b\":2}", "{\"a\":1}}", "[1]]",
        "[01]", "[-01]", "[00]", "[1.]", "[.5]", "[+1]", "[1e]", "[1e+]", "[1E-]", "[-]", "[-a]", "[1.e5]", "[0x10]",
        "[NaN]", "[Infinity]", "[-Infinity]", "[tru]", "[True]", "[nul]", "[nulll]", "[fals]", "[1] x", "[1][2]",
        "/* c */ []", "[] // c", "# c\n[]", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\uD800\"",
        "\"\\uDC00\"", "\"\\uD800\\u0041\"", "\"\\uD800x\"", "\"\\uD800\\\"", "\"\\uDD1E\\uD834\"", "\"a\"x",
        "\"\\", "\"\\u", "\u{FEFF}[]", "[\n", "{\"a\":[}", "[}", "{]", "\"\t\"", "\"a\nb\"", "\"\u{1F}\"", "'a'",
        "1 2", "truefalse", "nul", "[1,2", "{\"a\":1", "{\"a\"", "\"\\u0000", "[\"a\\\"]",
    ])
    func rejectsInvalidDocument(text: String) {
        #expect(Self.syntaxError(text) != nil)
    }

    @Test(arguments: [
        [0xFF],
        [0x22, 0xFF, 0x22],
        [0x22, 0xC0, 0x80, 0x22],  // overlong NUL
        [0x22, 0xC1, 0xBF, 0x22],  // overlong
        [0x22, 0xE0, 0x80, 0x80, 0x22],  // overlong three-byte
        [0x22, 0xF0, 0x80, 0x80, 0x80, 0x22],  // overlong four-byte
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // encoded surrogate U+D800
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
        [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],
        [0x22, 0xE2, 0x82, 0x22],  // truncated
        [0x22, 0xE2, 0x82],  // truncated at end of input
        [0x22, 0x80, 0x22],  // stray continuation byte
        [0x22, 0xC3, 0x28, 0x22],  // bad continuation
        [0x5B, 0x00, 0x5D],  // NUL outside a string
        [0x22, 0x00, 0x22],  // raw NUL inside a string
        [0x5B, 0xC3, 0xA9, 0x5D],  // non-ASCII outside a string
    ] as [[UInt8]])
    func rejectsInvalidBytes(bytes: [UInt8]) {
        #expect(Self.syntaxError(bytes) != nil)
    }

    @Test func acceptsEveryValidUTF8BoundaryScalar() throws {
        let boundaries = ["\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}", "\u{FFFD}", "\u{10000}"]
        for scalar in boundaries + ["\u{10FFFF}"] {
            #expect(try Self.parse("\"" + scalar + "\"") == .string(scalar))
        }
    }

    // MARK: - Error positions

    @Test func reportsOffsetAndReason() {
        let error = Self.syntaxError(#"{"a":1 "b":2}"#)
        #expect(error == JSONSyntaxError(offset: 7, reason: "expected ',' or '}'"))
        #expect(error?.description == "invalid JSON at byte 7: expected ',' or '}'")

        #expect(Self.syntaxError("[1,]")?.offset == 3)
        #expect(Self.syntaxError("[1,]")?.reason == "expected a value")
        #expect(Self.syntaxError("[01]")?.offset == 1)
        #expect(Self.syntaxError("[1] x")?.offset == 4)
        #expect(Self.syntaxError("[1] x")?.reason == "unexpected data after the JSON value")
        #expect(Self.syntaxError("\"ab\u{1}\"")?.offset == 3)
        #expect(Self.syntaxError(#"["ab\q"]"#)?.offset == 4)
        #expect(Self.syntaxError(#"["\uD800"]"#)?.offset == 2)
        #expect(Self.syntaxError([0x5B, 0x22, 0x61, 0xFF, 0x22, 0x5D])?.offset == 3)
        #expect(Self.syntaxError("[1,2")?.offset == 4)
        #expect(Self.syntaxError("[1,2")?.reason == "unexpected end of input; expected ',' or ']'")
        #expect(Self.syntaxError("")?.offset == 0)
        #expect(Self.syntaxError("{\"a\":1,}")?.reason == "expected a string key")
        #expect(Self.syntaxError("{1:2}")?.reason == "expected a string key or '}'")
    }

    // MARK: - Limits

    @Test func enforcesMaximumDepth() throws {
        let depth64 = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        let depth65 = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        _ = try Self.parse(depth64)
        let error = Self.syntaxError(depth65)
        #expect(error?.offset == 64)
        #expect(error?.reason == "maximum nesting depth of 64 exceeded")

        _ = try Self.parse(#"{"a":{"b":1}}"#, maxDepth: 2)
        #expect(Self.syntaxError(Array(#"{"a":{"b":[]}}"#.utf8), maxDepth: 2)?.offset == 10)
        _ = try Self.parse("1", maxDepth: 0)
        #expect(Self.syntaxError(Array("[]".utf8), maxDepth: 0) != nil)
    }

    @Test func survivesHostileNesting() {
        let deep = [UInt8](repeating: UInt8(ascii: "["), count: 200_000)
        #expect(Self.syntaxError(deep, maxDepth: 64)?.offset == 64)
        // With a huge limit the iterative parser reaches the end of input instead of overflowing the stack.
        #expect(Self.syntaxError(deep, maxDepth: Int.max)?.offset == 200_000)
        let deepObjects = String(repeating: #"{"a":"#, count: 100_000)
        #expect(Self.syntaxError(Array(deepObjects.utf8), maxDepth: Int.max)?.offset == deepObjects.utf8.count)
    }

    // MARK: - Fast-path boundaries

    @Test func scansSpecialBytesAtEveryWordOffset() throws {
        // The string scanner steps eight bytes at a time; put each kind of special byte at every
        // position relative to a word boundary.
        for prefixLength in 0..<40 {
            let prefix = String(repeating: "a", count: prefixLength)
            #expect(try Self.parse("\"" + prefix + "\"") == .string(prefix))
            #expect(try Self.parse("[\"" + prefix + "\"]") == .array([.string(prefix)]))
            #expect(try Self.parse("\"" + prefix + "\\n" + prefix + "\"") == .string(prefix + "\n" + prefix))
            #expect(try Self.parse("\"" + prefix + "é" + prefix + "\"") == .string(prefix + "é" + prefix))
            #expect(try Self.parse("\"" + prefix + "😀\"") == .string(prefix + "😀"))
            #expect(Self.syntaxError("\"" + prefix + "\u{1}" + prefix + "\"")?.offset == prefixLength + 1)
            #expect(Self.syntaxError("\"" + prefix)?.offset == 0)
            var invalid = Array(("\"" + prefix).utf8)
            invalid.append(0xFF)
            invalid.append(contentsOf: Array((prefix + "\"").utf8))
            #expect(Self.syntaxError(invalid)?.offset == prefixLength + 1)
            var truncated = Array(("\"" + prefix).utf8)
            truncated.append(contentsOf: [0xF0, 0x9F, 0x98])
            #expect(Self.syntaxError(truncated)?.reason == "invalid UTF-8")
        }
    }

    // MARK: - JSONValue accessors

    @Test func valueAccessors() throws {
        let value = try Self.parse(#"{"s":"x","n":12,"m":-3,"f":12.0,"e":1e3,"b":true,"z":null,"s":"second"}"#)
        #expect(value["s"]?.stringValue == "x")  // First member wins.
        #expect(value["n"]?.int64Value == 12)
        #expect(value["m"]?.int64Value == -3)
        #expect(value["f"]?.int64Value == nil)
        #expect(value["e"]?.int64Value == nil)
        #expect(value["b"]?.boolValue == true)
        #expect(value["z"]?.isNull == true)
        #expect(value["s"]?.isNull == false)
        #expect(value["missing"] == nil)
        #expect(value["n"]?.stringValue == nil)
        #expect(value["s"]?.boolValue == nil)
        #expect(JSONValue.array([.string("x")])["x"] == nil)
        #expect(JSONValue.string("12").int64Value == nil)
    }

    @Test func int64ValueBounds() {
        #expect(JSONValue.number("9223372036854775807").int64Value == Int64.max)
        #expect(JSONValue.number("-9223372036854775808").int64Value == Int64.min)
        #expect(JSONValue.number("9223372036854775808").int64Value == nil)
        #expect(JSONValue.number("-9223372036854775809").int64Value == nil)
        #expect(JSONValue.number("-0").int64Value == 0)
        #expect(JSONValue.number("-").int64Value == nil)
        #expect(JSONValue.number("").int64Value == nil)
        #expect(JSONValue.number("1a").int64Value == nil)
    }
}

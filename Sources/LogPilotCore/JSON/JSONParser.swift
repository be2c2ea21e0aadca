/// A strict RFC 8259 JSON parser that builds a ``JSONValue`` tree.
///
/// The parser accepts exactly one JSON value surrounded by optional whitespace. It rejects trailing
/// data, trailing commas, comments, `NaN`/`Infinity`, leading zeros, unescaped control characters
/// in strings, invalid UTF-8 anywhere, unpaired UTF-16 surrogate escapes, and containers nested
/// deeper than ``Limits/maxDepth``. Parsing is iterative, so hostile nesting cannot exhaust the
/// stack while parsing; keep ``Limits/maxDepth`` modest all the same, because destroying and
/// comparing a ``JSONValue`` are recursive.
///
/// ```swift
/// let value = try JSONParser.parse(#"{"level": "INFO"}"#)
/// value["level"]?.stringValue  // "INFO"
/// ```
public struct JSONParser: Sendable {
    /// Resource limits applied while parsing.
    public struct Limits: Sendable {
        /// The deepest container nesting accepted; the outermost array or object is depth 1.
        public var maxDepth: Int = 64

        /// Creates parser limits.
        ///
        /// - Parameter maxDepth: The deepest container nesting accepted. The default is 64.
        public init(maxDepth: Int = 64) {
            self.maxDepth = maxDepth
        }
    }

    /// Parses one JSON text.
    ///
    /// - Parameters:
    ///   - bytes: The UTF-8 encoded JSON text.
    ///   - limits: Resource limits.
    /// - Returns: The parsed value.
    /// - Throws: ``JSONSyntaxError`` when the text is not valid JSON or exceeds `limits`.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer,
        limits: Limits = .init()
    ) throws(JSONSyntaxError) -> JSONValue {
        guard var scanner = JSONScanner(bytes) else {
            throw JSONSyntaxError(offset: 0, reason: "unexpected end of input; expected a value")
        }
        let value = try scanner.parseValueTree(maxDepth: limits.maxDepth)
        scanner.skipWhitespace()
        guard scanner.index == scanner.count else {
            throw JSONSyntaxError(offset: scanner.index, reason: "unexpected data after the JSON value")
        }
        return value
    }

    /// Parses one JSON text held in a string.
    ///
    /// - Parameters:
    ///   - text: The JSON text.
    ///   - limits: Resource limits.
    /// - Returns: The parsed value.
    /// - Throws: ``JSONSyntaxError`` when the text is not valid JSON or exceeds `limits`.
    public static func parse(_ text: String, limits: Limits = .init()) throws(JSONSyntaxError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { utf8 in
            Result { () throws(JSONSyntaxError) in try Self.parse(UnsafeRawBufferPointer(utf8), limits: limits) }
        }
        return try result.get()
    }

    /// Parses one JSON text held in a byte array.
    ///
    /// - Parameters:
    ///   - bytes: The UTF-8 encoded JSON text.
    ///   - limits: Resource limits.
    /// - Returns: The parsed value.
    /// - Throws: ``JSONSyntaxError`` when the text is not valid JSON or exceeds `limits`.
    public static func parse(_ bytes: [UInt8], limits: Limits = .init()) throws(JSONSyntaxError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONSyntaxError) in try Self.parse(raw, limits: limits) }
        }
        return try result.get()
    }
}

/// An array or object whose closing bracket has not been reached yet.
private struct OpenContainer {
    var isObject: Bool
    var elements: [JSONValue] = []
    var members: [JSONMember] = []
    var pendingKey: String = ""
}

extension JSONScanner {
    /// Parses the value at the cursor into a tree, moving the cursor past it.
    ///
    /// - Parameter maxDepth: The deepest container nesting accepted.
    fileprivate mutating func parseValueTree(maxDepth: Int) throws(JSONSyntaxError) -> JSONValue {
        var open: [OpenContainer] = []
        valueLoop: while true {
            self.skipWhitespace()
            guard let byte = self.currentByte else {
                throw self.unexpectedByte("expected a value")
            }
            var value: JSONValue
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard open.count < maxDepth else {
                    throw JSONSyntaxError(offset: self.index, reason: "maximum nesting depth of \(maxDepth) exceeded")
                }
                let isObject = byte == UInt8(ascii: "{")
                self.index &+= 1
                self.skipWhitespace()
                if self.currentByte == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    self.index &+= 1
                    value = isObject ? .object([]) : .array([])
                    break
                }
                var container = OpenContainer(isObject: isObject)
                if isObject {
                    container.pendingKey = try self.parseKey(expectation: "expected a string key or '}'")
                }
                open.append(container)
                continue valueLoop
            case UInt8(ascii: "\""):
                let token = try self.scanString()
                value = .string(self.makeString(token))
            case UInt8(ascii: "t"):
                try self.scanLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try self.scanLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try self.scanLiteral("null")
                value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let token = try self.scanNumber()
                value = .number(String(decoding: self.bytes(of: token), as: UTF8.self))
            default:
                throw JSONSyntaxError(offset: self.index, reason: "expected a value")
            }

            // A value is complete: add it to its container, closing every container that ends here.
            while !open.isEmpty {
                let top = open.count &- 1
                let isObject = open[top].isObject
                if isObject {
                    open[top].members.append(JSONMember(key: open[top].pendingKey, value: value))
                } else {
                    open[top].elements.append(value)
                }
                self.skipWhitespace()
                switch self.currentByte {
                case UInt8(ascii: ","):
                    self.index &+= 1
                    if isObject {
                        self.skipWhitespace()
                        open[top].pendingKey = try self.parseKey(expectation: "expected a string key")
                    }
                    continue valueLoop
                case UInt8(ascii: "}") where isObject:
                    self.index &+= 1
                    value = .object(open.removeLast().members)
                case UInt8(ascii: "]") where !isObject:
                    self.index &+= 1
                    value = .array(open.removeLast().elements)
                default:
                    throw self.unexpectedByte(isObject ? "expected ',' or '}'" : "expected ',' or ']'")
                }
            }
            return value
        }
    }

    /// Parses an object key and its colon; the cursor must be at the key's opening quote.
    private mutating func parseKey(expectation: String) throws(JSONSyntaxError) -> String {
        guard self.currentByte == UInt8(ascii: "\"") else {
            throw self.unexpectedByte(expectation)
        }
        let token = try self.scanString()
        let key = self.makeString(token)
        self.skipWhitespace()
        guard self.currentByte == UInt8(ascii: ":") else {
            throw self.unexpectedByte("expected ':'")
        }
        self.index &+= 1
        return key
    }
}

/// Appends compact JSON text (no insignificant whitespace) to a byte array.
///
/// The structural methods manage separators: ``beginObject()``, ``writeKey(_:)``, the value methods
/// and ``endObject()`` insert commas and colons where they belong, so a correctly nested sequence of
/// calls always produces valid JSON. Misuse, such as writing a value inside an object without a
/// preceding key or closing a container that is not open, is a programming error and traps.
///
/// ```swift
/// var writer = JSONWriter()
/// writer.beginObject()
/// writer.writeKey("level")
/// writer.writeString("INFO")
/// writer.writeKey("ids")
/// writer.beginArray()
/// writer.writeInt64(1)
/// writer.writeInt64(2)
/// writer.endArray()
/// writer.endObject()
/// // writer.bytes holds {"level":"INFO","ids":[1,2]}
/// ```
public struct JSONWriter: Sendable {
    /// The state of an open container.
    private enum ContainerState: UInt8, Sendable {
        case emptyArray
        case nonEmptyArray
        /// An object before its first key.
        case emptyObject
        /// An object after a complete member.
        case objectAfterMember
        /// An object after a key, waiting for the member's value.
        case objectAfterKey
    }

    /// The JSON text written so far.
    public var bytes: [UInt8]

    /// The containers that are open, innermost last.
    private var openContainers: [ContainerState] = []

    /// Creates a writer with an empty output buffer.
    ///
    /// - Parameter reservingCapacity: The number of bytes to reserve in ``bytes`` up front.
    public init(reservingCapacity: Int = 0) {
        self.bytes = []
        self.bytes.reserveCapacity(reservingCapacity)
    }

    // MARK: - Structure

    /// Opens an object (`{`) as the next value.
    public mutating func beginObject() {
        self.beginValue()
        self.bytes.append(UInt8(ascii: "{"))
        self.openContainers.append(.emptyObject)
    }

    /// Closes the innermost open container, which must be an object whose last key has a value.
    public mutating func endObject() {
        switch self.openContainers.last {
        case .emptyObject, .objectAfterMember:
            self.openContainers.removeLast()
            self.bytes.append(UInt8(ascii: "}"))
        case .objectAfterKey:
            preconditionFailure("JSONWriter.endObject(): the last key has no value")
        default:
            preconditionFailure("JSONWriter.endObject(): no object is open")
        }
    }

    /// Opens an array (`[`) as the next value.
    public mutating func beginArray() {
        self.beginValue()
        self.bytes.append(UInt8(ascii: "["))
        self.openContainers.append(.emptyArray)
    }

    /// Closes the innermost open container, which must be an array.
    public mutating func endArray() {
        switch self.openContainers.last {
        case .emptyArray, .nonEmptyArray:
            self.openContainers.removeLast()
            self.bytes.append(UInt8(ascii: "]"))
        default:
            preconditionFailure("JSONWriter.endArray(): no array is open")
        }
    }

    /// Writes an object key and its colon; the innermost open container must be an object.
    ///
    /// - Parameter key: The key, escaped as a JSON string.
    public mutating func writeKey(_ key: String) {
        switch self.openContainers.last {
        case .emptyObject:
            break
        case .objectAfterMember:
            self.bytes.append(UInt8(ascii: ","))
        case .objectAfterKey:
            preconditionFailure("JSONWriter.writeKey(_:): the previous key has no value")
        default:
            preconditionFailure("JSONWriter.writeKey(_:): no object is open")
        }
        self.appendQuoted(key)
        self.bytes.append(UInt8(ascii: ":"))
        self.openContainers[self.openContainers.count - 1] = .objectAfterKey
    }

    /// Inserts the separator a new value needs and records that the container has a value.
    private mutating func beginValue() {
        guard let state = self.openContainers.last else {
            return
        }
        switch state {
        case .emptyArray:
            self.openContainers[self.openContainers.count - 1] = .nonEmptyArray
        case .nonEmptyArray:
            self.bytes.append(UInt8(ascii: ","))
        case .objectAfterKey:
            self.openContainers[self.openContainers.count - 1] = .objectAfterMember
        case .emptyObject, .objectAfterMember:
            preconditionFailure("JSONWriter: a value inside an object must follow writeKey(_:)")
        }
    }

    // MARK: - Values

    /// Writes a string value, quoted and escaped.
    ///
    /// `"` and `\` are escaped with a backslash; control characters below U+0020 use `\b`, `\f`,
    /// `\n`, `\r`, `\t` or `\u00XX`. All other characters are written as UTF-8.
    ///
    /// - Parameter string: The string to write.
    public mutating func writeString(_ string: String) {
        self.beginValue()
        self.appendQuoted(string)
    }

    /// Writes an integer value.
    ///
    /// - Parameter value: The integer to write.
    public mutating func writeInt64(_ value: Int64) {
        self.beginValue()
        if value < 0 {
            self.bytes.append(UInt8(ascii: "-"))
        }
        var magnitude = value.magnitude
        // UInt64.max has 20 digits; fill a stack buffer from the end.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var position = buffer.count
            repeat {
                position -= 1
                buffer[position] = UInt8(truncatingIfNeeded: magnitude % 10) + UInt8(ascii: "0")
                magnitude /= 10
            } while magnitude > 0
            self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[position...]))
        }
    }

    /// Writes `true` or `false`.
    ///
    /// - Parameter value: The Boolean to write.
    public mutating func writeBool(_ value: Bool) {
        self.beginValue()
        self.appendASCII(value ? "true" : "false")
    }

    /// Writes `null`.
    public mutating func writeNull() {
        self.beginValue()
        self.appendASCII("null")
    }

    /// Writes a timestamp as a quoted ISO-8601 UTC string, as ``ISO8601Timestamp/format(microseconds:)``
    /// formats it.
    ///
    /// - Parameter microseconds: Microseconds since 1970-01-01T00:00:00Z.
    public mutating func writeTimestamp(microseconds: Int64) {
        self.beginValue()
        self.bytes.append(UInt8(ascii: "\""))
        ISO8601Timestamp.write(microseconds: microseconds, into: &self.bytes)
        self.bytes.append(UInt8(ascii: "\""))
    }

    /// Writes one pre-serialized JSON value verbatim, with the separator it needs.
    ///
    /// The text is not validated: it must be exactly one valid JSON value.
    ///
    /// - Parameter json: The JSON text of one value.
    public mutating func writeRaw(_ json: String) {
        self.beginValue()
        self.bytes.append(contentsOf: json.utf8)
    }

    /// Writes one pre-serialized JSON value verbatim, with the separator it needs.
    ///
    /// The bytes are not validated: they must be the UTF-8 text of exactly one valid JSON value.
    ///
    /// - Parameter json: The JSON text of one value.
    public mutating func writeRaw(_ json: some Sequence<UInt8>) {
        self.beginValue()
        self.bytes.append(contentsOf: json)
    }

    /// Writes a JSON value tree.
    ///
    /// A ``JSONValue/number(_:)`` whose text is not a valid JSON number literal (which the parser
    /// never produces) is written as a string holding that text, so the output stays valid JSON.
    ///
    /// - Parameter value: The value to write.
    public mutating func writeValue(_ value: JSONValue) {
        switch value {
        case .null:
            self.writeNull()
        case .bool(let bool):
            self.writeBool(bool)
        case .number(let literal):
            if Self.isValidNumberLiteral(literal) {
                self.writeRaw(literal)
            } else {
                self.writeString(literal)
            }
        case .string(let string):
            self.writeString(string)
        case .array(let elements):
            self.beginArray()
            for element in elements {
                self.writeValue(element)
            }
            self.endArray()
        case .object(let members):
            self.beginObject()
            for member in members {
                self.writeKey(member.key)
                self.writeValue(member.value)
            }
            self.endObject()
        }
    }

    /// Serializes a value as compact JSON text.
    ///
    /// - Parameter value: The value to serialize.
    /// - Returns: The JSON text.
    public static func serialize(_ value: JSONValue) -> String {
        var writer = JSONWriter()
        writer.writeValue(value)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    // MARK: - Helpers

    private mutating func appendASCII(_ literal: StaticString) {
        self.bytes.append(
            contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        )
    }

    /// Appends `string` as a quoted, escaped JSON string.
    private mutating func appendQuoted(_ string: String) {
        self.bytes.append(UInt8(ascii: "\""))
        let handled: Void? = string.utf8.withContiguousStorageIfAvailable { self.appendEscaped($0) }
        if handled == nil {
            var contiguous = string
            contiguous.withUTF8 { self.appendEscaped($0) }
        }
        self.bytes.append(UInt8(ascii: "\""))
    }

    /// Appends UTF-8 text, escaping the characters JSON requires to be escaped.
    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in utf8.indices {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                continue
            }
            self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            runStart = index + 1
            self.bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                self.bytes.append(byte)
            case 0x08:
                self.bytes.append(UInt8(ascii: "b"))
            case 0x0C:
                self.bytes.append(UInt8(ascii: "f"))
            case 0x0A:
                self.bytes.append(UInt8(ascii: "n"))
            case 0x0D:
                self.bytes.append(UInt8(ascii: "r"))
            case 0x09:
                self.bytes.append(UInt8(ascii: "t"))
            default:
                let hexDigits: StaticString = "0123456789abcdef"
                self.bytes.append(UInt8(ascii: "u"))
                self.bytes.append(UInt8(ascii: "0"))
                self.bytes.append(UInt8(ascii: "0"))
                self.bytes.append(hexDigits.utf8Start[Int(byte >> 4)])
                self.bytes.append(hexDigits.utf8Start[Int(byte & 0x0F)])
            }
        }
        self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
    }

    /// Whether `literal` is a complete JSON number literal.
    private static func isValidNumberLiteral(_ literal: String) -> Bool {
        var literal = literal
        return literal.withUTF8 { utf8 in
            guard var scanner = JSONScanner(UnsafeRawBufferPointer(utf8)),
                let _ = try? scanner.scanNumber()
            else {
                return false
            }
            return scanner.index == scanner.count
        }
    }
}

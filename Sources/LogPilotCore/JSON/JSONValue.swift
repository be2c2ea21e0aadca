/// A JSON value as defined by RFC 8259.
///
/// Numbers keep the literal text in which they appeared (for example `"1.50"` or `"-0"`), so no
/// precision is lost and no floating-point conversion happens unless a caller asks for one.
/// Objects keep their members in input order, including duplicate keys.
public enum JSONValue: Sendable, Hashable {
    /// The literal `null`.
    case null

    /// The literal `true` or `false`.
    case bool(Bool)

    /// A number, stored as its JSON literal text.
    ///
    /// Values produced by ``JSONParser`` always hold a valid JSON number literal.
    case number(String)

    /// A string, with escape sequences decoded.
    case string(String)

    /// An array of values.
    case array([JSONValue])

    /// An object: its members in input order, duplicates preserved.
    case object([JSONMember])
}

extension JSONValue {
    /// The value of the first member named `key`, or `nil` when there is no such member or
    /// when this value is not an object.
    ///
    /// - Parameter key: The member name to look up.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else {
            return nil
        }
        for member in members where member.key == key {
            return member.value
        }
        return nil
    }

    /// The string, when this value is a ``string(_:)``.
    public var stringValue: String? {
        guard case .string(let string) = self else {
            return nil
        }
        return string
    }

    /// The number as an `Int64`, when this value is an integral ``number(_:)`` literal (no
    /// fraction or exponent part) that fits in 64 bits.
    ///
    /// `12` and `-3` have an `Int64` value; `12.0`, `1e3` and `9223372036854775808` do not.
    public var int64Value: Int64? {
        guard case .number(let literal) = self else {
            return nil
        }
        var text = literal
        return text.withUTF8 { JSONNumberLiteral.int64(from: $0) }
    }

    /// The Boolean, when this value is a ``bool(_:)``.
    public var boolValue: Bool? {
        guard case .bool(let bool) = self else {
            return nil
        }
        return bool
    }

    /// Whether this value is ``null``.
    public var isNull: Bool {
        if case .null = self {
            return true
        }
        return false
    }
}

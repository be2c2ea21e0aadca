/// One `"key": value` pair of a JSON object.
///
/// ``JSONValue/object(_:)`` keeps its members in an array, so the order of the input and any
/// duplicate keys are preserved.
public struct JSONMember: Sendable, Hashable {
    /// The member's key, with escape sequences decoded.
    public var key: String

    /// The member's value.
    public var value: JSONValue

    /// Creates an object member.
    ///
    /// - Parameters:
    ///   - key: The member's key.
    ///   - value: The member's value.
    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}

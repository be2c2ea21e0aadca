/// A JSON text that does not conform to RFC 8259, or that exceeds a parser limit.
///
/// The error carries the byte offset at which the problem was detected, counted from the first
/// byte of the input, and a short human-readable reason. It never contains input bytes, so it is
/// safe to log and to return to clients.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The zero-based byte offset in the input at which the problem was detected.
    public var offset: Int

    /// A short description of the problem, for example `expected ',' or '}'`.
    public var reason: String

    /// Creates a syntax error.
    ///
    /// - Parameters:
    ///   - offset: The zero-based byte offset of the problem.
    ///   - reason: A short description of the problem.
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    /// A message such as `invalid JSON at byte 17: expected ',' or '}'`.
    public var description: String {
        "invalid JSON at byte \(self.offset): \(self.reason)"
    }
}

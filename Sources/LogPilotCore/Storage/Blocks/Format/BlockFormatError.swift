/// A block, a token filter or a zstd frame that is not well formed.
///
/// Everything LogPilot decodes from stored blocks is treated as hostile: a truncated, corrupted or crafted block
/// never traps, overflows or reads out of bounds; it throws this error, whose message names the part and the
/// problem, e.g. `block: ids column: varint runs past the end at byte 17`.
public struct BlockFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong and where.
    public var message: String

    /// Creates an error with a message naming the part and the problem.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    /// The same error with `context: ` in front, e.g. `block: meta column: ` before a zstd frame error.
    func within(_ context: String) -> BlockFormatError {
        BlockFormatError("\(context): \(message)")
    }
}

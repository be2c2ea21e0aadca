import NIOCore

/// Puts the 5-byte gRPC length prefix in front of response messages.
///
/// Responses are never compressed here (the flag byte is 0); the server advertises `grpc-accept-encoding` for
/// requests only.
enum GRPCMessageFramer {
    /// The compressed flag (1 byte) plus the big-endian payload length (4 bytes).
    static let prefixLength = 5

    /// The largest payload a prefix can describe.
    static let maxPayloadLength = Int(UInt32.max)

    /// One framed message.
    ///
    /// - Throws: RESOURCE_EXHAUSTED when the payload does not fit a 32-bit length.
    static func frame(_ message: [UInt8], allocator: ByteBufferAllocator = ByteBufferAllocator()) throws(GRPCStatus)
        -> ByteBuffer
    {
        var buffer = allocator.buffer(capacity: prefixLength + message.count)
        try frame(message, into: &buffer)
        return buffer
    }

    /// Appends one framed message to `buffer`.
    ///
    /// - Throws: RESOURCE_EXHAUSTED when the payload does not fit a 32-bit length.
    static func frame(_ message: [UInt8], into buffer: inout ByteBuffer) throws(GRPCStatus) {
        guard message.count <= maxPayloadLength else {
            throw GRPCStatus(.resourceExhausted, "response message larger than \(maxPayloadLength) bytes")
        }
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(message.count))
        buffer.writeBytes(message)
    }
}

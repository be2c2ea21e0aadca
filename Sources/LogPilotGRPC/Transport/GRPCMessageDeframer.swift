import NIOCore

/// Splits the bytes of a request stream into gRPC messages.
///
/// On the wire every message is a 5-byte prefix (a compressed flag, then the payload length as a big-endian
/// `UInt32`) followed by the payload. HTTP/2 DATA frames cut this stream anywhere: one chunk may hold several
/// messages, and one message may span many chunks. The deframer buffers at most one partial message, and refuses a
/// message as soon as its prefix announces more than `maxMessageBytes`, so a peer cannot make it buffer more than
/// that (plus one chunk).
///
/// A value type without I/O: feed it with ``append(_:)``, take messages with ``next()`` until it returns nil, and
/// call ``finish()`` when the client half-closes.
struct GRPCMessageDeframer {
    /// One de-framed message.
    struct Message: Equatable, Sendable {
        /// The payload, still compressed when ``isCompressed`` is true.
        var bytes: [UInt8]
        /// The compressed flag of the prefix (only ever true when the stream declared a `grpc-encoding`).
        var isCompressed: Bool

        /// The bytes this message took on the wire, prefix included (the unit of flow-control credit).
        var framedSize: Int { bytes.count + GRPCMessageFramer.prefixLength }
    }

    /// The largest payload accepted; a larger length prefix is RESOURCE_EXHAUSTED.
    let maxMessageBytes: Int
    /// Whether the stream declared a `grpc-encoding` other than identity. Without one, a set compressed flag is
    /// INTERNAL (gRPC spec: "compressed flag set without grpc-encoding").
    let allowsCompressedMessages: Bool

    private var buffer: ByteBuffer

    init(maxMessageBytes: Int, allowsCompressedMessages: Bool) {
        self.maxMessageBytes = maxMessageBytes
        self.allowsCompressedMessages = allowsCompressedMessages
        self.buffer = ByteBuffer()
    }

    /// Bytes received but not yet returned as a message.
    var bufferedBytes: Int { buffer.readableBytes }

    /// Appends bytes from a DATA frame.
    mutating func append(_ bytes: ByteBuffer) {
        if buffer.readableBytes == 0 {
            // The common case (the chunk starts a message): keep the chunk itself, no copy.
            buffer = bytes
        } else {
            var bytes = bytes
            buffer.writeBuffer(&bytes)
        }
    }

    /// The next complete message, or nil when more bytes are needed.
    ///
    /// - Throws: RESOURCE_EXHAUSTED when a prefix announces more than ``maxMessageBytes``; INTERNAL for a compressed
    ///   flag without a declared encoding or a flag other than 0 or 1. After an error the stream is unusable.
    mutating func next() throws(GRPCStatus) -> Message? {
        guard let flag = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            let length = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self)
        else {
            return nil
        }
        switch flag {
        case 0:
            break
        case 1:
            guard allowsCompressedMessages else {
                throw GRPCStatus(.internalError, "compressed flag set on a message but the call has no grpc-encoding")
            }
        default:
            throw GRPCStatus(.internalError, "invalid message prefix: compressed flag \(flag)")
        }
        guard UInt64(length) <= UInt64(maxMessageBytes) else {
            throw GRPCStatus(
                .resourceExhausted,
                "received message larger than max (\(length) vs. \(maxMessageBytes))"
            )
        }
        let payloadLength = Int(length)
        guard buffer.readableBytes >= GRPCMessageFramer.prefixLength + payloadLength else {
            return nil
        }
        buffer.moveReaderIndex(forwardBy: GRPCMessageFramer.prefixLength)
        // `readBytes` cannot fail here: the length was checked just above.
        let payload = buffer.readBytes(length: payloadLength) ?? []
        if buffer.readableBytes == 0 {
            buffer.clear()
        } else if buffer.readerIndex > 64 * 1024 {
            buffer.discardReadBytes()
        }
        return Message(bytes: payload, isCompressed: flag == 1)
    }

    /// Checks that the stream did not end in the middle of a message.
    ///
    /// - Throws: INTERNAL when bytes of an incomplete message are left over.
    func finish() throws(GRPCStatus) {
        if buffer.readableBytes > 0 {
            throw GRPCStatus(.internalError, "the request stream ended in the middle of a message")
        }
    }
}

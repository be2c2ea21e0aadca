import NIOCore

extension HTTP2Session {
    /// An HTTP/2 error code (RFC 9113 §7), as sent in RST_STREAM and GOAWAY.
    struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        var rawValue: UInt32
        init(rawValue: UInt32) { self.rawValue = rawValue }

        static let noError = ErrorCode(rawValue: 0x0)
        static let protocolError = ErrorCode(rawValue: 0x1)
        static let internalError = ErrorCode(rawValue: 0x2)
        static let flowControlError = ErrorCode(rawValue: 0x3)
        static let refusedStream = ErrorCode(rawValue: 0x7)
        static let cancel = ErrorCode(rawValue: 0x8)
        static let enhanceYourCalm = ErrorCode(rawValue: 0xB)

        var description: String { "0x\(String(rawValue, radix: 16))" }
    }
}

/// What an ``HTTP2Session`` saw while reading or writing, as plain values for the connection to act on.
enum HTTP2Event {
    /// A client opened a stream: its complete request header block. `endStream` means the request has no body.
    /// `exceedsHeaderListLimit` means the block was larger than the advertised SETTINGS_MAX_HEADER_LIST_SIZE; the
    /// fields past the limit were dropped and the request must be refused.
    case requestHeaders(streamID: Int32, headers: [(name: String, value: String)], endStream: Bool,
                        exceedsHeaderListLimit: Bool)
    /// A chunk of a DATA frame's payload (padding removed). The stream's flow-control window is given back only
    /// through ``HTTP2Session/consumeStream(_:bytes:)``.
    case data(streamID: Int32, ByteBuffer)
    /// The client half-closed the stream (END_STREAM on DATA or on a trailer block).
    case endStream(streamID: Int32)
    /// The stream is gone: both sides ended, or a RST_STREAM either way. `errorCode` is the reset's code.
    case streamClosed(streamID: Int32, errorCode: HTTP2Session.ErrorCode)
    /// The frame carrying the server's END_STREAM for this stream was written.
    case sentEndStream(streamID: Int32)
    /// This many bytes of the stream's queued response data were handed to nghttp2 as DATA frames.
    case responseDataSent(streamID: Int32, bytes: Int)
    /// The client sent GOAWAY.
    case goAwayReceived(lastStreamID: Int32, errorCode: HTTP2Session.ErrorCode)
    /// The client acknowledged a PING we sent.
    case pingAcknowledged(opaqueData: UInt64)
    /// The session failed for good (an error nghttp2 reports as fatal, e.g. a bad connection preface or a flood).
    /// The session does nothing more; close the connection.
    case connectionError(String)
}

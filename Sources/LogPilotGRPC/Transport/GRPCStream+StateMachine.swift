extension GRPCStream {
    /// The lifecycle of one call's HTTP/2 stream, and what the server sends when.
    ///
    /// The request half (the client's side) goes idle → open (request headers) → closed (END_STREAM, or a reset);
    /// the response half goes pending (nothing sent) → streaming (response headers sent) → finishing (trailers
    /// queued) → finished (END_STREAM sent, or a reset). Together they make the HTTP/2 states of RFC 9113 §5.1 that
    /// a server stream can be in: idle, open, half-closed (remote), half-closed (local) and closed.
    ///
    /// Rules it encodes (gRPC HTTP/2 protocol spec):
    /// - response headers go out lazily, just before the first response message;
    /// - a call that ends before any message is a *trailers-only* response (one HEADERS frame with END_STREAM);
    /// - otherwise the status goes in trailers after the last message;
    /// - when the response ends while the client is still sending, the stream is reset with NO_ERROR once the
    ///   END_STREAM is out (RFC 9113 §8.1), so the client stops sending;
    /// - a stream that closes before the response ended means the client cancelled: the handler is cancelled.
    ///
    /// A value type without I/O: each method returns what the connection must do.
    struct StateMachine: Sendable {
        enum RequestState: Equatable, Sendable {
            case idle
            case open
            case closed
        }

        enum ResponseState: Equatable, Sendable {
            case pending
            case streaming
            case finishing
            case finished
        }

        /// The HTTP/2 stream state (RFC 9113 §5.1) these halves add up to.
        enum HTTP2State: Equatable, Sendable {
            case idle
            case open
            case halfClosedRemote
            case halfClosedLocal
            case closed
        }

        private(set) var request: RequestState = .idle
        private(set) var response: ResponseState = .pending

        init() {}

        var http2State: HTTP2State {
            switch (request, response) {
            case (.idle, _): .idle
            case (.open, .finished): .halfClosedLocal
            case (.open, _): .open
            case (.closed, .finished): .closed
            case (.closed, _): .halfClosedRemote
            }
        }

        /// Whether the response has been ended (trailers queued or sent, or the stream reset).
        var isResponseEnded: Bool { response == .finishing || response == .finished }

        // MARK: Request side

        /// The request headers arrived (`endStream`: they carried END_STREAM, i.e. a request without messages).
        mutating func receivedHeaders(endStream: Bool) {
            guard request == .idle else { return }
            request = endStream ? .closed : .open
        }

        enum OnData: Equatable, Sendable {
            /// Pass the bytes to the deframer.
            case deliver
            /// The response already ended (or the request did): drop the bytes.
            case ignore
        }

        /// A DATA chunk arrived.
        func receivedData() -> OnData {
            request == .open && !isResponseEnded ? .deliver : .ignore
        }

        enum OnEndStream: Equatable, Sendable {
            /// Tell the handler the request stream is complete (after checking for a partial message).
            case deliverEnd
            case ignore
        }

        /// The client half-closed (END_STREAM on DATA or trailers).
        mutating func receivedEndStream() -> OnEndStream {
            guard request == .open else { return .ignore }
            request = .closed
            return isResponseEnded ? .ignore : .deliverEnd
        }

        // MARK: Response side

        enum OnSendMessage: Equatable, Sendable {
            /// Submit the response headers (with a data provider), then queue the message.
            case sendHeadersAndMessage
            /// Queue the message after the ones already sent.
            case sendMessage
            /// The response ended (status sent, or the client reset the stream): drop the message.
            case drop
        }

        /// The handler wrote a response message.
        mutating func sendMessage() -> OnSendMessage {
            switch response {
            case .pending:
                response = .streaming
                return .sendHeadersAndMessage
            case .streaming:
                return .sendMessage
            case .finishing, .finished:
                return .drop
            }
        }

        enum OnFinish: Equatable, Sendable {
            /// No message was sent: answer with one HEADERS frame carrying `:status`, `content-type` and the status.
            case sendTrailersOnly
            /// Messages were sent: queue the trailers behind them.
            case sendTrailers
            /// The response already ended: nothing to send.
            case none
        }

        /// The call ended with a status (handler returned or threw, deadline, malformed request, ...).
        mutating func finish() -> OnFinish {
            switch response {
            case .pending:
                response = .finishing
                return .sendTrailersOnly
            case .streaming:
                response = .finishing
                return .sendTrailers
            case .finishing, .finished:
                return .none
            }
        }

        enum OnEndStreamSent: Equatable, Sendable {
            /// The client is still sending: reset the stream with NO_ERROR so it stops.
            case resetNoError
            case none
        }

        /// nghttp2 sent the frame carrying our END_STREAM.
        mutating func endStreamSent() -> OnEndStreamSent {
            response = .finished
            return request == .open ? .resetNoError : .none
        }

        enum OnStreamClosed: Equatable, Sendable {
            /// The stream went away before the server ended the response (client RST_STREAM or connection loss):
            /// cancel the handler. (When the server ended it, the call is already over.)
            case cancelCall
            case none
        }

        /// nghttp2 closed the stream (both sides done, or a reset either way).
        mutating func streamClosed() -> OnStreamClosed {
            let wasEnded = isResponseEnded
            request = .closed
            response = .finished
            return wasEnded ? .none : .cancelCall
        }
    }
}

// MARK: - Header blocks

extension GRPCStream.StateMachine {
    /// The response headers sent before the first message.
    static func responseHeaders() -> [(name: String, value: String)] {
        [
            (":status", "200"),
            ("content-type", "application/grpc"),
            ("grpc-accept-encoding", GRPCMessageEncoding.acceptedList),
        ]
    }

    /// The trailers that end a response with messages: `grpc-status`, `grpc-message` (percent-encoded, only when
    /// not empty) and the status' extra trailers that are safe to send.
    static func trailers(for status: GRPCStatus) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [("grpc-status", "\(status.code.rawValue)")]
        if !status.message.isEmpty {
            fields.append(("grpc-message", GRPCPercentEncoding.encode(status.message)))
        }
        for trailer in status.trailers where isSendableExtraTrailer(name: trailer.name, value: trailer.value) {
            fields.append(trailer)
        }
        return fields
    }

    /// A trailers-only response: headers and trailers in one HEADERS frame with END_STREAM.
    static func trailersOnly(for status: GRPCStatus, httpStatus: Int = 200) -> [(name: String, value: String)] {
        [
            (":status", "\(httpStatus)"),
            ("content-type", "application/grpc"),
            ("grpc-accept-encoding", GRPCMessageEncoding.acceptedList),
        ] + trailers(for: status)
    }

    /// Extra trailers come from handlers: only lower-case token names that are not reserved (`grpc-*`, pseudo,
    /// `content-type`, `te`) and values of visible ASCII and spaces go out; anything else is dropped rather than
    /// risk a malformed or smuggled header block.
    static func isSendableExtraTrailer(name: String, value: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 256, value.utf8.count <= 4096 else { return false }
        guard !name.hasPrefix("grpc-"), name != "content-type", name != "te" else { return false }
        let validName = name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        return validName && value.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }
    }
}

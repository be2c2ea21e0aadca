/// Decides what happens to a connection whose response was written before its request body was read to the end
/// (an early 413, 415, 401, 429 or 400): the "lingering close" of nginx and Apache, as a value type without I/O.
///
/// Such a response carries `Connection: close`. After it, the rest of the request body is read and thrown away until
/// the request ends, the client closes, or a bound (bytes or time) is reached; only then is the connection closed.
/// Without this, a client that writes its whole body before reading (Python's `urllib`, HTTP/1.0-style clients)
/// blocks in `send` once the socket buffers fill and never sees the answer; closing at once instead would make the
/// kernel answer the unread bytes with a reset that can destroy the response before the client reads it.
///
/// Responses are matched to requests in order, so pipelined requests are counted, not assumed away.
struct LingeringClose {
    /// What the handler does with an inbound request part.
    enum InboundAction: Equatable {
        /// Pass it on to the application.
        case forward
        /// Drop it (draining).
        case discard
        /// Drop it and close the connection (the request ended, or the byte bound was reached).
        case discardAndClose
    }

    /// What the handler does with an outbound response head.
    enum ResponseHeadAction: Equatable {
        case forward
        /// Forward it with `Connection: close` added: the request is still being received.
        case forwardClosing
    }

    /// The limits of one drain.
    struct Limits: Equatable {
        /// Bytes of request body thrown away at most.
        var maxBytes: Int
        /// How long to drain, at most.
        var maxDuration: Duration
    }

    private(set) var limits: Limits
    /// Request heads seen.
    private var requestsStarted = 0
    /// Request ends seen.
    private var requestsEnded = 0
    /// Final (non-1xx) response heads written.
    private var responsesStarted = 0
    /// A response written before its request ended has been started, and drains after its end.
    private var closeAfterResponse = false
    /// The HTTP parser failed: the bytes that follow arrive as decoder errors, not request parts.
    private var parserFailed = false
    /// Draining: bytes thrown away so far.
    private(set) var drainedBytes = 0
    private(set) var isDraining = false

    init(limits: Limits) {
        self.limits = limits
    }

    /// A request head arrived.
    mutating func requestHead() -> InboundAction {
        guard !isDraining else { return .discard }
        requestsStarted += 1
        return .forward
    }

    /// `bytes` of request body arrived.
    mutating func requestBody(bytes: Int) -> InboundAction {
        guard isDraining else { return .forward }
        return discard(bytes: bytes)
    }

    /// The request's end arrived.
    mutating func requestEnd() -> InboundAction {
        guard isDraining else {
            requestsEnded += 1
            return .forward
        }
        return .discardAndClose
    }

    /// Bytes the decoder could not parse arrived after a parse error (they never become request parts).
    mutating func bytesAfterParserError(_ bytes: Int) -> InboundAction {
        guard isDraining else { return .forward }
        return discard(bytes: bytes)
    }

    /// The HTTP parser failed; the application answers 400 and closes.
    mutating func parserError() {
        parserFailed = true
    }

    /// A response head with `status` is being written.
    mutating func responseHead(status: Int) -> ResponseHeadAction {
        guard status >= 200 else { return .forward }  // 100 Continue and other interim answers
        responsesStarted += 1
        if parserFailed || requestsEnded < responsesStarted {
            closeAfterResponse = true
            return .forwardClosing
        }
        return .forward
    }

    /// What the handler does once a response's end is written.
    enum ResponseEndAction: Equatable {
        case none
        /// Start draining: read on its own (the application no longer asks for data) and arm the time bound.
        case startDraining
        /// The request ended while the response was written: close now.
        case close
    }

    /// A response's end is being written.
    mutating func responseEnd() -> ResponseEndAction {
        guard closeAfterResponse, !isDraining else { return .none }
        closeAfterResponse = false
        if !parserFailed && requestsEnded >= responsesStarted { return .close }
        isDraining = true
        return .startDraining
    }

    private mutating func discard(bytes: Int) -> InboundAction {
        drainedBytes += bytes
        return drainedBytes > limits.maxBytes ? .discardAndClose : .discard
    }
}

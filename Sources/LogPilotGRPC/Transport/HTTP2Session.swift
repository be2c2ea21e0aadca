// The only file with unsafe nghttp2 code. Everything else sees `HTTP2Event` values and a few submit methods.
//
// One `HTTP2Session` owns one server-side `nghttp2_session`. It never touches the network: the connection feeds it
// the bytes it read (`receive`, through `nghttp2_session_mem_recv`) and writes out what it produces
// (`pendingOutput`, through `nghttp2_session_mem_send`). nghttp2 reports what it parsed through C callbacks while
// inside those two calls; the callbacks only append plain `HTTP2Event` values to the session, which the caller gets
// back once nghttp2 has returned, so no Swift code of the caller ever runs inside nghttp2.
//
// Callback pattern (as NIO's `BetterHTTPParser`): `self` travels as unretained `user_data` (the session object
// owns the `nghttp2_session`, so it outlives every callback), is read back in one `fromOpaque` helper, and is
// overwritten with NULL before the session is freed. Every entry point runs under `withExclusiveAccess`, which
// traps on re-entrancy. A callback that fails stores a Swift error on the object and returns
// NGHTTP2_ERR_CALLBACK_FAILURE, which makes nghttp2 fail the whole session; the stored error is then reported as
// `.connectionError`.
//
// Flow control: the session is created with `no_auto_window_update`, so nghttp2 never re-opens a receive window
// by itself; the connection calls `consumeConnection` / `consumeStream` as the application takes the data. nghttp2
// still consumes on its own what the application never sees (padding, DATA for closed streams).
//
// Response bodies go through a data provider reading a per-stream queue of `ByteBuffer`s. The read callback
// answers NGHTTP2_ERR_DEFERRED when the queue is empty; `sendData` and `submitTrailers` resume the stream. Trailers
// are submitted from inside the read callback once the queue is drained (EOF + NO_END_STREAM, then
// `nghttp2_submit_trailer`), as nghttp2 documents, so they can never overtake queued DATA.
//
// nghttp2 1.52 (Debian 12) predates the `nghttp2_ssize` (`*2`) API; `CNGHTTP2/shim.h` wraps the calls that differ.

private import CNGHTTP2
import NIOCore

/// A failure to set up an nghttp2 session.
struct HTTP2SessionError: Error, CustomStringConvertible {
    var description: String
}

/// One server-side HTTP/2 session on nghttp2, driven by bytes in and bytes out.
///
/// Not thread-safe and not `Sendable`: its owner (one connection, confined to one event loop) must be the only
/// caller.
final class HTTP2Session {
    /// What the server advertises in its SETTINGS frame, plus the connection-level receive window.
    struct Settings {
        /// SETTINGS_MAX_CONCURRENT_STREAMS: nghttp2 refuses streams beyond it with RST_STREAM(REFUSED_STREAM).
        var maxConcurrentStreams: Int
        /// SETTINGS_INITIAL_WINDOW_SIZE: how many request bytes a client may send on a stream before the server
        /// grants more.
        var initialStreamWindowSize: Int
        /// The connection-level receive window (raised with a WINDOW_UPDATE on stream 0 right after SETTINGS).
        var connectionWindowSize: Int
        /// SETTINGS_MAX_HEADER_LIST_SIZE (RFC 9113 §6.5.2 size: name + value + 32 per field). nghttp2 does not
        /// enforce it on received headers; this class does, see ``HTTP2Event/requestHeaders(streamID:headers:endStream:exceedsHeaderListLimit:)``.
        var maxHeaderListSize: Int
    }

    // Reference types, so that callbacks update them in place (a struct copied out of the dictionary would make
    // every append copy the whole buffer).
    private final class HeaderBlock {
        var fields: [(name: String, value: String)] = []
        var size = 0
        var exceedsLimit = false
    }

    private final class OutboundStream {
        var chunks = CircularBuffer<ByteBuffer>(initialCapacity: 4)
        var bufferedBytes = 0
        var trailers: [(name: String, value: String)]?
    }

    private let session: OpaquePointer
    private let maxHeaderListSize: Int
    private var events: [HTTP2Event] = []
    private var headerBlocks: [Int32: HeaderBlock] = [:]
    private var outbound: [Int32: OutboundStream] = [:]
    private var sentResponseBytes: [Int32: Int] = [:]
    private var isBusy = false
    private var callbackError: String?
    private var hasFailed = false
    // The buffer being read by `receive`, so DATA chunks can be sliced out of it instead of copied.
    private var inputBuffer: ByteBuffer?
    private var inputBase: UnsafeRawPointer?

    /// Creates the session and queues the server's SETTINGS (and connection WINDOW_UPDATE).
    init(settings: Settings) throws {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else {
            throw HTTP2SessionError(description: "nghttp2_session_callbacks_new failed")
        }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, Callbacks.onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, Callbacks.onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Callbacks.onFrameRecv)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Callbacks.onDataChunkRecv)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Callbacks.onStreamClose)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, Callbacks.onFrameSend)

        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else {
            throw HTTP2SessionError(description: "nghttp2_option_new failed")
        }
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_no_auto_window_update(option, 1)
        // Closed streams are kept only for RFC 7540 priorities, which gRPC clients do not use: save the memory.
        nghttp2_option_set_no_closed_streams(option, 1)

        var created: OpaquePointer?
        let rv = nghttp2_session_server_new2(&created, callbacks, nil, option)
        guard rv == 0, let created else {
            throw HTTP2SessionError(description: "nghttp2_session_server_new2 failed: \(Self.errorString(rv))")
        }
        self.session = created
        self.maxHeaderListSize = settings.maxHeaderListSize
        nghttp2_session_set_user_data(created, Unmanaged.passUnretained(self).toOpaque())

        var entries = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: UInt32(clamping: settings.maxConcurrentStreams)
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: UInt32(clamping: min(settings.initialStreamWindowSize, Int(Int32.max)))
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: UInt32(clamping: settings.maxHeaderListSize)
            ),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
        ]
        let settingsResult = nghttp2_submit_settings(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        guard settingsResult == 0 else {
            throw HTTP2SessionError(description: "nghttp2_submit_settings failed: \(Self.errorString(settingsResult))")
        }
        let windowResult = nghttp2_session_set_local_window_size(
            created, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(clamping: settings.connectionWindowSize)
        )
        guard windowResult == 0 else {
            throw HTTP2SessionError(description: "nghttp2_session_set_local_window_size failed: \(Self.errorString(windowResult))")
        }
    }

    deinit {
        // Poison user_data first: no callback may find this object once it is being torn down.
        nghttp2_session_set_user_data(session, nil)
        nghttp2_session_del(session)
    }

    // MARK: - Driving the session

    /// Feeds bytes read from the connection; returns what they contained.
    func receive(_ bytes: ByteBuffer) -> [HTTP2Event] {
        withExclusiveAccess {
            guard !hasFailed else { return [] }
            inputBuffer = bytes
            defer {
                inputBuffer = nil
                inputBase = nil
            }
            let result = bytes.withUnsafeReadableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                inputBase = base
                return cnghttp2_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), raw.count)
            }
            if result < 0 {
                hasFailed = true
                events.append(.connectionError(callbackError ?? Self.errorString(Int32(clamping: result))))
            }
            return takeEvents()
        }
    }

    /// Serializes pending frames (SETTINGS, WINDOW_UPDATE, HEADERS, DATA, RST_STREAM, GOAWAY, ...) into `buffer`,
    /// stopping once it holds at least `maxBytes`. Returns what happened while writing (END_STREAM sent, streams
    /// closed, response bytes taken from the queues).
    func pendingOutput(into buffer: inout ByteBuffer, maxBytes: Int) -> [HTTP2Event] {
        withExclusiveAccess {
            guard !hasFailed else { return [] }
            while buffer.readableBytes < maxBytes {
                var data: UnsafePointer<UInt8>?
                let count = cnghttp2_mem_send(session, &data)
                if count < 0 {
                    hasFailed = true
                    events.append(.connectionError(callbackError ?? Self.errorString(Int32(clamping: count))))
                    break
                }
                guard count > 0, let data else { break }
                buffer.writeBytes(UnsafeRawBufferPointer(start: data, count: count))
            }
            for (streamID, bytes) in sentResponseBytes {
                events.append(.responseDataSent(streamID: streamID, bytes: bytes))
            }
            sentResponseBytes.removeAll(keepingCapacity: true)
            return takeEvents()
        }
    }

    /// Whether nghttp2 still wants to read: false once GOAWAY went either way and no stream is left, or after a
    /// fatal error.
    var wantsRead: Bool {
        !hasFailed && nghttp2_session_want_read(session) != 0
    }

    /// Whether frames are waiting to be written.
    var wantsWrite: Bool {
        !hasFailed && nghttp2_session_want_write(session) != 0
    }

    // MARK: - Flow control

    /// Gives `bytes` of connection-level receive window back to the client.
    func consumeConnection(bytes: Int) {
        guard bytes > 0 else { return }
        withExclusiveAccess { _ = nghttp2_session_consume_connection(session, bytes) }
    }

    /// Gives `bytes` of a stream's receive window back to the client (nothing happens for a closed stream).
    func consumeStream(_ streamID: Int32, bytes: Int) {
        guard bytes > 0 else { return }
        withExclusiveAccess { _ = nghttp2_session_consume_stream(session, streamID, bytes) }
    }

    // MARK: - Responses

    /// Submits response headers; the body then comes from ``sendData(_:_:)`` and ends with ``submitTrailers(_:_:)``.
    /// Returns false if nghttp2 refused (the stream is gone).
    @discardableResult
    func submitResponseHeaders(_ streamID: Int32, _ headers: [(name: String, value: String)]) -> Bool {
        withExclusiveAccess {
            outbound[streamID] = OutboundStream()
            let rv = Self.withNameValuePairs(headers) { nva, count in
                cnghttp2_submit_response(session, streamID, nva, count, Callbacks.readResponseData)
            }
            if rv != 0 { outbound[streamID] = nil }
            return rv == 0
        }
    }

    /// Submits a complete response in one HEADERS frame with END_STREAM (a gRPC trailers-only response).
    @discardableResult
    func submitHeadersOnlyResponse(_ streamID: Int32, _ headers: [(name: String, value: String)]) -> Bool {
        withExclusiveAccess {
            let rv = Self.withNameValuePairs(headers) { nva, count in
                cnghttp2_submit_response(session, streamID, nva, count, nil)
            }
            return rv == 0
        }
    }

    /// Queues response body bytes behind those already queued on the stream.
    func sendData(_ streamID: Int32, _ bytes: ByteBuffer) {
        withExclusiveAccess {
            guard let stream = outbound[streamID], stream.trailers == nil else { return }
            stream.bufferedBytes += bytes.readableBytes
            stream.chunks.append(bytes)
            _ = nghttp2_session_resume_data(session, streamID)
        }
    }

    /// Queues the trailers (with END_STREAM); they go out once the queued body bytes have.
    func submitTrailers(_ streamID: Int32, _ trailers: [(name: String, value: String)]) {
        withExclusiveAccess {
            guard let stream = outbound[streamID], stream.trailers == nil else { return }
            stream.trailers = trailers
            _ = nghttp2_session_resume_data(session, streamID)
        }
    }

    /// Queues a RST_STREAM; nghttp2 drops whatever is still queued for the stream.
    func resetStream(_ streamID: Int32, errorCode: ErrorCode) {
        withExclusiveAccess {
            _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode.rawValue)
        }
    }

    // MARK: - Connection shutdown

    /// First step of a graceful shutdown: a GOAWAY with the maximum stream id (new streams are still accepted, but
    /// the client learns it should stop opening them), followed by a PING whose acknowledgement marks one round
    /// trip, after which ``submitGoAway(errorCode:)`` can name the real last stream.
    func submitShutdownNotice(pingData: UInt64) {
        withExclusiveAccess {
            _ = nghttp2_submit_shutdown_notice(session)
            var opaque = pingData.bigEndian
            withUnsafeBytes(of: &opaque) { raw in
                _ = nghttp2_submit_ping(
                    session, UInt8(NGHTTP2_FLAG_NONE.rawValue), raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
                )
            }
        }
    }

    /// The final GOAWAY, naming the last stream the server processed: streams up to it finish, later ones are
    /// ignored.
    func submitGoAway(errorCode: ErrorCode) {
        withExclusiveAccess {
            let lastStreamID = nghttp2_session_get_last_proc_stream_id(session)
            _ = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStreamID, errorCode.rawValue, nil, 0)
        }
    }

    /// GOAWAY now, after which nghttp2 wants neither to read nor to write once it is written (idle timeout).
    func terminate(errorCode: ErrorCode) {
        withExclusiveAccess {
            _ = nghttp2_session_terminate_session(session, errorCode.rawValue)
        }
    }

    // MARK: - Internals

    private func withExclusiveAccess<Result>(_ body: () -> Result) -> Result {
        precondition(!isBusy, "HTTP2Session re-entered from one of its own callbacks")
        isBusy = true
        defer { isBusy = false }
        return body()
    }

    private func takeEvents() -> [HTTP2Event] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    fileprivate static func fromOpaque(_ userData: UnsafeMutableRawPointer?) -> HTTP2Session? {
        guard let userData else { return nil }
        return Unmanaged<HTTP2Session>.fromOpaque(userData).takeUnretainedValue()
    }

    private static func errorString(_ code: Int32) -> String {
        String(cString: nghttp2_strerror(code))
    }

    /// Calls `body` with an `nghttp2_nv` array pointing into one contiguous copy of the fields (nghttp2 copies
    /// them when a frame is submitted).
    private static func withNameValuePairs<Result>(
        _ fields: [(name: String, value: String)],
        _ body: (UnsafePointer<nghttp2_nv>?, Int) -> Result
    ) -> Result {
        var storage: [UInt8] = []
        storage.reserveCapacity(fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count })
        var offsets: [(name: Int, nameLength: Int, value: Int, valueLength: Int)] = []
        offsets.reserveCapacity(fields.count)
        for field in fields {
            let name = storage.count
            storage.append(contentsOf: field.name.utf8)
            let value = storage.count
            storage.append(contentsOf: field.value.utf8)
            offsets.append((name, value - name, value, storage.count - value))
        }
        return storage.withUnsafeMutableBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return body(nil, 0) }
            let pairs = offsets.map { offset in
                nghttp2_nv(
                    name: base + offset.name,
                    value: base + offset.value,
                    namelen: offset.nameLength,
                    valuelen: offset.valueLength,
                    flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
                )
            }
            return pairs.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
        }
    }

    // MARK: - Callback bodies (run inside nghttp2_session_mem_recv / mem_send)

    fileprivate func onBeginHeaders(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        if frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue), frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
            headerBlocks[frame.pointee.hd.stream_id] = HeaderBlock()
        }
        return 0
    }

    fileprivate func onHeader(
        _ frame: UnsafePointer<nghttp2_frame>,
        name: UnsafePointer<UInt8>, nameLength: Int,
        value: UnsafePointer<UInt8>, valueLength: Int
    ) -> Int32 {
        let streamID = frame.pointee.hd.stream_id
        // Only request header blocks are kept; a client trailer block is ignored (gRPC clients send none).
        guard let block = headerBlocks[streamID] else { return 0 }
        block.size += nameLength + valueLength + 32
        if block.size > maxHeaderListSize {
            block.exceedsLimit = true
        } else {
            block.fields.append((
                String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self),
                String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
            ))
        }
        return 0
    }

    fileprivate func onFrameRecv(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        let header = frame.pointee.hd
        let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(header.type) {
        case NGHTTP2_DATA.rawValue:
            if endStream { events.append(.endStream(streamID: header.stream_id)) }
        case NGHTTP2_HEADERS.rawValue:
            if let block = headerBlocks.removeValue(forKey: header.stream_id) {
                events.append(.requestHeaders(
                    streamID: header.stream_id, headers: block.fields, endStream: endStream,
                    exceedsHeaderListLimit: block.exceedsLimit
                ))
            } else if endStream {
                events.append(.endStream(streamID: header.stream_id))
            }
        case NGHTTP2_GOAWAY.rawValue:
            events.append(.goAwayReceived(
                lastStreamID: frame.pointee.goaway.last_stream_id,
                errorCode: ErrorCode(rawValue: frame.pointee.goaway.error_code)
            ))
        case NGHTTP2_PING.rawValue:
            if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 {
                var opaque = frame.pointee.ping.opaque_data
                let value = withUnsafeBytes(of: &opaque) { $0.loadUnaligned(as: UInt64.self) }
                events.append(.pingAcknowledged(opaqueData: UInt64(bigEndian: value)))
            }
        default:
            break
        }
        return 0
    }

    fileprivate func onDataChunk(streamID: Int32, data: UnsafePointer<UInt8>, length: Int) -> Int32 {
        let chunk: ByteBuffer
        if let inputBuffer, let inputBase,
            UnsafeRawPointer(data) >= inputBase,
            UnsafeRawPointer(data) + length <= inputBase + inputBuffer.readableBytes,
            let slice = inputBuffer.getSlice(
                at: inputBuffer.readerIndex + (UnsafeRawPointer(data) - inputBase), length: length
            )
        {
            // The payload lies inside the buffer being read (what nghttp2 does with mem_recv): share, don't copy.
            chunk = slice
        } else {
            chunk = ByteBuffer(bytes: UnsafeRawBufferPointer(start: data, count: length))
        }
        events.append(.data(streamID: streamID, chunk))
        return 0
    }

    fileprivate func onStreamClose(streamID: Int32, errorCode: UInt32) -> Int32 {
        headerBlocks[streamID] = nil
        outbound[streamID] = nil
        events.append(.streamClosed(streamID: streamID, errorCode: ErrorCode(rawValue: errorCode)))
        return 0
    }

    fileprivate func onFrameSend(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        let header = frame.pointee.hd
        let isStreamFrame = header.type == UInt8(NGHTTP2_HEADERS.rawValue) || header.type == UInt8(NGHTTP2_DATA.rawValue)
        if isStreamFrame, header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 {
            events.append(.sentEndStream(streamID: header.stream_id))
        }
        return 0
    }

    fileprivate func readResponseData(
        streamID: Int32, into destination: UnsafeMutablePointer<UInt8>, length: Int,
        flags: UnsafeMutablePointer<UInt32>
    ) -> Int {
        guard let stream = outbound[streamID] else {
            // No queue for this stream: it was never set up or already torn down. Reset just this stream.
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        var written = 0
        while written < length, var chunk = stream.chunks.first {
            let count = min(length - written, chunk.readableBytes)
            chunk.withUnsafeReadableBytes { source in
                if let base = source.baseAddress {
                    (destination + written).update(from: base.assumingMemoryBound(to: UInt8.self), count: count)
                }
            }
            chunk.moveReaderIndex(forwardBy: count)
            written += count
            if chunk.readableBytes == 0 {
                stream.chunks.removeFirst()
            } else {
                stream.chunks[stream.chunks.startIndex] = chunk
            }
        }
        stream.bufferedBytes -= written
        if written > 0 {
            sentResponseBytes[streamID, default: 0] += written
        }
        if stream.bufferedBytes == 0, let trailers = stream.trailers {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue | NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
            outbound[streamID] = nil
            let rv = Self.withNameValuePairs(trailers) { nva, count in
                nghttp2_submit_trailer(session, streamID, nva, count)
            }
            if rv != 0 {
                return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
            }
            return written
        }
        return written == 0 ? Int(NGHTTP2_ERR_DEFERRED.rawValue) : written
    }

    fileprivate func fail(_ message: String) -> Int32 {
        if callbackError == nil { callbackError = message }
        return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue
    }
}

/// The C callbacks: non-capturing closures (so they convert to C function pointers) that find their session
/// through `user_data` and forward to it.
private enum Callbacks {
    static let failure = NGHTTP2_ERR_CALLBACK_FAILURE.rawValue

    static let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
        guard let session = HTTP2Session.fromOpaque(userData) else { return failure }
        guard let frame else { return session.fail("on_begin_headers without a frame") }
        return session.onBeginHeaders(frame)
    }

    static let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
        guard let session = HTTP2Session.fromOpaque(userData) else { return failure }
        guard let frame, let name, let value else { return session.fail("on_header without a frame or field") }
        return session.onHeader(frame, name: name, nameLength: nameLength, value: value, valueLength: valueLength)
    }

    static let onFrameRecv: nghttp2_on_frame_recv_callback = { _, frame, userData in
        guard let session = HTTP2Session.fromOpaque(userData) else { return failure }
        guard let frame else { return session.fail("on_frame_recv without a frame") }
        return session.onFrameRecv(frame)
    }

    static let onDataChunkRecv: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, data, length, userData in
        guard let session = HTTP2Session.fromOpaque(userData) else { return failure }
        guard let data else { return length == 0 ? 0 : session.fail("on_data_chunk_recv without data") }
        return session.onDataChunk(streamID: streamID, data: data, length: length)
    }

    static let onStreamClose: nghttp2_on_stream_close_callback = { _, streamID, errorCode, userData in
        guard let session = HTTP2Session.fromOpaque(userData) else { return failure }
        return session.onStreamClose(streamID: streamID, errorCode: errorCode)
    }

    static let onFrameSend: nghttp2_on_frame_send_callback = { _, frame, userData in
        guard let session = HTTP2Session.fromOpaque(userData) else { return failure }
        guard let frame else { return session.fail("on_frame_send without a frame") }
        return session.onFrameSend(frame)
    }

    static let readResponseData: cnghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
        guard let session = HTTP2Session.fromOpaque(userData) else { return Int(failure) }
        guard let buffer, let flags else {
            _ = session.fail("data source read without a buffer")
            return Int(failure)
        }
        return session.readResponseData(streamID: streamID, into: buffer, length: length, flags: flags)
    }
}

import NIOCore
import Testing

@testable import LogPilotGRPC

/// `HTTP2Session` driven with hand-made client frames (HPACK literals without indexing or Huffman), checking the
/// events it reports and the frames it writes. No network.
struct HTTP2SessionTests {
    // MARK: Frame helpers

    struct Frame: Equatable {
        var type: UInt8
        var flags: UInt8
        var streamID: Int32
        var payload: [UInt8]
    }

    static let data: UInt8 = 0, headers: UInt8 = 1, rstStream: UInt8 = 3, settings: UInt8 = 4, ping: UInt8 = 6
    static let goAway: UInt8 = 7, windowUpdate: UInt8 = 8
    static let endStream: UInt8 = 0x1, endHeaders: UInt8 = 0x4, ack: UInt8 = 0x1

    static func frame(_ type: UInt8, flags: UInt8 = 0, stream: Int32 = 0, _ payload: [UInt8] = []) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags]
            + withUnsafeBytes(of: UInt32(stream).bigEndian, Array.init) + payload
    }

    static func hpackInteger(_ value: Int, prefixBits: Int) -> [UInt8] {
        let limit = (1 << prefixBits) - 1
        if value < limit { return [UInt8(value)] }
        var bytes = [UInt8(limit)]
        var rest = value - limit
        while rest >= 128 {
            bytes.append(UInt8(rest % 128 + 128))
            rest /= 128
        }
        bytes.append(UInt8(rest))
        return bytes
    }

    /// A header block of literal fields without indexing (no Huffman).
    static func headerBlock(_ fields: [(String, String)]) -> [UInt8] {
        var block: [UInt8] = []
        for (name, value) in fields {
            block.append(0x00)
            block += hpackInteger(name.utf8.count, prefixBits: 7) + Array(name.utf8)
            block += hpackInteger(value.utf8.count, prefixBits: 7) + Array(value.utf8)
        }
        return block
    }

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func requestHeaders(path: String = "/test.Echo/Echo", extra: [(String, String)] = []) -> [(String, String)] {
        [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "localhost"),
         ("content-type", "application/grpc"), ("te", "trailers")] + extra
    }

    static func parseFrames(_ buffer: ByteBuffer) -> [Frame] {
        var buffer = buffer
        var frames: [Frame] = []
        while buffer.readableBytes >= 9,
            let high = buffer.readInteger(as: UInt8.self), let low = buffer.readInteger(as: UInt16.self),
            let type = buffer.readInteger(as: UInt8.self), let flags = buffer.readInteger(as: UInt8.self),
            let stream = buffer.readInteger(as: UInt32.self)
        {
            let length = Int(high) << 16 | Int(low)
            let payload = buffer.readBytes(length: length) ?? []
            frames.append(Frame(type: type, flags: flags, streamID: Int32(stream & 0x7FFF_FFFF), payload: payload))
        }
        return frames
    }

    static func makeSession(
        maxConcurrentStreams: Int = 10, window: Int = 65535, maxHeaderListSize: Int = 16 * 1024
    ) throws -> HTTP2Session {
        try HTTP2Session(settings: HTTP2Session.Settings(
            maxConcurrentStreams: maxConcurrentStreams,
            initialStreamWindowSize: window,
            connectionWindowSize: window,
            maxHeaderListSize: maxHeaderListSize
        ))
    }

    static func output(_ session: HTTP2Session) -> (frames: [Frame], events: [HTTP2Event]) {
        var buffer = ByteBuffer()
        let events = session.pendingOutput(into: &buffer, maxBytes: 1 << 20)
        return (parseFrames(buffer), events)
    }

    /// Preface + empty SETTINGS + SETTINGS ACK, and the server's greeting drained.
    static func connectedSession(window: Int = 65535, maxHeaderListSize: Int = 16 * 1024) throws -> HTTP2Session {
        let session = try makeSession(window: window, maxHeaderListSize: maxHeaderListSize)
        _ = session.receive(ByteBuffer(bytes: preface + frame(settings) + frame(settings, flags: ack)))
        _ = output(session)
        return session
    }

    // MARK: Tests

    @Test func greetingAdvertisesTheSettings() throws {
        let session = try Self.makeSession(maxConcurrentStreams: 42, window: 1 << 20, maxHeaderListSize: 8192)
        let events = session.receive(ByteBuffer(bytes: Self.preface + Self.frame(Self.settings)))
        #expect(events.isEmpty)
        let (frames, _) = Self.output(session)
        let serverSettings = try #require(frames.first { $0.type == Self.settings && $0.flags & Self.ack == 0 })
        var entries: [UInt16: UInt32] = [:]
        var payload = ByteBuffer(bytes: serverSettings.payload)
        while let id = payload.readInteger(as: UInt16.self), let value = payload.readInteger(as: UInt32.self) {
            entries[id] = value
        }
        #expect(entries[0x3] == 42)  // MAX_CONCURRENT_STREAMS
        #expect(entries[0x4] == 1 << 20)  // INITIAL_WINDOW_SIZE
        #expect(entries[0x6] == 8192)  // MAX_HEADER_LIST_SIZE
        #expect(entries[0x2] == 0)  // ENABLE_PUSH
        #expect(frames.contains { $0.type == Self.settings && $0.flags & Self.ack != 0 })
        #expect(frames.contains { $0.type == Self.windowUpdate && $0.streamID == 0 })
    }

    @Test func requestHeadersDataAndEndStream() throws {
        let session = try Self.connectedSession()
        let block = Self.headerBlock(Self.requestHeaders(extra: [("x-api-key", "k")]))
        let events = session.receive(ByteBuffer(bytes:
            Self.frame(Self.headers, flags: Self.endHeaders, stream: 1, block)
                + Self.frame(Self.data, stream: 1, [0, 0, 0, 0, 2, 7, 8])
                + Self.frame(Self.data, flags: Self.endStream, stream: 1, [9])
        ))
        #expect(events.count == 4)
        guard case .requestHeaders(let streamID, let headers, let endStream, let tooLarge) = events[0] else {
            Issue.record("expected request headers, got \(events[0])")
            return
        }
        #expect(streamID == 1)
        #expect(!endStream)
        #expect(!tooLarge)
        #expect(headers.map(\.name) == [":method", ":scheme", ":path", ":authority", "content-type", "te", "x-api-key"])
        #expect(headers.last?.value == "k")
        guard case .data(1, let first) = events[1], case .data(1, let second) = events[2], case .endStream(1) = events[3] else {
            Issue.record("unexpected events \(events)")
            return
        }
        #expect(Array(first.readableBytesView) == [0, 0, 0, 0, 2, 7, 8])
        #expect(Array(second.readableBytesView) == [9])
    }

    @Test func headersWithEndStream() throws {
        let session = try Self.connectedSession()
        let events = session.receive(ByteBuffer(bytes:
            Self.frame(Self.headers, flags: Self.endHeaders | Self.endStream, stream: 1, Self.headerBlock(Self.requestHeaders()))
        ))
        guard case .requestHeaders(1, _, true, false) = events.first else {
            Issue.record("unexpected events \(events)")
            return
        }
    }

    @Test func responseWithDataAndTrailers() throws {
        let session = try Self.connectedSession()
        _ = session.receive(ByteBuffer(bytes:
            Self.frame(Self.headers, flags: Self.endHeaders | Self.endStream, stream: 1, Self.headerBlock(Self.requestHeaders()))
        ))
        #expect(session.submitResponseHeaders(1, GRPCStream.StateMachine.responseHeaders()))
        session.sendData(1, ByteBuffer(bytes: [0, 0, 0, 0, 1, 42]))
        var (frames, events) = Self.output(session)
        #expect(frames.map(\.type) == [Self.headers, Self.data])
        #expect(frames.allSatisfy { $0.flags & Self.endStream == 0 })
        #expect(frames.last?.payload == [0, 0, 0, 0, 1, 42])
        guard case .responseDataSent(1, 6) = events.first else {
            Issue.record("unexpected events \(events)")
            return
        }
        // Nothing queued: the data provider is deferred until more arrives.
        #expect(Self.output(session).frames.isEmpty)

        session.sendData(1, ByteBuffer(bytes: [0, 0, 0, 0, 0]))
        session.submitTrailers(1, GRPCStream.StateMachine.trailers(for: .ok))
        (frames, events) = Self.output(session)
        #expect(frames.map(\.type) == [Self.data, Self.headers])
        #expect(frames.first?.flags == 0)
        #expect(frames.last?.flags == Self.endHeaders | Self.endStream)
        #expect(events.contains { if case .sentEndStream(1) = $0 { true } else { false } })
        #expect(events.contains { if case .streamClosed(1, .noError) = $0 { true } else { false } })
    }

    @Test func trailersOnlyResponseIsOneHeadersFrame() throws {
        let session = try Self.connectedSession()
        _ = session.receive(ByteBuffer(bytes:
            Self.frame(Self.headers, flags: Self.endHeaders | Self.endStream, stream: 1, Self.headerBlock(Self.requestHeaders()))
        ))
        #expect(session.submitHeadersOnlyResponse(1, GRPCStream.StateMachine.trailersOnly(for: GRPCStatus(.unimplemented))))
        let (frames, _) = Self.output(session)
        #expect(frames.map(\.type) == [Self.headers])
        #expect(frames.first?.flags == Self.endHeaders | Self.endStream)
    }

    @Test func clientResetClosesTheStream() throws {
        let session = try Self.connectedSession()
        _ = session.receive(ByteBuffer(bytes:
            Self.frame(Self.headers, flags: Self.endHeaders, stream: 1, Self.headerBlock(Self.requestHeaders()))
        ))
        let events = session.receive(ByteBuffer(bytes: Self.frame(Self.rstStream, stream: 1, [0, 0, 0, 8])))
        guard case .streamClosed(1, .cancel) = events.first else {
            Issue.record("unexpected events \(events)")
            return
        }
    }

    @Test func oversizedHeaderBlockIsFlagged() throws {
        let session = try Self.connectedSession(maxHeaderListSize: 512)
        let big = String(repeating: "v", count: 600)
        let events = session.receive(ByteBuffer(bytes:
            Self.frame(Self.headers, flags: Self.endHeaders, stream: 1, Self.headerBlock(Self.requestHeaders(extra: [("x-big", big), ("x-after", "1")])))
        ))
        guard case .requestHeaders(1, let headers, _, true) = events.first else {
            Issue.record("unexpected events \(events)")
            return
        }
        #expect(!headers.contains { $0.name == "x-big" || $0.name == "x-after" })
    }

    @Test func badPrefaceFailsTheSession() throws {
        let session = try Self.makeSession()
        let events = session.receive(ByteBuffer(bytes: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)))
        guard case .connectionError = events.first else {
            Issue.record("unexpected events \(events)")
            return
        }
        #expect(!session.wantsRead)
        #expect(session.receive(ByteBuffer(bytes: Self.frame(Self.settings))).isEmpty)
    }

    @Test func windowIsGivenBackOnlyWhenConsumed() throws {
        let session = try Self.connectedSession(window: 65535)
        _ = session.receive(ByteBuffer(bytes:
            Self.frame(Self.headers, flags: Self.endHeaders, stream: 1, Self.headerBlock(Self.requestHeaders()))
        ))
        let payload = [UInt8](repeating: 1, count: 16384)
        let events = session.receive(ByteBuffer(bytes: (0..<3).flatMap { _ in Self.frame(Self.data, stream: 1, payload) }))
        #expect(events.count == 3)
        #expect(!Self.output(session).frames.contains { $0.type == Self.windowUpdate })

        session.consumeConnection(bytes: 3 * 16384)
        let connectionOnly = Self.output(session).frames.filter { $0.type == Self.windowUpdate }
        #expect(connectionOnly.map(\.streamID) == [0])

        session.consumeStream(1, bytes: 3 * 16384)
        let streamUpdate = Self.output(session).frames.filter { $0.type == Self.windowUpdate }
        #expect(streamUpdate.map(\.streamID) == [1])
    }

    @Test func twoStepGoAway() throws {
        let session = try Self.connectedSession()
        _ = session.receive(ByteBuffer(bytes:
            Self.frame(Self.headers, flags: Self.endHeaders | Self.endStream, stream: 1, Self.headerBlock(Self.requestHeaders()))
        ))
        session.submitShutdownNotice(pingData: 0x0102_0304_0506_0708)
        let (notice, _) = Self.output(session)
        let firstGoAway = try #require(notice.first { $0.type == Self.goAway })
        #expect(Array(firstGoAway.payload.prefix(4)) == [0x7F, 0xFF, 0xFF, 0xFF])
        let ping = try #require(notice.first { $0.type == Self.ping })
        #expect(ping.payload == [1, 2, 3, 4, 5, 6, 7, 8])

        let acked = session.receive(ByteBuffer(bytes: Self.frame(Self.ping, flags: Self.ack, ping.payload)))
        guard case .pingAcknowledged(0x0102_0304_0506_0708) = acked.first else {
            Issue.record("unexpected events \(acked)")
            return
        }
        session.submitGoAway(errorCode: .noError)
        let finalGoAway = try #require(Self.output(session).frames.first { $0.type == Self.goAway })
        #expect(Array(finalGoAway.payload.prefix(8)) == [0, 0, 0, 1, 0, 0, 0, 0])
        // Stream 1 is still open: the session keeps reading until it ends.
        #expect(session.wantsRead)
        _ = session.submitHeadersOnlyResponse(1, GRPCStream.StateMachine.trailersOnly(for: .ok))
        _ = Self.output(session)
        #expect(!session.wantsRead)
        #expect(!session.wantsWrite)
    }
}

import CompressNIO
import Logging
import LogPilotCore
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import ServiceLifecycle
import Synchronization
import Testing

@testable import LogPilotGRPC

// Live-test support: a `GRPCServer` on 127.0.0.1:0 with test methods, and an HTTP/2 client built on swift-nio-http2
// (an implementation independent of nghttp2) that gives full control over frames.

// MARK: - Test methods

/// What the test handlers saw, for assertions.
final class TestRecorder: Sendable {
    private struct State {
        var started: [String: Int] = [:]
        var cancelled: [String: Int] = [:]
        var finished: [String: Int] = [:]
        var values: [String: Int] = [:]
    }

    private let state = Mutex(State())

    func start(_ name: String) { state.withLock { $0.started[name, default: 0] += 1 } }
    func cancel(_ name: String) { state.withLock { $0.cancelled[name, default: 0] += 1 } }
    func finish(_ name: String) { state.withLock { $0.finished[name, default: 0] += 1 } }
    func set(_ name: String, _ value: Int) { state.withLock { $0.values[name] = value } }

    func started(_ name: String) -> Int { state.withLock { $0.started[name] ?? 0 } }
    func cancelled(_ name: String) -> Int { state.withLock { $0.cancelled[name] ?? 0 } }
    func finished(_ name: String) -> Int { state.withLock { $0.finished[name] ?? 0 } }
    func value(_ name: String) -> Int? { state.withLock { $0.values[name] } }

    /// Polls until `condition` holds (or fails the test after `timeout`).
    func waitUntil(
        timeout: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool
    ) async throws {
        let end = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < end else {
                Issue.record("condition not met within \(timeout)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// A gate handlers wait on until a test opens it.
final class TestGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let isOpen = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if isOpen { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

enum TestMethods {
    static func uint32(_ value: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: value).bigEndian, Array.init)
    }

    static func readUInt32(_ bytes: some Collection<UInt8>, at offset: Int = 0) -> Int {
        let array = Array(bytes)
        guard array.count >= offset + 4 else { return -1 }
        return array[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
    }

    static func all(recorder: TestRecorder, gate: TestGate) -> [GRPCMethod] {
        [
            // Unary echo.
            GRPCMethod(path: "/test.Echo/Echo", requiresAuthentication: false, handler: GRPCHandlers.unary { request, _ in
                request
            }),
            // Unary echo that needs an API key.
            GRPCMethod(path: "/test.Secure/Echo", requiresAuthentication: true, handler: GRPCHandlers.unary { request, _ in
                request
            }),
            // Server streaming: the request is a count N; N responses, each the index.
            GRPCMethod(path: "/test.Echo/Expand", requiresAuthentication: false) { requests, responses, _ in
                guard let request = try await requests.next() else { throw GRPCStatus(.invalidArgument, "no request") }
                recorder.start("expand")
                let count = readUInt32(request)
                var written = 0
                for index in 0..<count {
                    try await responses.write(uint32(index))
                    written += 1
                    recorder.set("expand.written", written)
                }
                recorder.finish("expand")
            },
            // Client streaming: answers (messages, bytes).
            GRPCMethod(path: "/test.Echo/Count", requiresAuthentication: false) { requests, responses, _ in
                var count = 0
                var bytes = 0
                while let message = try await requests.next() {
                    count += 1
                    bytes += message.count
                }
                try await responses.write(uint32(count) + uint32(bytes))
            },
            // Client streaming behind a gate: reads nothing until the test opens the gate.
            GRPCMethod(path: "/test.Echo/SlowCount", requiresAuthentication: false) { requests, responses, _ in
                recorder.start("slow")
                await gate.wait()
                // Nothing was read so far: this is the most the server buffered for the call.
                if let receiver = requests as? GRPCServerCallReceiver {
                    recorder.set("slow.buffered", receiver.call.bufferedRequestBytes)
                }
                var count = 0
                while try await requests.next() != nil { count += 1 }
                try await responses.write(uint32(count))
            },
            // Bidirectional echo, message by message.
            GRPCMethod(path: "/test.Echo/Bidi", requiresAuthentication: false) { requests, responses, _ in
                recorder.start("bidi")
                do {
                    while let message = try await requests.next() {
                        try await responses.write(message)
                    }
                } catch {
                    recorder.cancel("bidi")
                    throw error
                }
                recorder.finish("bidi")
            },
            // Sleeps for the requested milliseconds, then echoes; records cancellation.
            GRPCMethod(path: "/test.Echo/Sleep", requiresAuthentication: false, handler: GRPCHandlers.unary { request, _ in
                recorder.start("sleep")
                do {
                    try await Task.sleep(for: .milliseconds(readUInt32(request)))
                } catch {
                    recorder.cancel("sleep")
                    throw error
                }
                recorder.finish("sleep")
                return request
            }),
            // Fails with a status whose message needs percent-encoding, plus an extra trailer.
            GRPCMethod(path: "/test.Echo/Fail", requiresAuthentication: false) { _, _, _ in
                throw GRPCStatus(.invalidArgument, "bad thing ☃ 100%", trailers: [("retry-after-seconds", "3")])
            },
            // Fails after one response message.
            GRPCMethod(path: "/test.Echo/FailLate", requiresAuthentication: false) { _, responses, _ in
                try await responses.write([1])
                throw GRPCStatus(.aborted, "late")
            },
            // Throws an error that is not a GRPCStatus.
            GRPCMethod(path: "/test.Echo/Crash", requiresAuthentication: false) { _, _, _ in
                struct SecretInternalError: Error {}
                throw SecretInternalError()
            },
            // Echoes the request metadata names and the deadline's presence.
            GRPCMethod(path: "/test.Echo/Context", requiresAuthentication: false, handler: GRPCHandlers.unary { _, context in
                let names = context.metadata.map(\.name).joined(separator: ",")
                return Array("\(names)|\(context.deadline != nil)|\(context.remoteAddress != nil)".utf8)
            }),
        ]
    }
}

// MARK: - Server

struct TestServer {
    let port: Int
    let recorder: TestRecorder
    let gate: TestGate
}

/// Runs a `GRPCServer` on 127.0.0.1:0 for the duration of `body`, then cancels it.
func withTestServer<Result: Sendable>(
    _ configure: (inout GRPCServerConfiguration) -> Void = { _ in },
    _ body: @Sendable (TestServer) async throws -> Result
) async throws -> Result {
    var configuration = GRPCServerConfiguration(host: "127.0.0.1", port: 0)
    configure(&configuration)
    let recorder = TestRecorder()
    let gate = TestGate()
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let server = GRPCServer(
        configuration: configuration,
        methods: TestMethods.all(recorder: recorder, gate: gate),
        logger: Logger(label: "grpc-test"),
        onListening: { port in continuation.yield(port) }
    )
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask {
            try await server.run()
            return nil
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestClientError("server did not start") }
        let result = try await body(TestServer(port: port, recorder: recorder, gate: gate))
        gate.open()
        group.cancelAll()
        return result
    }
}

// MARK: - Client

struct TestClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Records the connection-level frames (GOAWAY, PING, SETTINGS) the client receives.
final class ConnectionFrameRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTP2Frame

    private let frames = Mutex<[HTTP2Frame.FramePayload]>([])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        frames.withLock { $0.append(frame.payload) }
    }

    /// `(lastStreamID, errorCode)` of every GOAWAY received, in order.
    var goAways: [(lastStreamID: HTTP2StreamID, errorCode: HTTP2ErrorCode)] {
        frames.withLock { frames in
            frames.compactMap { frame in
                if case .goAway(let lastStreamID, let errorCode, _) = frame { return (lastStreamID, errorCode) }
                return nil
            }
        }
    }
}

typealias TestStream = NIOAsyncChannel<HTTP2Frame.FramePayload, HTTP2Frame.FramePayload>

/// A response as the client saw it.
struct TestResponse {
    var headers: HPACKHeaders?
    var messages: [[UInt8]] = []
    var trailers: HPACKHeaders?
    var resetCode: HTTP2ErrorCode?

    var httpStatus: String? { headers?.first(name: ":status") }
    var statusCode: Int? { trailers?.first(name: "grpc-status").flatMap { Int($0) } }
    var rawStatusMessage: String? { trailers?.first(name: "grpc-message") }
    var statusMessage: String? { rawStatusMessage.map(GRPCPercentEncoding.decode) }
    var isTrailersOnly: Bool { headers != nil && trailers != nil && headers == trailers }

    /// Reads frames until the trailers (or a reset, or the stream's end).
    static func read(from inbound: NIOAsyncChannelInboundStream<HTTP2Frame.FramePayload>) async throws -> TestResponse {
        var response = TestResponse()
        var pending = ByteBuffer()
        for try await payload in inbound {
            switch payload {
            case .headers(let headers):
                if response.headers == nil {
                    response.headers = headers.headers
                    if headers.endStream { response.trailers = headers.headers }
                } else {
                    response.trailers = headers.headers
                }
                if headers.endStream { return response }
            case .data(let data):
                guard case .byteBuffer(var bytes) = data.data else { continue }
                pending.writeBuffer(&bytes)
                while let length = pending.getInteger(at: pending.readerIndex + 1, as: UInt32.self),
                    pending.readableBytes >= 5 + Int(length)
                {
                    pending.moveReaderIndex(forwardBy: 5)
                    response.messages.append(pending.readBytes(length: Int(length)) ?? [])
                }
                if data.endStream { return response }
            case .rstStream(let code):
                response.resetCode = code
                return response
            default:
                continue
            }
        }
        return response
    }
}

/// One HTTP/2 connection to the test server.
struct TestHTTP2Client: Sendable {
    let channel: any Channel
    let multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>
    let frames: ConnectionFrameRecorder

    static func connect(port: Int) async throws -> TestHTTP2Client {
        let recorder = ConnectionFrameRecorder()
        var configuration = NIOHTTP2Handler.Configuration()
        configuration.connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: 1000),
            HTTP2Setting(parameter: .initialWindowSize, value: 1 << 20),
            HTTP2Setting(parameter: .maxHeaderListSize, value: 64 * 1024),
        ]
        configuration.stream.targetWindowSize = 1 << 20
        let http2Configuration = configuration
        let (channel, multiplexer) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
                        mode: .client, configuration: http2Configuration
                    ) { stream in
                        stream.eventLoop.makeSucceededVoidFuture()
                    }
                    try channel.pipeline.syncOperations.addHandler(recorder)
                    return (channel as any Channel, multiplexer)
                }
            }
        return TestHTTP2Client(channel: channel, multiplexer: multiplexer, frames: recorder)
    }

    func close() async {
        try? await channel.close()
    }

    func openStream() async throws -> TestStream {
        try await multiplexer.openStream { channel in
            channel.eventLoop.makeCompletedFuture {
                try TestStream(wrappingChannelSynchronously: channel)
            }
        }
    }

    static func requestHeaders(
        _ path: String, metadata: [(String, String)] = [], contentType: String = "application/grpc"
    ) -> HPACKHeaders {
        var headers = HPACKHeaders([
            (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "127.0.0.1"),
            ("content-type", contentType), ("te", "trailers"),
        ])
        for (name, value) in metadata { headers.add(name: name, value: value) }
        return headers
    }

    static func framed(_ messages: [[UInt8]], compressed: Bool = false) -> ByteBuffer {
        var buffer = ByteBuffer()
        for message in messages {
            buffer.writeInteger(UInt8(compressed ? 1 : 0))
            buffer.writeInteger(UInt32(message.count))
            buffer.writeBytes(message)
        }
        return buffer
    }

    /// Sends the request (headers, then the messages in DATA frames of up to `messagesPerFrame`, END_STREAM on the
    /// last) and reads the whole response.
    func call(
        _ path: String,
        metadata: [(String, String)] = [],
        requests: [[UInt8]],
        messagesPerFrame: Int = 1,
        contentType: String = "application/grpc"
    ) async throws -> TestResponse {
        let stream = try await openStream()
        return try await stream.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let headers = Self.requestHeaders(path, metadata: metadata, contentType: contentType)
                    try await outbound.write(.headers(.init(headers: headers, endStream: requests.isEmpty)))
                    var index = 0
                    while index < requests.count {
                        let end = min(index + messagesPerFrame, requests.count)
                        let frame = Self.framed(Array(requests[index..<end]))
                        try await outbound.write(.data(.init(data: .byteBuffer(frame), endStream: end == requests.count)))
                        index = end
                    }
                }
                let response = try await TestResponse.read(from: inbound)
                group.cancelAll()
                return response
            }
        }
    }

    /// Sends raw DATA bytes (already framed, or deliberately malformed) and reads the response.
    func callRaw(_ path: String, metadata: [(String, String)] = [], data: ByteBuffer, endStream: Bool = true) async throws
        -> TestResponse
    {
        let stream = try await openStream()
        return try await stream.executeThenClose { inbound, outbound in
            try await outbound.write(.headers(.init(headers: Self.requestHeaders(path, metadata: metadata))))
            do {
                try await outbound.write(.data(.init(data: .byteBuffer(data), endStream: endStream)))
            } catch {
                // A request refused at its headers (e.g. an unsupported grpc-encoding) gets a trailers-only answer
                // and RST_STREAM(NO_ERROR), which may close the stream before the body is written: what the server
                // said is still in `inbound`.
            }
            return try await TestResponse.read(from: inbound)
        }
    }
}

/// gzip, for request messages.
func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
    var buffer = ByteBuffer(bytes: bytes)
    let compressed = try buffer.compress(with: .gzip())
    return Array(compressed.readableBytesView)
}

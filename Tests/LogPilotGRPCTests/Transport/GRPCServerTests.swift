import Logging
import LogPilotCore
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import ServiceLifecycle
import Testing

@testable import LogPilotGRPC

/// `GRPCServer` on a real socket, driven by swift-nio-http2 as the client.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct GRPCServerTests {
    @Test func unaryEcho() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let response = try await client.call("/test.Echo/Echo", requests: [[1, 2, 3]])
            #expect(response.httpStatus == "200")
            #expect(response.headers?.first(name: "content-type") == "application/grpc")
            #expect(response.headers?.first(name: "grpc-accept-encoding") == "identity,gzip")
            #expect(response.messages == [[1, 2, 3]])
            #expect(response.statusCode == 0)
            #expect(!response.isTrailersOnly)
            let empty = try await client.call("/test.Echo/Echo", requests: [[]])
            #expect(empty.messages == [[]])
            #expect(empty.statusCode == 0)
        }
    }

    @Test func largeMessageSpanningManyWindows() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let big = (0..<(3 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let response = try await client.call("/test.Echo/Echo", requests: [big])
            #expect(response.statusCode == 0)
            #expect(response.messages.first == big)
        }
    }

    @Test func unaryWithoutRequestIsInternal() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let response = try await client.call("/test.Echo/Echo", requests: [])
            #expect(response.statusCode == GRPCStatusCode.internalError.rawValue)
            #expect(response.isTrailersOnly)
        }
    }

    @Test func serverStreaming100kMessages() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let start = ContinuousClock.now
            let response = try await client.call("/test.Echo/Expand", requests: [TestMethods.uint32(100_000)])
            #expect(response.statusCode == 0)
            #expect(response.messages.count == 100_000)
            #expect(response.messages.enumerated().allSatisfy { TestMethods.readUInt32($1) == $0 })
            print("server streaming 100k messages: \(ContinuousClock.now - start)")
        }
    }

    @Test func clientStreaming100kMessages() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let requests = (0..<100_000).map { TestMethods.uint32($0) }
            let start = ContinuousClock.now
            let response = try await client.call("/test.Echo/Count", requests: requests, messagesPerFrame: 100)
            #expect(response.statusCode == 0)
            #expect(response.messages.first.map { TestMethods.readUInt32($0) } == 100_000)
            #expect(response.messages.first.map { TestMethods.readUInt32($0, at: 4) } == 400_000)
            print("client streaming 100k messages: \(ContinuousClock.now - start)")
        }
    }

    @Test func bidirectionalStreaming100kMessages() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let requests = (0..<100_000).map { TestMethods.uint32($0) }
            let start = ContinuousClock.now
            let response = try await client.call("/test.Echo/Bidi", requests: requests, messagesPerFrame: 50)
            #expect(response.statusCode == 0)
            #expect(response.messages == requests)
            print("bidirectional streaming 100k messages: \(ContinuousClock.now - start)")
        }
    }

    @Test func manyConcurrentStreamsOnOneConnection() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let responses = try await withThrowingTaskGroup(of: (Int, TestResponse).self) { group in
                for index in 0..<300 {
                    group.addTask {
                        // Half of them sleep a little so that many are in flight at once.
                        let path = index % 2 == 0 ? "/test.Echo/Echo" : "/test.Echo/Sleep"
                        let payload = index % 2 == 0 ? TestMethods.uint32(index) : TestMethods.uint32(20)
                        return (index, try await client.call(path, requests: [payload]))
                    }
                }
                var all: [Int: TestResponse] = [:]
                for try await (index, response) in group { all[index] = response }
                return all
            }
            #expect(responses.count == 300)
            #expect(responses.values.allSatisfy { $0.statusCode == 0 && $0.messages.count == 1 })
            #expect(responses[42]?.messages.first == TestMethods.uint32(42))
        }
    }

    @Test func unknownMethodIsUnimplementedTrailersOnly() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let response = try await client.call("/test.Nope/Missing", requests: [[1]])
            #expect(response.isTrailersOnly)
            #expect(response.httpStatus == "200")
            #expect(response.statusCode == GRPCStatusCode.unimplemented.rawValue)
            #expect(response.statusMessage == "unknown method /test.Nope/Missing")
        }
    }

    @Test func nonGRPCContentTypeIs415() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let response = try await client.call("/test.Echo/Echo", requests: [[1]], contentType: "application/json")
            #expect(response.httpStatus == "415")
            #expect(response.statusCode == GRPCStatusCode.internalError.rawValue)
        }
    }

    @Test func handlerErrorsBecomeStatuses() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let failed = try await client.call("/test.Echo/Fail", requests: [[1]])
            #expect(failed.isTrailersOnly)
            #expect(failed.statusCode == GRPCStatusCode.invalidArgument.rawValue)
            #expect(failed.rawStatusMessage == "bad thing %E2%98%83 100%25")
            #expect(failed.statusMessage == "bad thing ☃ 100%")
            #expect(failed.trailers?.first(name: "retry-after-seconds") == "3")

            let late = try await client.call("/test.Echo/FailLate", requests: [[1]])
            #expect(!late.isTrailersOnly)
            #expect(late.messages == [[1]])
            #expect(late.statusCode == GRPCStatusCode.aborted.rawValue)

            let crashed = try await client.call("/test.Echo/Crash", requests: [[1]])
            #expect(crashed.statusCode == GRPCStatusCode.unknown.rawValue)
            #expect(crashed.statusMessage?.contains("SecretInternalError") == false)
        }
    }

    @Test func oversizedMessageIsResourceExhausted() async throws {
        try await withTestServer({ $0.maxReceiveMessageBytes = 1024 }) { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let atLimit = try await client.call("/test.Echo/Echo", requests: [[UInt8](repeating: 1, count: 1024)])
            #expect(atLimit.statusCode == 0)
            let tooBig = try await client.call("/test.Echo/Echo", requests: [[UInt8](repeating: 1, count: 1025)])
            #expect(tooBig.statusCode == GRPCStatusCode.resourceExhausted.rawValue)
            // The connection is still fine.
            let after = try await client.call("/test.Echo/Echo", requests: [[7]])
            #expect(after.messages == [[7]])
        }
    }

    @Test func gzipRequestMessages() async throws {
        try await withTestServer({ $0.maxReceiveMessageBytes = 64 * 1024 }) { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let payload = Array(String(repeating: "log line ", count: 500).utf8)
            let compressed = TestHTTP2Client.framed([try gzip(payload)], compressed: true)
            let response = try await client.callRaw(
                "/test.Echo/Echo", metadata: [("grpc-encoding", "gzip")], data: compressed
            )
            #expect(response.statusCode == 0)
            #expect(response.messages == [payload])
            // Responses are not compressed.
            #expect(response.headers?.first(name: "grpc-encoding") == nil)

            // A gzip bomb is stopped at the limit.
            let bomb = TestHTTP2Client.framed([try gzip([UInt8](repeating: 0, count: 10 * 1024 * 1024))], compressed: true)
            let exhausted = try await client.callRaw("/test.Echo/Echo", metadata: [("grpc-encoding", "gzip")], data: bomb)
            #expect(exhausted.statusCode == GRPCStatusCode.resourceExhausted.rawValue)

            let corrupt = TestHTTP2Client.framed([[0x1F, 0x8B, 1, 2, 3, 4]], compressed: true)
            let broken = try await client.callRaw("/test.Echo/Echo", metadata: [("grpc-encoding", "gzip")], data: corrupt)
            #expect(broken.statusCode == GRPCStatusCode.internalError.rawValue)

            let unsupported = try await client.callRaw(
                "/test.Echo/Echo", metadata: [("grpc-encoding", "br")], data: TestHTTP2Client.framed([[1]])
            )
            #expect(unsupported.statusCode == GRPCStatusCode.unimplemented.rawValue)
            #expect(unsupported.headers?.first(name: "grpc-accept-encoding") == "identity,gzip")
        }
    }

    @Test func malformedFrameEndsOnlyItsStream() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            // A long bidi call stays open on the same connection.
            let bidi = try await client.openStream()
            try await bidi.executeThenClose { inbound, outbound in
                var responses = inbound.makeAsyncIterator()
                try await outbound.write(.headers(.init(headers: TestHTTP2Client.requestHeaders("/test.Echo/Bidi"))))
                try await outbound.write(.data(.init(data: .byteBuffer(TestHTTP2Client.framed([[1]])))))
                _ = try await responses.next()  // response headers
                _ = try await responses.next()  // echo of [1]

                // Compressed flag without grpc-encoding on another stream: INTERNAL there only.
                let bad = try await client.callRaw("/test.Echo/Echo", data: ByteBuffer(bytes: [1, 0, 0, 0, 1, 0xFF]))
                #expect(bad.statusCode == GRPCStatusCode.internalError.rawValue)
                let badFlag = try await client.callRaw("/test.Echo/Echo", data: ByteBuffer(bytes: [9, 0, 0, 0, 0]))
                #expect(badFlag.statusCode == GRPCStatusCode.internalError.rawValue)
                let truncated = try await client.callRaw("/test.Echo/Echo", data: ByteBuffer(bytes: [0, 0, 0, 0, 9, 1]))
                #expect(truncated.statusCode == GRPCStatusCode.internalError.rawValue)

                try await outbound.write(.data(.init(data: .byteBuffer(TestHTTP2Client.framed([[2]])), endStream: true)))
                var rest = TestResponse()
                while let frame = try await responses.next() {
                    if case .data(let data) = frame, case .byteBuffer(let bytes) = data.data {
                        rest.messages.append(Array(bytes.readableBytesView))
                    }
                    if case .headers(let headers) = frame, headers.endStream {
                        rest.trailers = headers.headers
                        break
                    }
                }
                #expect(rest.messages == [[0, 0, 0, 0, 1, 2]])
                #expect(rest.statusCode == 0)
            }
        }
    }

    @Test func deadlineExceededCancelsTheHandler() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let start = ContinuousClock.now
            let response = try await client.call(
                "/test.Echo/Sleep", metadata: [("grpc-timeout", "100m")], requests: [TestMethods.uint32(5000)]
            )
            #expect(response.statusCode == GRPCStatusCode.deadlineExceeded.rawValue)
            #expect(ContinuousClock.now - start < .seconds(3))
            try await server.recorder.waitUntil { server.recorder.cancelled("sleep") == 1 }

            let inTime = try await client.call(
                "/test.Echo/Sleep", metadata: [("grpc-timeout", "5S")], requests: [TestMethods.uint32(10)]
            )
            #expect(inTime.statusCode == 0)
        }
    }

    @Test func clientCancellationMidStreamCancelsTheHandler() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let stream = try await client.openStream()
            try await stream.executeThenClose { inbound, outbound in
                var responses = inbound.makeAsyncIterator()
                try await outbound.write(.headers(.init(headers: TestHTTP2Client.requestHeaders("/test.Echo/Bidi"))))
                for value in 0..<3 {
                    try await outbound.write(.data(.init(data: .byteBuffer(TestHTTP2Client.framed([[UInt8(value)]])))))
                }
                var echoedBytes = 0  // 3 messages of 6 framed bytes, in however many DATA frames
                while echoedBytes < 18, let frame = try await responses.next() {
                    if case .data(let data) = frame, case .byteBuffer(let bytes) = data.data {
                        echoedBytes += bytes.readableBytes
                    }
                }
                try await outbound.write(.rstStream(.cancel))
            }
            try await server.recorder.waitUntil { server.recorder.cancelled("bidi") == 1 }
            // The connection keeps working.
            let after = try await client.call("/test.Echo/Echo", requests: [[5]])
            #expect(after.messages == [[5]])
        }
    }

    @Test func apiKeyIsCheckedOnMethodsThatRequireIt() async throws {
        try await withTestServer({ $0.apiKeys = APIKeySet(["secret-1", "secret-2"]) }) { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let missing = try await client.call("/test.Secure/Echo", requests: [[1]])
            #expect(missing.statusCode == GRPCStatusCode.unauthenticated.rawValue)
            #expect(missing.statusMessage == "missing or invalid API key")
            let wrong = try await client.call("/test.Secure/Echo", metadata: [("x-api-key", "secret-3")], requests: [[1]])
            #expect(wrong.statusCode == GRPCStatusCode.unauthenticated.rawValue)
            #expect(wrong.statusMessage?.contains("secret") == false)
            let right = try await client.call("/test.Secure/Echo", metadata: [("x-api-key", "secret-2")], requests: [[1]])
            #expect(right.statusCode == 0)
            let open = try await client.call("/test.Echo/Echo", requests: [[1]])
            #expect(open.statusCode == 0)
        }
    }

    @Test func requestContextCarriesMetadataAndDeadline() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let response = try await client.call(
                "/test.Echo/Context",
                metadata: [("x-tenant", "a"), ("grpc-timeout", "10S"), ("user-agent", "test")],
                requests: [[]]
            )
            #expect(response.messages.first.map { String(decoding: $0, as: UTF8.self) } == "x-tenant,user-agent|true|true")
        }
    }

    @Test func slowHandlerSlowsTheClientThroughFlowControl() async throws {
        try await withTestServer({
            $0.initialStreamWindowBytes = 64 * 1024
            $0.maxQueuedRequestBytesPerStream = 32 * 1024
        }) { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let stream = try await client.openStream()
            let total = 2048
            let message = [UInt8](repeating: 0xAB, count: 1019)  // 1 KiB framed
            let written = TestRecorder()
            try await stream.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await outbound.write(.headers(.init(headers: TestHTTP2Client.requestHeaders("/test.Echo/SlowCount"))))
                        for index in 0..<total {
                            let frame = TestHTTP2Client.framed([message])
                            try await outbound.write(.data(.init(data: .byteBuffer(frame), endStream: index == total - 1)))
                            written.set("messages", index + 1)
                        }
                    }
                    try await server.recorder.waitUntil { server.recorder.started("slow") == 1 }
                    try await Task.sleep(for: .milliseconds(500))
                    // 2 MiB are on their way; the client's writes are stuck (it buffers some itself)...
                    let sent = written.value("messages") ?? 0
                    #expect(sent < total, "the client wrote all \(sent) KiB while the handler read nothing")
                    server.gate.open()
                    let response = try await TestResponse.read(from: inbound)
                    #expect(response.statusCode == 0)
                    #expect(response.messages.first.map { TestMethods.readUInt32($0) } == total)
                    try await group.waitForAll()
                    // ...and the server buffered at most the queue bound plus one window (plus one DATA frame).
                    let buffered = try #require(server.recorder.value("slow.buffered"))
                    #expect(buffered > 0)
                    #expect(buffered <= 32 * 1024 + 64 * 1024 + 16 * 1024, "the server buffered \(buffered) bytes")
                }
            }
        }
    }

    @Test func clientThatDoesNotReadSlowsTheHandler() async throws {
        try await withTestServer { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            let stream = try await client.openStream()
            try await stream.executeThenClose { inbound, outbound in
                try await outbound.write(.headers(.init(headers: TestHTTP2Client.requestHeaders("/test.Echo/Expand"))))
                let request = TestHTTP2Client.framed([TestMethods.uint32(5_000_000)])
                try await outbound.write(.data(.init(data: .byteBuffer(request), endStream: true)))
                try await server.recorder.waitUntil { server.recorder.started("expand") == 1 }
                try await Task.sleep(for: .milliseconds(500))
                // 9 bytes per message on the wire: the client's window (1 MiB) and the bounded queues allow a
                // few hundred thousand messages, not five million.
                let written = server.recorder.value("expand.written") ?? 0
                #expect(written < 500_000, "the handler wrote \(written) messages to a client that reads nothing")
                _ = inbound
            }
        }
    }

    @Test func connectionsBeyondTheLimitAreClosed() async throws {
        try await withTestServer({ $0.maxConnections = 2 }) { server in
            let first = try await TestHTTP2Client.connect(port: server.port)
            let second = try await TestHTTP2Client.connect(port: server.port)
            #expect(try await first.call("/test.Echo/Echo", requests: [[1]]).statusCode == 0)
            #expect(try await second.call("/test.Echo/Echo", requests: [[2]]).statusCode == 0)
            let third = try await TestHTTP2Client.connect(port: server.port)
            try await third.channel.closeFuture.get()  // closed by the server right after accept
            await first.close()
            // A slot is free again once the server has seen the first connection go.
            var fourthResult: Int?
            for _ in 0..<50 where fourthResult == nil {
                let fourth = try await TestHTTP2Client.connect(port: server.port)
                fourthResult = try? await fourth.call("/test.Echo/Echo", requests: [[4]]).statusCode
                await fourth.close()
                if fourthResult == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(fourthResult == 0)
            await second.close()
        }
    }

    @Test func httpOneClientIsDisconnected() async throws {
        try await withTestServer { server in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: server.port).get()
            try await channel.writeAndFlush(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
            try await channel.closeFuture.get()
            // The server is still fine.
            let client = try await TestHTTP2Client.connect(port: server.port)
            #expect(try await client.call("/test.Echo/Echo", requests: [[1]]).statusCode == 0)
            await client.close()
        }
    }

    @Test func streamLimitCountsHandlersThatOutliveTheirStream() async throws {
        try await withTestServer({ $0.maxConcurrentStreamsPerConnection = 2 }) { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            defer { Task { await client.close() } }
            // Two calls whose handlers wait on a gate that ignores cancellation; the client resets both.
            for _ in 0..<2 {
                let stream = try await client.openStream()
                try await stream.executeThenClose { _, outbound in
                    try await outbound.write(.headers(.init(headers: TestHTTP2Client.requestHeaders("/test.Echo/SlowCount"))))
                    try await outbound.write(.rstStream(.cancel))
                }
            }
            try await server.recorder.waitUntil { server.recorder.started("slow") == 2 }
            // The HTTP/2 streams are gone, but both handlers still run: a third call is refused.
            let refused = try await client.call("/test.Echo/Echo", requests: [[1]])
            #expect(refused.resetCode == .refusedStream)
            // Once the handlers return, calls are accepted again.
            server.gate.open()
            var accepted: TestResponse?
            for _ in 0..<100 {
                let response = try await client.call("/test.Echo/Echo", requests: [[2]])
                if response.statusCode == 0 { accepted = response; break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(accepted?.messages == [[2]])
        }
    }

    @Test func idleConnectionIsClosed() async throws {
        try await withTestServer({ $0.idleTimeoutSeconds = 1 }) { server in
            let client = try await TestHTTP2Client.connect(port: server.port)
            let response = try await client.call("/test.Echo/Echo", requests: [[1]])
            #expect(response.statusCode == 0)
            let start = ContinuousClock.now
            try await client.channel.closeFuture.get()
            let elapsed = ContinuousClock.now - start
            #expect(elapsed > .milliseconds(500) && elapsed < .seconds(4))
            #expect(client.frames.goAways.last?.errorCode == HTTP2ErrorCode.noError)
        }
    }

    @Test func gracefulShutdownLetsInFlightCallsFinish() async throws {
        let recorder = TestRecorder()
        let gate = TestGate()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = GRPCServer(
            configuration: GRPCServerConfiguration(host: "127.0.0.1", port: 0),
            methods: TestMethods.all(recorder: recorder, gate: gate),
            logger: Logger(label: "grpc-test"),
            onListening: { continuation.yield($0) }
        )
        let group = ServiceGroup(services: [server], logger: Logger(label: "grpc-test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let client = try await TestHTTP2Client.connect(port: port)
            let idleClient = try await TestHTTP2Client.connect(port: port)
            _ = try await idleClient.call("/test.Echo/Echo", requests: [[1]])

            async let inFlight = client.call("/test.Echo/Sleep", requests: [TestMethods.uint32(700)])
            try await recorder.waitUntil { recorder.started("sleep") == 1 }
            let shutdownStart = ContinuousClock.now
            await group.triggerGracefulShutdown()

            // The call in flight completes normally.
            let response = try await inFlight
            #expect(response.statusCode == 0)
            #expect(response.messages == [TestMethods.uint32(700)])
            #expect(recorder.cancelled("sleep") == 0)

            // Both GOAWAYs reached the client: the notice (2^31-1), then the final one naming the last stream.
            let goAways = client.frames.goAways
            #expect(goAways.count == 2)
            #expect(goAways.first?.lastStreamID == HTTP2StreamID(Int32.max))
            #expect(goAways.last?.lastStreamID == HTTP2StreamID(1))

            // New calls are refused: the listener is closed.
            await #expect(throws: (any Error).self) {
                _ = try await TestHTTP2Client.connect(port: port)
            }

            // The server exits promptly once the last call ended.
            try await tasks.waitForAll()
            #expect(ContinuousClock.now - shutdownStart < .seconds(5))
            try await client.channel.closeFuture.get()
            try await idleClient.channel.closeFuture.get()
        }
    }

    @Test func gracefulShutdownIsBoundedByTheGroupBudget() async throws {
        let recorder = TestRecorder()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = GRPCServer(
            configuration: GRPCServerConfiguration(host: "127.0.0.1", port: 0),
            methods: TestMethods.all(recorder: recorder, gate: TestGate()),
            logger: Logger(label: "grpc-test"),
            onListening: { continuation.yield($0) }
        )
        var configuration = ServiceGroupConfiguration(services: [server], logger: Logger(label: "grpc-test"))
        configuration.maximumGracefulShutdownDuration = .milliseconds(500)
        configuration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try? await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let client = try await TestHTTP2Client.connect(port: port)
            // A bidirectional call that the client never ends: graceful shutdown alone cannot finish it.
            let stream = try await client.openStream()
            try await stream.executeThenClose { inbound, outbound in
                try await outbound.write(.headers(.init(headers: TestHTTP2Client.requestHeaders("/test.Echo/Bidi"))))
                try await recorder.waitUntil { recorder.started("bidi") == 1 }
                let start = ContinuousClock.now
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                let elapsed = ContinuousClock.now - start
                #expect(elapsed >= .milliseconds(400) && elapsed < .seconds(3), "shutdown took \(elapsed)")
                try await recorder.waitUntil { recorder.cancelled("bidi") == 1 }
                _ = inbound
            }
            await client.close()
        }
    }
}

import Metrics
import Logging
import LogPilotCore
import NIOCore

/// One accepted TCP connection speaking gRPC over HTTP/2 (h2c).
///
/// The actor's executor *is* the channel's event loop, so the nghttp2 session (``HTTP2Session``) it owns is only
/// ever touched on that event loop, and the compiler checks it.
///
/// Shape (all structured, one task group per connection):
/// - a socket reader task hands bytes to the ``GRPCConnectionMailbox`` and waits until they are handled and
///   answered (TCP backpressure);
/// - the connection's own task is a single serial loop over the mailbox: inbound bytes go through nghttp2, and the
///   resulting ``HTTP2Event``s open calls, feed de-framers and end streams; handler outputs, flow-control credit,
///   handler completions, deadlines and timers arrive as mailbox events; after each batch the frames nghttp2
///   produced are written in one socket write;
/// - each call's handler runs as a child task in the same group (see ``GRPCServerCall/run(handler:context:logger:)``).
///
/// Flow control: the connection-level window is given back as soon as bytes arrive (so one slow call cannot stall
/// the others); a stream's window is given back only while its handler keeps up (at most
/// `maxQueuedRequestBytesPerStream` bytes waiting), so a slow handler slows its client down through HTTP/2.
///
/// Limits: concurrent calls (a call counts until its handler has returned), header list size, message size, bytes
/// buffered per call in both directions; an idle connection (no call for `idleTimeoutSeconds`) gets a GOAWAY and is
/// closed, and so is one whose client stopped reading for that long.
///
/// Why an actor rather than `withTaskExecutorPreference`: NIO 2.101's event loops are `SerialExecutor`s but not
/// `TaskExecutor`s, so an actor whose `unownedExecutor` is the event loop is how this code gets to run there.
/// Handlers are not affected: they run on the cooperative pool, never on the event loop, so a handler that blocks
/// cannot stall the other connections of its event loop.
actor GRPCConnection {
    private enum Phase: Equatable {
        /// Accepting calls.
        case serving
        /// Graceful shutdown, step 1: GOAWAY(2^31-1) and a PING are out; waiting for the PING's ACK.
        case draining
        /// Step 2 sent: the final GOAWAY (or the idle GOAWAY); in-flight calls finish, then the connection closes.
        case goingAway
        /// Done: the loop exits.
        case closed
    }

    private static let shutdownPingData: UInt64 = 0x4C50_5348_5554_444E  // "LPSHUTDN"
    private static let maxWriteBytes = 256 * 1024
    /// Deadlines longer than this are treated as this long (NIO timers take 64-bit nanoseconds).
    private static let maxDeadline = Duration.seconds(30 * 24 * 3600)

    nonisolated let unownedExecutor: UnownedSerialExecutor

    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private let eventLoop: any EventLoop
    private let session: HTTP2Session
    private let mailbox: GRPCConnectionMailbox
    private let methods: [String: GRPCMethod]
    private let metrics: GRPCServerMetrics
    private let configuration: GRPCServerConfiguration
    private let logger: Logger
    private let remoteAddress: String?

    private var streams: [Int32: GRPCStream] = [:]
    private var phase = Phase.serving
    private var idleSince: NIODeadline
    private var idleTimer: Scheduled<Void>?
    private var shutdownTimer: Scheduled<Void>?
    private var closeGracefully = true

    init(
        channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>,
        mailbox: GRPCConnectionMailbox,
        methods: [String: GRPCMethod],
        metrics: GRPCServerMetrics,
        configuration: GRPCServerConfiguration,
        logger: Logger
    ) throws {
        self.metrics = metrics
        self.channel = channel
        self.eventLoop = channel.channel.eventLoop
        self.unownedExecutor = channel.channel.eventLoop.executor.asUnownedSerialExecutor()
        self.mailbox = mailbox
        self.methods = methods
        self.configuration = configuration
        self.session = try HTTP2Session(settings: HTTP2Session.Settings(
            maxConcurrentStreams: configuration.maxConcurrentStreamsPerConnection,
            initialStreamWindowSize: configuration.initialStreamWindowBytes,
            connectionWindowSize: configuration.connectionWindowBytes,
            maxHeaderListSize: configuration.maxHeaderListBytes
        ))
        let remote = channel.channel.remoteAddress
        self.remoteAddress = remote.map { address in
            address.ipAddress.map { "\($0):\(address.port ?? 0)" } ?? "\(address)"
        }
        var logger = logger
        logger[metadataKey: "grpc.peer"] = "\(remoteAddress ?? "unknown")"
        self.logger = logger
        self.idleSince = .now()
    }

    /// Serves the connection until it closes (client gone, idle, graceful shutdown finished, protocol error, or
    /// the task is cancelled).
    func run() async {
        logger.trace("gRPC connection opened")
        do {
            try await channel.executeThenClose { inbound, outbound in
                await self.serve(inbound: inbound, outbound: outbound)
            }
        } catch {
            logger.debug("gRPC connection closed with an error", metadata: ["error": "\(error)"])
        }
        logger.trace("gRPC connection closed")
    }

    private func serve(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async {
        armIdleTimer()
        await withDiscardingTaskGroup { group in
            group.addTask {
                await self.readSocket(inbound)
            }
            await self.processEvents(outbound: outbound, group: &group)
            await self.tearDown()
            group.cancelAll()
        }
    }

    private func readSocket(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>) async {
        do {
            for try await bytes in inbound {
                guard await mailbox.deliverInbound(bytes) else { break }
            }
        } catch {
            logger.trace("gRPC connection read failed", metadata: ["error": "\(error)"])
        }
        mailbox.post(.inboundClosed)
    }

    // MARK: - The event loop

    private func processEvents(outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, group: inout DiscardingTaskGroup) async {
        await flush(outbound)  // the server's SETTINGS
        while phase != .closed, let events = await mailbox.next() {
            var acknowledgeInbound = false
            for event in events {
                switch event {
                case .inbound(let bytes):
                    acknowledgeInbound = true
                    receive(bytes, group: &group)
                case .inboundClosed:
                    logger.trace("gRPC client closed the connection")
                    closeGracefully = false
                    phase = .closed
                case .requestMessagesTaken(let streamID):
                    requestMessagesTaken(streamID)
                case .responseMessagesReady(let streamID):
                    sendResponseMessages(streamID)
                case .callFailed(let streamID, let status):
                    failCall(streamID, status)
                case .callEnded(let streamID, let status):
                    callEnded(streamID, status)
                case .deadlineExceeded(let streamID):
                    failCall(streamID, GRPCStatus(.deadlineExceeded, "deadline exceeded"))
                case .idleCheck:
                    checkIdle()
                case .gracefulShutdown:
                    beginGracefulShutdown()
                case .shutdownPingTimeout:
                    sendFinalGoAway()
                }
            }
            if phase != .closed {
                await flush(outbound)
            }
            if acknowledgeInbound {
                mailbox.acknowledgeInbound()
            }
            if phase != .closed, streams.isEmpty, !session.wantsRead, !session.wantsWrite {
                // GOAWAY went out or came in and nothing is left, or the session failed.
                phase = .closed
            }
        }
    }

    /// Writes everything nghttp2 has queued, handling what writing reports (END_STREAM sent, streams closed,
    /// response bytes taken), which may queue more frames.
    private func flush(_ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async {
        while phase != .closed {
            var buffer = channel.channel.allocator.buffer(capacity: 16 * 1024)
            let events = session.pendingOutput(into: &buffer, maxBytes: Self.maxWriteBytes)
            for event in events {
                handleSessionEvent(event)
            }
            if buffer.readableBytes == 0 {
                if events.isEmpty { return }
                continue
            }
            // A client that stops reading (while its TCP window is full) would park this loop in `write` for
            // ever, holding its connection and stream slots: give up on it after the idle timeout.
            var stallTimer: Scheduled<Void>?
            if !channel.channel.isWritable, configuration.idleTimeoutSeconds > 0 {
                let channel = self.channel.channel
                stallTimer = eventLoop.scheduleTask(in: .seconds(Int64(configuration.idleTimeoutSeconds))) {
                    channel.close(promise: nil)
                }
            }
            defer { stallTimer?.cancel() }
            do {
                try await outbound.write(buffer)
            } catch {
                logger.trace("gRPC connection write failed", metadata: ["error": "\(error)"])
                closeGracefully = false
                phase = .closed
            }
        }
    }

    private func tearDown() async {
        let wasGraceful = closeGracefully
        phase = .closed
        mailbox.finish()
        idleTimer?.cancel()
        shutdownTimer?.cancel()
        for stream in streams.values {
            stream.cancelDeadlineTimer()
            stream.call?.abort(GRPCStatus(.cancelled, "the connection closed"))
        }
        if wasGraceful, !Task.isCancelled {
            // Let the last frames (GOAWAY) reach the client before the socket closes: half-close the output once
            // the pending writes are out, but do not wait for a client that does not read for more than 2 s.
            let done = eventLoop.makePromise(of: Void.self)
            channel.channel.close(mode: .output).whenComplete { _ in done.succeed(()) }
            let timeout = eventLoop.scheduleTask(in: .seconds(2)) { done.succeed(()) }
            try? await done.futureResult.get()
            timeout.cancel()
        }
        channel.channel.close(promise: nil)
    }

    // MARK: - Inbound

    private func receive(_ bytes: ByteBuffer, group: inout DiscardingTaskGroup) {
        for event in session.receive(bytes) {
            switch event {
            case .requestHeaders(let streamID, let headers, let endStream, let exceedsLimit):
                openStream(streamID, headers: headers, endStream: endStream, exceedsHeaderListLimit: exceedsLimit,
                           group: &group)
            default:
                handleSessionEvent(event)
            }
        }
    }

    private func handleSessionEvent(_ event: HTTP2Event) {
        switch event {
        case .requestHeaders(let streamID, _, _, _):
            // Only `receive` can produce request headers; never expected here.
            session.resetStream(streamID, errorCode: .internalError)
        case .data(let streamID, let bytes):
            receiveData(streamID, bytes)
        case .endStream(let streamID):
            receiveEndStream(streamID)
        case .streamClosed(let streamID, let errorCode):
            streamClosed(streamID, errorCode: errorCode)
        case .sentEndStream(let streamID):
            if let stream = streams[streamID], stream.machine.endStreamSent() == .resetNoError {
                session.resetStream(streamID, errorCode: .noError)
            }
        case .responseDataSent(let streamID, let bytes):
            streams[streamID]?.call?.responseBytesSent(bytes)
        case .goAwayReceived(let lastStreamID, let errorCode):
            logger.debug("gRPC client sent GOAWAY", metadata: [
                "http2.last_stream_id": "\(lastStreamID)", "http2.error_code": "\(errorCode)",
            ])
        case .pingAcknowledged(let data):
            if data == Self.shutdownPingData {
                sendFinalGoAway()
            }
        case .connectionError(let reason):
            // A fatal nghttp2 error (bad preface, flood, out of memory): the session is unusable; close at once.
            // (Ordinary protocol errors are not fatal: nghttp2 queues a GOAWAY itself, and the connection closes
            // once it is written and the session wants neither to read nor to write.)
            logger.debug("gRPC connection failed", metadata: ["error": "\(reason)"])
            closeGracefully = false
            phase = .closed
        }
    }

    private func openStream(
        _ streamID: Int32,
        headers: [(name: String, value: String)],
        endStream: Bool,
        exceedsHeaderListLimit: Bool,
        group: inout DiscardingTaskGroup
    ) {
        // A call counts until its handler has returned, so a client cannot exceed the limit by resetting streams
        // whose handlers ignore cancellation; nghttp2 enforces the SETTINGS value only for open HTTP/2 streams.
        guard streams.count < configuration.maxConcurrentStreamsPerConnection else {
            session.resetStream(streamID, errorCode: .refusedStream)
            return
        }
        let stream = GRPCStream(id: streamID)
        stream.machine.receivedHeaders(endStream: endStream)
        streams[streamID] = stream
        idleSince = .now()

        guard !exceedsHeaderListLimit else {
            finishStream(stream, GRPCStatus(
                .resourceExhausted, "request headers larger than \(configuration.maxHeaderListBytes) bytes"
            ))
            return
        }
        let head: GRPCRequestHead
        do {
            head = try GRPCRequestHead(headers: headers)
        } catch {
            finishStream(stream, error.status, httpStatus: error.httpStatus)
            return
        }
        let methodMetrics = metrics.method(head.path)
        stream.metrics = methodMetrics
        methodMetrics.started.increment()
        guard let method = methods[head.path] else {
            finishStream(stream, GRPCStatus(.unimplemented, "unknown method \(head.path.prefix(200))"))
            return
        }
        let apiKeys = configuration.apiKeys
        if method.requiresAuthentication, apiKeys.isEnabled {
            // Never echo the key or any request metadata back.
            guard let key = head.apiKey, apiKeys.accepts(key) else {
                finishStream(stream, GRPCStatus(.unauthenticated, "missing or invalid API key"))
                return
            }
        }

        let call = GRPCServerCall(
            streamID: streamID,
            mailbox: mailbox,
            maxReceiveMessageBytes: configuration.maxReceiveMessageBytes,
            maxPendingResponseBytes: configuration.maxPendingResponseBytesPerStream,
            sentMessages: methodMetrics.sent
        )
        stream.call = call
        stream.deframer = GRPCMessageDeframer(
            maxMessageBytes: configuration.maxReceiveMessageBytes,
            allowsCompressedMessages: head.encoding != .identity
        )
        stream.isTaskRunning = true
        var deadline: ContinuousClock.Instant?
        if let timeout = head.timeout {
            let duration = min(timeout.duration, Self.maxDeadline)
            deadline = .now + duration
            let mailbox = self.mailbox
            stream.deadlineTimer = eventLoop.scheduleTask(in: Self.timeAmount(duration)) {
                mailbox.post(.deadlineExceeded(streamID: streamID))
            }
        }
        if endStream {
            call.deliverEnd()
        }
        let context = GRPCRequestContext(
            path: head.path, metadata: head.metadata, deadline: deadline, remoteAddress: remoteAddress
        )
        let handler = method.handler
        let logger = self.logger
        group.addTask {
            await call.run(handler: handler, context: context, logger: logger)
        }
    }

    private func receiveData(_ streamID: Int32, _ bytes: ByteBuffer) {
        let count = bytes.readableBytes
        // The connection window goes back at once: per-stream windows bound what is buffered, and holding the
        // connection window for one slow call would stall every other call on the connection.
        session.consumeConnection(bytes: count)
        guard let stream = streams[streamID] else { return }
        guard stream.machine.receivedData() == .deliver, stream.deframer != nil, let call = stream.call else {
            // Nobody reads this stream any more (the response ended; a reset follows): do not hold its window.
            session.consumeStream(streamID, bytes: count)
            return
        }
        stream.withheldRequestBytes += count
        stream.deframer?.append(bytes)
        do {
            while let message = try stream.deframer?.next() {
                stream.metrics?.received.increment()
                call.deliver(message)
            }
        } catch {
            // The request stream is broken from here on (oversized or malformed message). Nothing more is read from
            // it, but the handler still gets the messages that came before, then the error from `next()`: a
            // streaming handler commits and acknowledges what it received, and the call ends with this status.
            stream.deframer = nil
            call.deliverFailure(error)
            return
        }
        grantWindowIfRoom(stream)
    }

    private func receiveEndStream(_ streamID: Int32) {
        guard let stream = streams[streamID], stream.machine.receivedEndStream() == .deliverEnd else { return }
        do {
            try stream.deframer?.finish()
        } catch {
            failCall(streamID, error)
            return
        }
        stream.call?.deliverEnd()
    }

    private func streamClosed(_ streamID: Int32, errorCode: HTTP2Session.ErrorCode) {
        guard let stream = streams[streamID] else { return }
        stream.isClosed = true
        stream.cancelDeadlineTimer()
        if stream.machine.streamClosed() == .cancelCall {
            let reason = errorCode == .noError ? "the client cancelled the call" : "the client reset the stream (\(errorCode))"
            stream.call?.abort(GRPCStatus(.cancelled, reason))
        }
        forgetIfDone(stream)
    }

    private func requestMessagesTaken(_ streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        grantWindowIfRoom(stream)
    }

    /// Gives the stream its window back while its handler keeps up; otherwise the call wakes the connection
    /// (`requestMessagesTaken`) once the handler has caught up.
    private func grantWindowIfRoom(_ stream: GRPCStream) {
        guard stream.withheldRequestBytes > 0, let call = stream.call,
            call.grantsWindow(maxQueuedBytes: configuration.maxQueuedRequestBytesPerStream)
        else { return }
        session.consumeStream(stream.id, bytes: stream.withheldRequestBytes)
        stream.withheldRequestBytes = 0
    }

    // MARK: - Outbound

    private func sendResponseMessages(_ streamID: Int32) {
        guard let stream = streams[streamID], let bytes = stream.call?.takeResponseBytes() else { return }
        switch stream.machine.sendMessage() {
        case .sendHeadersAndMessage:
            guard session.submitResponseHeaders(streamID, GRPCStream.StateMachine.responseHeaders()) else {
                stream.call?.responseBytesSent(bytes.readableBytes)
                return
            }
            session.sendData(streamID, bytes)
        case .sendMessage:
            session.sendData(streamID, bytes)
        case .drop:
            stream.call?.responseBytesSent(bytes.readableBytes)
        }
    }

    private func callEnded(_ streamID: Int32, _ status: GRPCStatus) {
        guard let stream = streams[streamID] else { return }
        // Messages the handler wrote just before returning go out before the trailers.
        sendResponseMessages(streamID)
        stream.isTaskRunning = false
        finishStream(stream, status)
        forgetIfDone(stream)
    }

    /// Ends the call with `status` from the transport's side and cancels its handler.
    private func failCall(_ streamID: Int32, _ status: GRPCStatus) {
        guard let stream = streams[streamID] else { return }
        finishStream(stream, status)
        stream.call?.abort(status)
    }

    /// Queues the end of the response: trailers after the messages, or a trailers-only response.
    private func finishStream(_ stream: GRPCStream, _ status: GRPCStatus, httpStatus: Int = 200) {
        stream.cancelDeadlineTimer()
        if let metrics = stream.metrics {
            stream.metrics = nil  // once per call: the first status is the one the client sees
            let duration = stream.openedAt.duration(to: .now)
            metrics.finished(status.code, after: duration)
            logger.debug("gRPC call finished", metadata: [
                "grpc.service": "\(metrics.service)", "grpc.method": "\(metrics.method)",
                "grpc.code": "\(GRPCServerMetrics.codeName(status.code))",
                "grpc.duration_ms": "\(Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds / 1_000_000_000_000) / 1000)",
            ])
        }
        switch stream.machine.finish() {
        case .sendTrailersOnly:
            session.submitHeadersOnlyResponse(
                stream.id, GRPCStream.StateMachine.trailersOnly(for: status, httpStatus: httpStatus)
            )
        case .sendTrailers:
            session.submitTrailers(stream.id, GRPCStream.StateMachine.trailers(for: status))
        case .none:
            break
        }
    }

    private func forgetIfDone(_ stream: GRPCStream) {
        guard stream.isDone else { return }
        streams[stream.id] = nil
        if streams.isEmpty {
            idleSince = .now()
        }
    }

    // MARK: - Timers and shutdown

    private func armIdleTimer() {
        guard configuration.idleTimeoutSeconds > 0 else { return }  // 0 turns the idle timeout off
        let mailbox = self.mailbox
        idleTimer = eventLoop.scheduleTask(
            deadline: idleSince + .seconds(Int64(configuration.idleTimeoutSeconds))
        ) {
            mailbox.post(.idleCheck)
        }
    }

    private func checkIdle() {
        guard phase == .serving else { return }
        if !streams.isEmpty {
            idleSince = .now()
        } else if NIODeadline.now() - idleSince >= .seconds(Int64(configuration.idleTimeoutSeconds)) {
            logger.trace("gRPC connection idle: closing")
            phase = .goingAway
            session.terminate(errorCode: .noError)
            return
        }
        armIdleTimer()
    }

    private func beginGracefulShutdown() {
        guard phase == .serving else { return }
        phase = .draining
        session.submitShutdownNotice(pingData: Self.shutdownPingData)
        let mailbox = self.mailbox
        shutdownTimer = eventLoop.scheduleTask(
            in: .milliseconds(Int64(configuration.shutdownPingTimeoutSeconds * 1000))
        ) {
            mailbox.post(.shutdownPingTimeout)
        }
    }

    private func sendFinalGoAway() {
        guard phase == .draining else { return }
        phase = .goingAway
        shutdownTimer?.cancel()
        session.submitGoAway(errorCode: .noError)
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

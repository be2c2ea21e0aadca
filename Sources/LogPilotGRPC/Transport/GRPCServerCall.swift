import CompressNIO
import Logging
import Metrics
import NIOCore
import Synchronization

/// The state one call shares between its handler (a child task on the cooperative pool) and its connection (on the
/// channel's event loop). All of it sits behind one lock; continuations are resumed outside it.
///
/// - Request messages: the connection ``deliver(_:)``s de-framed messages into a queue; the handler takes them
///   through ``GRPCRequestReceiver/next()``. The connection gives the stream its flow-control window back only
///   while this queue holds at most `maxQueuedRequestBytes`; when it is over, the connection arms a notification
///   (``grantsWindow(maxQueuedBytes:)``) and the handler wakes it (`requestMessagesTaken`) once it has taken
///   enough. So the queue never holds much more than that bound plus one window.
/// - Response messages: ``write(_:)`` frames the message into an outbox and wakes the connection
///   (`responseMessagesReady`) if the outbox was empty; the connection takes the whole outbox at once
///   (``takeResponseBytes()``), so a handler streaming small messages costs one wake-up, one DATA frame and one
///   socket write per batch rather than per message. `write` returns at once while at most
///   `maxPendingResponseBytes` wait to be handed to nghttp2, and suspends otherwise until the connection reports
///   them sent (``responseBytesSent(_:)``): a client that does not read slows the handler down.
/// - The end: the connection ``abort(_:)``s the call when it is over from the transport's side (client reset,
///   deadline, malformed request stream, connection closing); the receiver and sender then throw that status, and
///   ``run(handler:context:logger:)`` cancels the handler's task.
final class GRPCServerCall: Sendable {
    /// How a call's handler task ended.
    enum Completion: Sendable, Equatable {
        /// The handler returned or threw by itself.
        case returned
        /// The transport ended the call first.
        case aborted
    }

    private typealias Receiver = CheckedContinuation<Result<GRPCMessageDeframer.Message?, GRPCStatus>, Never>

    private struct State {
        var requests = CircularBuffer<GRPCMessageDeframer.Message>(initialCapacity: 4)
        /// Framed bytes of the messages in `requests`.
        var requestBytes = 0
        var requestStreamEnded = false
        /// The request stream broke (oversized or malformed message): `next()` throws this once the messages that
        /// arrived before it have been taken.
        var requestStreamError: GRPCStatus?
        var receiver: Receiver?
        /// Set by the connection while it withholds window: wake it once `requestBytes` is at most this.
        var windowNotificationThreshold: Int?
        /// Once set, the call is over for the handler: `next()` and `write()` throw it.
        var failure: GRPCStatus?
        /// Framed response messages not yet taken by the connection.
        var outbox = ByteBuffer()
        var isOutboxScheduled = false
        /// Response bytes written by the handler and not yet handed to nghttp2.
        var pendingResponseBytes = 0
        var writer: CheckedContinuation<GRPCStatus?, Never>?
        var completion: Completion?
        var completionWaiter: CheckedContinuation<Completion, Never>?
    }

    let streamID: Int32
    private let mailbox: GRPCConnectionMailbox
    private let maxReceiveMessageBytes: Int
    private let maxPendingResponseBytes: Int
    private let state = Mutex(State())
    /// `grpc_server_msg_sent_total` of the call's method.
    private let sentMessages: Counter?

    init(
        streamID: Int32,
        mailbox: GRPCConnectionMailbox,
        maxReceiveMessageBytes: Int,
        maxPendingResponseBytes: Int,
        sentMessages: Counter? = nil
    ) {
        self.streamID = streamID
        self.sentMessages = sentMessages
        self.mailbox = mailbox
        self.maxReceiveMessageBytes = maxReceiveMessageBytes
        self.maxPendingResponseBytes = maxPendingResponseBytes
    }

    // MARK: - Connection side

    /// Queues a request message for the handler.
    func deliver(_ message: GRPCMessageDeframer.Message) {
        let receiver = state.withLock { state -> Receiver? in
            guard state.failure == nil else { return nil }
            if let receiver = state.receiver {
                state.receiver = nil
                return receiver
            }
            state.requests.append(message)
            state.requestBytes += message.framedSize
            return nil
        }
        receiver?.resume(returning: .success(message))
    }

    /// The request stream broke at this point (e.g. an oversized message): the handler first gets the messages that
    /// came before it, then `next()` throws `status`, so a streaming handler can finish (commit, acknowledge) what it
    /// already received before the call ends with that status.
    func deliverFailure(_ status: GRPCStatus) {
        let receiver = state.withLock { state -> Receiver? in
            guard state.failure == nil, state.requestStreamError == nil else { return nil }
            state.requestStreamError = status
            guard state.requests.isEmpty, let receiver = state.receiver else { return nil }
            state.receiver = nil
            return receiver
        }
        receiver?.resume(returning: .failure(status))
    }

    /// The client half-closed: after the queued messages, `next()` returns nil.
    func deliverEnd() {
        let receiver = state.withLock { state -> Receiver? in
            state.requestStreamEnded = true
            guard state.requests.isEmpty, state.requestStreamError == nil, let receiver = state.receiver else { return nil }
            state.receiver = nil
            return receiver
        }
        receiver?.resume(returning: .success(nil))
    }

    /// Whether the connection may give the stream window back now: true when at most `maxQueuedBytes` wait for the
    /// handler. When false, the call posts `requestMessagesTaken` once the handler has brought the queue down to
    /// that bound (checked and armed under one lock, so the wake-up cannot be missed).
    func grantsWindow(maxQueuedBytes: Int) -> Bool {
        state.withLock { state in
            if state.requestBytes <= maxQueuedBytes || state.failure != nil {
                state.windowNotificationThreshold = nil
                return true
            }
            state.windowNotificationThreshold = maxQueuedBytes
            return false
        }
    }

    /// Takes the framed response messages written since the last call (nil when there are none).
    func takeResponseBytes() -> ByteBuffer? {
        state.withLock { state in
            state.isOutboxScheduled = false
            guard state.outbox.readableBytes > 0 else { return nil }
            defer { state.outbox = ByteBuffer() }
            return state.outbox
        }
    }

    /// `bytes` of this call's response data left the stream's queue for nghttp2.
    func responseBytesSent(_ bytes: Int) {
        let writer = state.withLock { state -> CheckedContinuation<GRPCStatus?, Never>? in
            state.pendingResponseBytes = max(0, state.pendingResponseBytes - bytes)
            guard state.pendingResponseBytes <= maxPendingResponseBytes, let writer = state.writer else { return nil }
            state.writer = nil
            return writer
        }
        writer?.resume(returning: nil)
    }

    /// Ends the call from the transport's side: the receiver and sender throw `status` from now on and the
    /// handler's task is cancelled. Idempotent; the first status wins.
    func abort(_ status: GRPCStatus) {
        let (failure, receiver, writer, waiter) = state.withLock { state in
            if state.failure == nil { state.failure = status }
            if state.completion == nil { state.completion = .aborted }
            let taken = (state.failure ?? status, state.receiver, state.writer, state.completionWaiter)
            state.receiver = nil
            state.writer = nil
            state.completionWaiter = nil
            return taken
        }
        receiver?.resume(returning: .failure(failure))
        writer?.resume(returning: failure)
        waiter?.resume(returning: .aborted)
    }

    /// Framed bytes of request messages waiting for the handler (what flow control bounds).
    var bufferedRequestBytes: Int {
        state.withLock { $0.requestBytes }
    }

    // MARK: - Handler side

    /// The next request message (inflated when it is compressed), or nil after the client half-closed.
    func next() async throws(GRPCStatus) -> [UInt8]? {
        let message = try await nextFramed()
        guard let message else { return nil }
        guard message.isCompressed else { return message.bytes }
        do {
            return try inflate(message.bytes)
        } catch {
            failFromHandlerSide(error)
            throw error
        }
    }

    private func nextFramed() async throws(GRPCStatus) -> GRPCMessageDeframer.Message? {
        if Task.isCancelled {
            throw state.withLock { $0.failure } ?? GRPCStatus(.cancelled, "the call was cancelled")
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: Receiver) in
                let (ready, notify): (Result<GRPCMessageDeframer.Message?, GRPCStatus>?, Bool) = state.withLock { state in
                    if let failure = state.failure { return (.failure(failure), false) }
                    if let message = state.requests.popFirst() {
                        state.requestBytes -= message.framedSize
                        var notify = false
                        if let threshold = state.windowNotificationThreshold, state.requestBytes <= threshold {
                            state.windowNotificationThreshold = nil
                            notify = true
                        }
                        return (.success(message), notify)
                    }
                    if let error = state.requestStreamError { return (.failure(error), false) }
                    if state.requestStreamEnded { return (.success(nil), false) }
                    if Task.isCancelled { return (.failure(GRPCStatus(.cancelled, "the call was cancelled")), false) }
                    precondition(state.receiver == nil, "GRPCRequestReceiver.next() called concurrently")
                    state.receiver = continuation
                    return (nil, false)
                }
                if notify {
                    mailbox.post(.requestMessagesTaken(streamID: streamID))
                }
                if let ready {
                    continuation.resume(returning: ready)
                }
            }
        } onCancel: {
            let receiver = state.withLock { state in
                defer { state.receiver = nil }
                return state.receiver
            }
            receiver?.resume(returning: .failure(GRPCStatus(.cancelled, "the call was cancelled")))
        }
        return try result.get()
    }

    /// Frames and queues a response message; suspends while too many response bytes wait for the client.
    func write(_ message: [UInt8]) async throws(GRPCStatus) {
        guard message.count <= GRPCMessageFramer.maxPayloadLength else {
            throw GRPCStatus(.resourceExhausted, "response message larger than \(GRPCMessageFramer.maxPayloadLength) bytes")
        }
        if Task.isCancelled {
            throw state.withLock { $0.failure } ?? GRPCStatus(.cancelled, "the call was cancelled")
        }
        let (mustWait, wake) = try state.withLock { state throws(GRPCStatus) -> (Bool, Bool) in
            if let failure = state.failure { throw failure }
            try GRPCMessageFramer.frame(message, into: &state.outbox)
            state.pendingResponseBytes += GRPCMessageFramer.prefixLength + message.count
            let wake = !state.isOutboxScheduled
            state.isOutboxScheduled = true
            return (state.pendingResponseBytes > maxPendingResponseBytes, wake)
        }
        sentMessages?.increment()
        if wake {
            mailbox.post(.responseMessagesReady(streamID: streamID))
        }
        guard mustWait else { return }
        let failure = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<GRPCStatus?, Never>) in
                let ready: GRPCStatus?? = state.withLock { state in
                    if let failure = state.failure { return .some(failure) }
                    if state.pendingResponseBytes <= maxPendingResponseBytes { return .some(nil) }
                    if Task.isCancelled { return .some(GRPCStatus(.cancelled, "the call was cancelled")) }
                    state.writer = continuation
                    return .none
                }
                if let ready {
                    continuation.resume(returning: ready)
                }
            }
        } onCancel: {
            let writer = state.withLock { state in
                defer { state.writer = nil }
                return state.writer
            }
            writer?.resume(returning: GRPCStatus(.cancelled, "the call was cancelled"))
        }
        if let failure { throw failure }
    }

    /// Ends the call from the handler's side of the transport (a request message that cannot be inflated): the
    /// connection answers with `status`.
    private func failFromHandlerSide(_ status: GRPCStatus) {
        let isFirst = state.withLock { state in
            guard state.failure == nil else { return false }
            state.failure = status
            return true
        }
        if isFirst {
            mailbox.post(.callFailed(streamID: streamID, status))
        }
    }

    private func inflate(_ bytes: [UInt8]) throws(GRPCStatus) -> [UInt8] {
        let limit = maxReceiveMessageBytes
        var input = ByteBuffer(bytes: bytes)
        do {
            // CompressNIO's bound is approximate (it grows its output in steps and may stop one byte short):
            // ask for one more byte, then enforce the exact limit.
            let inflated = try input.decompress(with: .gzip, maxSize: limit + 1)
            guard inflated.readableBytes <= limit else { throw CompressNIOError.bufferOverflow }
            return Array(inflated.readableBytesView)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw GRPCStatus(.resourceExhausted, "decompressed message larger than max (\(limit) bytes)")
        } catch {
            throw GRPCStatus(.internalError, "failed to decompress a gzip request message")
        }
    }

    // MARK: - Completion

    /// Records that the handler returned; false when the transport had aborted the call first.
    private func handlerReturned() -> Bool {
        let (isFirst, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Completion, Never>?) in
            guard state.completion == nil else { return (false, nil) }
            state.completion = .returned
            defer { state.completionWaiter = nil }
            return (true, state.completionWaiter)
        }
        waiter?.resume(returning: .returned)
        return isFirst
    }

    /// Waits until the handler returned or the transport aborted the call, whichever comes first.
    private func waitForCompletion() async -> Completion {
        await withCheckedContinuation { (continuation: CheckedContinuation<Completion, Never>) in
            let ready: Completion? = state.withLock { state in
                if let completion = state.completion { return completion }
                state.completionWaiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

// MARK: - The handler's view

/// ``GRPCRequestReceiver`` over a ``GRPCServerCall``.
struct GRPCServerCallReceiver: GRPCRequestReceiver {
    let call: GRPCServerCall

    func next() async throws(GRPCStatus) -> [UInt8]? {
        try await call.next()
    }
}

/// ``GRPCResponseSender`` over a ``GRPCServerCall``.
struct GRPCServerCallSender: GRPCResponseSender {
    let call: GRPCServerCall

    func write(_ message: [UInt8]) async throws(GRPCStatus) {
        try await call.write(message)
    }
}

// MARK: - Running a handler

extension GRPCServerCall {
    /// Runs `handler` for this call and posts `callEnded` once the handler is done.
    ///
    /// The handler runs as a child task so that the transport can cancel it (client reset, deadline, connection
    /// loss) while this task waits for it: structured concurrency all the way, nothing outlives the connection.
    /// When the handler returns by itself, its task posts `callEnded` with its status at once; when the transport
    /// aborted the call first, this task posts `callEnded` only after the cancelled handler has really returned, so
    /// the connection keeps counting the call against its stream limit until then.
    func run(handler: @escaping GRPCHandler, context: GRPCRequestContext, logger: Logger) async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                let status = await Self.invoke(handler, call: self, context: context, logger: logger)
                if self.handlerReturned() {
                    self.mailbox.post(.callEnded(streamID: self.streamID, status))
                }
            }
            if await waitForCompletion() == .aborted {
                group.cancelAll()
            }
        }
        if state.withLock({ $0.completion }) == .aborted {
            mailbox.post(.callEnded(streamID: streamID, GRPCStatus(.cancelled, "the call was cancelled")))
        }
    }

    private static func invoke(
        _ handler: GRPCHandler, call: GRPCServerCall, context: GRPCRequestContext, logger: Logger
    ) async -> GRPCStatus {
        do {
            try await handler(GRPCServerCallReceiver(call: call), GRPCServerCallSender(call: call), context)
            return .ok
        } catch let status as GRPCStatus {
            return status
        } catch is CancellationError {
            return GRPCStatus(.cancelled, "the call was cancelled")
        } catch {
            // Never leak internal details to the client; keep them in the (debug) log.
            logger.debug("gRPC handler failed", metadata: [
                "grpc.method": "\(context.path)", "grpc.stream.id": "\(call.streamID)", "error": "\(error)",
            ])
            return GRPCStatus(.unknown, "the server failed to process the call")
        }
    }
}

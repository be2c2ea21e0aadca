import NIOCore
import Synchronization

/// The single queue a connection's event loop consumes: bytes from the socket, and everything the call handlers
/// (running as child tasks elsewhere) and timers want the connection to do.
///
/// Producers ``post(_:)`` from any thread; the one consumer takes *all* pending events per wake-up
/// (``next()``), handles them in order and writes the resulting frames with one socket write, so a burst of
/// handler outputs costs one wake-up and one write. Events from one producer keep their order (a handler's last
/// response message always precedes its `callEnded`).
///
/// Inbound bytes are the exception to "fire and forget": ``deliverInbound(_:)`` suspends the socket reader until
/// the consumer has processed the bytes *and* written its answer, so a peer that sends faster than the
/// connection can answer (or than the socket drains) is slowed down by TCP instead of growing a queue.
final class GRPCConnectionMailbox: Sendable {
    enum Event: Sendable {
        /// Bytes read from the socket (the reader waits for ``acknowledgeInbound()``).
        case inbound(ByteBuffer)
        /// The socket's read side ended (EOF, error, or the reader was cancelled).
        case inboundClosed
        /// A handler caught up with the request messages queued for it: its stream may get window back (posted
        /// only when the connection asked, see ``GRPCServerCall/grantsWindow(maxQueuedBytes:)``).
        case requestMessagesTaken(streamID: Int32)
        /// A handler wrote response messages (``GRPCServerCall/takeResponseBytes()`` has them, framed).
        case responseMessagesReady(streamID: Int32)
        /// The call failed on the handler's side of the transport (e.g. a request message failed to inflate).
        case callFailed(streamID: Int32, GRPCStatus)
        /// The call's handler is done; `status` is its outcome (ignored if the call was already ended).
        case callEnded(streamID: Int32, GRPCStatus)
        /// The call's `grpc-timeout` expired.
        case deadlineExceeded(streamID: Int32)
        /// The idle timer fired.
        case idleCheck
        /// The server is shutting down gracefully.
        case gracefulShutdown
        /// The client did not acknowledge the shutdown PING in time: send the final GOAWAY anyway.
        case shutdownPingTimeout
    }

    private struct State {
        var events: [Event] = []
        var consumer: CheckedContinuation<[Event]?, Never>?
        var inboundAcknowledgement: CheckedContinuation<Bool, Never>?
        var isFinished = false
    }

    private let state = Mutex(State())

    init() {}

    /// Queues an event. Dropped once the connection has finished.
    func post(_ event: Event) {
        let consumer: CheckedContinuation<[Event]?, Never>? = state.withLock { state in
            guard !state.isFinished else { return nil }
            if let consumer = state.consumer {
                state.consumer = nil
                return consumer
            }
            state.events.append(event)
            return nil
        }
        consumer?.resume(returning: [event])
    }

    /// Queues bytes read from the socket and waits until the consumer acknowledged them. Returns false when the
    /// connection finished (the reader should stop).
    func deliverInbound(_ bytes: ByteBuffer) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let action: (consumer: CheckedContinuation<[Event]?, Never>?, finished: Bool) = state.withLock { state in
                    guard !state.isFinished, !Task.isCancelled else { return (nil, true) }
                    precondition(state.inboundAcknowledgement == nil, "one socket reader per connection")
                    state.inboundAcknowledgement = continuation
                    if let consumer = state.consumer {
                        state.consumer = nil
                        return (consumer, false)
                    }
                    state.events.append(.inbound(bytes))
                    return (nil, false)
                }
                if action.finished {
                    continuation.resume(returning: false)
                } else {
                    action.consumer?.resume(returning: [.inbound(bytes)])
                }
            }
        } onCancel: {
            let waiting = state.withLock { state in
                defer { state.inboundAcknowledgement = nil }
                return state.inboundAcknowledgement
            }
            waiting?.resume(returning: false)
        }
    }

    /// Lets the socket reader continue after an `.inbound` event was handled.
    func acknowledgeInbound() {
        let waiting = state.withLock { state in
            defer { state.inboundAcknowledgement = nil }
            return state.inboundAcknowledgement
        }
        waiting?.resume(returning: true)
    }

    /// All pending events, waiting for at least one; nil once finished or when the consumer task is cancelled.
    func next() async -> [Event]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[Event]?, Never>) in
                let ready: [Event]?? = state.withLock { state in
                    if state.isFinished || Task.isCancelled { return .some(nil) }
                    if !state.events.isEmpty {
                        defer { state.events.removeAll(keepingCapacity: true) }
                        return .some(state.events)
                    }
                    precondition(state.consumer == nil, "one consumer per mailbox")
                    state.consumer = continuation
                    return .none
                }
                if let ready {
                    continuation.resume(returning: ready)
                }
            }
        } onCancel: {
            finish()
        }
    }

    /// Stops the mailbox: the consumer gets nil, the socket reader is released, later events are dropped.
    func finish() {
        let (consumer, reader) = state.withLock { state in
            state.isFinished = true
            state.events.removeAll()
            defer {
                state.consumer = nil
                state.inboundAcknowledgement = nil
            }
            return (state.consumer, state.inboundAcknowledgement)
        }
        consumer?.resume(returning: nil)
        reader?.resume(returning: false)
    }
}

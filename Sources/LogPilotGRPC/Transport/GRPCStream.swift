import NIOCore

/// What a connection keeps for one HTTP/2 stream (one call), from its request headers until both the stream is
/// closed and the call's task has finished.
///
/// A reference type owned by the connection and touched only on its event loop; the protocol rules live in the
/// value-type ``StateMachine``.
final class GRPCStream {
    let id: Int32
    var machine = StateMachine()
    /// Present once the request was accepted (a handler runs).
    var deframer: GRPCMessageDeframer?
    /// The state shared with the handler's task; nil for requests refused before reaching a handler.
    var call: GRPCServerCall?
    /// The `grpc-timeout` timer.
    var deadlineTimer: Scheduled<Void>?
    /// Request bytes received on this stream whose stream-level window was not yet given back.
    var withheldRequestBytes = 0
    /// Whether the call's task is still running (it may outlive the HTTP/2 stream after a reset).
    var isTaskRunning = false
    /// Whether nghttp2 closed the stream.
    var isClosed = false
    /// The call's metric handles until its status is recorded (then nil).
    var metrics: GRPCServerMetrics.Method?
    /// For `grpc_server_handling_seconds`.
    let openedAt = ContinuousClock.now

    init(id: Int32) {
        self.id = id
    }

    /// The connection may forget the stream.
    var isDone: Bool { isClosed && !isTaskRunning }

    func cancelDeadlineTimer() {
        deadlineTimer?.cancel()
        deadlineTimer = nil
    }
}

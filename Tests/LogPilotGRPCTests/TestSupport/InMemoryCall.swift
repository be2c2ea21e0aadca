import LogPilotGRPC
import Synchronization
import Testing

/// Request messages of one in-memory call: queued up front and/or sent while the handler runs. `next()` suspends
/// until a message, the half-close or a failure arrives, and throws CANCELLED if the waiting task is cancelled
/// (what the real transport does when the client resets the stream or the deadline passes).
final class ScriptedRequests: GRPCRequestReceiver, Sendable {
    private struct State {
        var messages: [[UInt8]] = []
        var head = 0
        var halfClosed = false
        var failure: GRPCStatus?
        var taken = 0
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// - Parameters:
    ///   - messages: Messages available at once.
    ///   - halfClose: Whether the client half-closes after them.
    init(_ messages: [[UInt8]] = [], halfClose: Bool = true) {
        state.withLock {
            $0.messages = messages
            $0.halfClosed = halfClose
        }
    }

    /// Messages of `ProtobufMessage` values.
    convenience init(_ messages: [any ProtobufMessage], halfClose: Bool = true) {
        self.init(messages.map { $0.protobufBytes() }, halfClose: halfClose)
    }

    /// Messages the handler has taken so far.
    var taken: Int { state.withLock { $0.taken } }

    func send(_ message: some ProtobufMessage) {
        send(bytes: message.protobufBytes())
    }

    func send(bytes: [UInt8]) {
        let waiter = state.withLock { state in
            state.messages.append(bytes)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func halfClose() {
        let waiter = state.withLock { state in
            state.halfClosed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func fail(_ status: GRPCStatus) {
        let waiter = state.withLock { state in
            state.failure = status
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func next() async throws(GRPCStatus) -> [UInt8]? {
        while true {
            let outcome: Result<[UInt8]?, GRPCStatus>? = state.withLock { state in
                if state.head < state.messages.count {
                    let message = state.messages[state.head]
                    state.head += 1
                    state.taken += 1
                    return .success(message)
                }
                if let failure = state.failure { return .failure(failure) }
                if state.halfClosed { return .success(nil) }
                return nil
            }
            if let outcome { return try outcome.get() }
            if Task.isCancelled { throw GRPCStatus(.cancelled, "cancelled") }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state in
                        if state.head < state.messages.count || state.failure != nil || state.halfClosed
                            || Task.isCancelled
                        {
                            return true
                        }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { state in
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume()
            }
        }
    }
}

/// Records the response messages of one in-memory call. A blocked recorder holds every `write` (like a client that
/// does not read, so its flow-control window stays closed) until `unblock()`.
final class RecordingResponses: GRPCResponseSender, Sendable {
    private struct State {
        var messages: [[UInt8]] = []
        var blocked: Bool
        var blockedWriters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(blocked: Bool = false) {
        state = Mutex(State(blocked: blocked))
    }

    var messages: [[UInt8]] { state.withLock { $0.messages } }

    func decoded<M: ProtobufMessage>(as type: M.Type) throws -> [M] {
        try messages.map { try ProtobufCodec.decode($0, as: M.self) }
    }

    func unblock() {
        let writers = state.withLock { state in
            state.blocked = false
            defer { state.blockedWriters = [] }
            return state.blockedWriters
        }
        for writer in writers { writer.resume() }
    }

    func write(_ message: [UInt8]) async throws(GRPCStatus) {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                if state.blocked {
                    state.blockedWriters.append(continuation)
                    return false
                }
                return true
            }
            if resumeNow { continuation.resume() }
        }
        if Task.isCancelled { throw GRPCStatus(.cancelled, "cancelled") }
        state.withLock { $0.messages.append(message) }
    }

    /// Waits (polling) until at least `count` messages were written, or fails the test after `timeout`.
    func waitForMessages(_ count: Int, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while messages.count < count {
            try #require(ContinuousClock.now < deadline, "timed out waiting for \(count) response messages")
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

/// Runs a method's handler on in-memory requests and returns the status it ended with (OK when it returned).
func runCall(_ method: GRPCMethod, requests: ScriptedRequests, responses: RecordingResponses) async -> GRPCStatus {
    do {
        try await method.handler(requests, responses, GRPCRequestContext(path: method.path))
        return .ok
    } catch let status as GRPCStatus {
        return status
    } catch {
        return GRPCStatus(.unknown, "non-status error: \(error)")
    }
}

/// Runs a unary method: one request in, its one response decoded, or the status it failed with.
func unaryCall<Response: ProtobufMessage>(
    _ method: GRPCMethod,
    _ request: some ProtobufMessage,
    as type: Response.Type
) async throws -> Result<Response, GRPCStatus> {
    let responses = RecordingResponses()
    let status = await runCall(method, requests: ScriptedRequests([request.protobufBytes()]), responses: responses)
    guard status.code == .ok else {
        #expect(responses.messages.isEmpty, "a failed unary call must not send a response message")
        return .failure(status)
    }
    let messages = try responses.decoded(as: Response.self)
    try #require(messages.count == 1, "a unary call must send exactly one response message")
    return .success(messages[0])
}

extension Result {
    /// The failure, if any (for `#expect` on error statuses).
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}

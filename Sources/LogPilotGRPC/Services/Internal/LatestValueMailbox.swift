import Synchronization

/// Hands the newest value from one task to another: a value the receiver has not taken yet is replaced by the
/// next one. Posting never waits, so a sender is never held up by a slow receiver, and memory stays constant.
///
/// Used for cumulative stream acknowledgements: an ack that could not be written yet is superseded by the newer
/// one, which says everything the older one did.
final class LatestValueMailbox<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var isClosed = false
        var receiver: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    init() {}

    /// Replaces any value not taken yet. Ignored after `close()`.
    func post(_ value: Value) {
        let receiver = state.withLock { state in
            if !state.isClosed { state.value = value }
            defer { state.receiver = nil }
            return state.receiver
        }
        receiver?.resume()
    }

    /// No more values; the receiver still gets the last one posted.
    func close() {
        let receiver = state.withLock { state in
            state.isClosed = true
            defer { state.receiver = nil }
            return state.receiver
        }
        receiver?.resume()
    }

    /// Waits for a value. Returns nil once the mailbox is closed and empty, or when the calling task is cancelled.
    func next() async -> Value? {
        while true {
            let taken: Value?? = state.withLock { state in
                if let value = state.value {
                    state.value = nil
                    return .some(value)
                }
                return state.isClosed ? .some(nil) : nil
            }
            if let taken { return taken }
            if Task.isCancelled { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state in
                        if state.value != nil || state.isClosed || Task.isCancelled { return true }
                        state.receiver = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let receiver = state.withLock { state in
                    defer { state.receiver = nil }
                    return state.receiver
                }
                receiver?.resume()
            }
        }
    }
}

import Synchronization

/// Bounds how many searches run at once (a counting semaphore for async callers, with a bounded queue). A search
/// is the one read whose cost grows with the data; on a small machine a few of them at once would take every core
/// from ingest. Callers beyond `maxWaiting` are refused at once rather than queued without bound.
final class SearchSlots: Sendable {
    private struct State {
        var free: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>
    private let maxWaiting: Int

    init(slots: Int, maxWaiting: Int = 64) {
        self.state = Mutex(State(free: max(slots, 1)))
        self.maxWaiting = maxWaiting
    }

    /// Waits for a slot; false (at once) when `maxWaiting` callers already wait.
    func acquire() async -> Bool {
        enum Decision { case acquired, wait, refused }
        let decision: Decision = state.withLock { state in
            if state.free > 0 {
                state.free -= 1
                return .acquired
            }
            return state.waiters.count >= maxWaiting ? .refused : .wait
        }
        switch decision {
        case .acquired: return true
        case .refused: return false
        case .wait:
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let immediate: Bool = state.withLock { state in
                    if state.free > 0 {
                        state.free -= 1
                        return true
                    }
                    state.waiters.append(continuation)
                    return false
                }
                if immediate { continuation.resume() }
            }
            return true
        }
    }

    /// Hands the slot to the next waiter, or frees it.
    func release() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.free += 1
            return nil
        }
        next?.resume()
    }
}

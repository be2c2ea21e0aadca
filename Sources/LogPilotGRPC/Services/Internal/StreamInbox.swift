import Synchronization

/// A bounded hand-off from the task that reads a call's request messages (the producer) to the task that processes
/// them (the consumer), ended by one `Ending` value.
///
/// The producer waits while the inbox is full. That is what turns a slow consumer into HTTP/2 flow control: the
/// transport grants the client more window only as the producer takes messages. The consumer takes everything
/// available at once (up to a bound), so batches grow by themselves while it is busy and stay small under a
/// trickle.
///
/// `finish(_:)` may be called by anyone (the producer at the end of the input, a watcher when the server drains);
/// the first ending wins and later pushes are refused. The consumer sees the ending after every element pushed
/// before it.
final class StreamInbox<Element: Sendable, Ending: Sendable>: Sendable {
    /// What one `take` returns: elements in push order and, once the inbox is empty, the ending.
    struct Batch: Sendable {
        var elements: [Element]
        var cost: Int
        /// Set only when no element is left before it.
        var ending: Ending?
    }

    private struct State {
        var buffer: [Element] = []
        var costs: [Int] = []
        var bufferedCost = 0
        var ending: Ending?
        /// The consumer stopped: pushes are refused.
        var isClosed = false
        var consumer: CheckedContinuation<Void, Never>?
        var producer: CheckedContinuation<Void, Never>?

        func hasRoom(maxCount: Int, maxCost: Int, cost: Int) -> Bool {
            buffer.isEmpty || (buffer.count < maxCount && bufferedCost + cost <= maxCost)
        }
    }

    private let state = Mutex(State())
    private let maxCount: Int
    private let maxCost: Int

    /// - Parameters:
    ///   - maxCount: Elements buffered at most.
    ///   - maxCost: Total cost buffered at most; one element is always accepted into an empty inbox.
    init(maxCount: Int, maxCost: Int) {
        self.maxCount = max(maxCount, 1)
        self.maxCost = maxCost
    }

    // MARK: Producer

    /// Adds an element, waiting while the inbox is full. Returns false, without adding it, once the inbox has an
    /// ending, the consumer has closed it, or the calling task is cancelled.
    func push(_ element: Element, cost: Int) async -> Bool {
        while true {
            let outcome: PushOutcome = state.withLock { state in
                if state.isClosed || state.ending != nil { return .refused }
                guard state.hasRoom(maxCount: maxCount, maxCost: maxCost, cost: cost) else { return .full }
                state.buffer.append(element)
                state.costs.append(cost)
                state.bufferedCost += cost
                defer { state.consumer = nil }
                return .added(state.consumer)
            }
            switch outcome {
            case .refused:
                return false
            case .added(let consumer):
                consumer?.resume()
                return true
            case .full:
                await waitForRoom(cost: cost)
                if Task.isCancelled { return false }
            }
        }
    }

    private enum PushOutcome {
        case added(CheckedContinuation<Void, Never>?)
        case full
        case refused
    }

    private func waitForRoom(cost: Int) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.isClosed || state.ending != nil || Task.isCancelled
                        || state.hasRoom(maxCount: maxCount, maxCost: maxCost, cost: cost)
                    {
                        return true
                    }
                    state.producer = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let producer = state.withLock { state in
                defer { state.producer = nil }
                return state.producer
            }
            producer?.resume()
        }
    }

    /// Ends the input. The first ending wins; the consumer gets it after the elements already pushed.
    func finish(_ ending: Ending) {
        let waiters = state.withLock { state in
            if state.ending == nil && !state.isClosed { state.ending = ending }
            defer {
                state.consumer = nil
                state.producer = nil
            }
            return (state.consumer, state.producer)
        }
        waiters.0?.resume()
        waiters.1?.resume()
    }

    // MARK: Consumer

    /// Waits until there is an element or the ending, then takes the oldest elements up to `maxCount` elements
    /// and `maxCost` (at least one element). Throws `CancellationError` if the calling task is cancelled while
    /// waiting.
    func take(maxCount: Int, maxCost: Int) async throws(CancellationError) -> Batch {
        while true {
            let batch: Batch? = state.withLock { state in
                guard !state.buffer.isEmpty || state.ending != nil else { return nil }
                var count = 0
                var cost = 0
                while count < state.buffer.count, count < maxCount,
                    count == 0 || cost + state.costs[count] <= maxCost
                {
                    cost += state.costs[count]
                    count += 1
                }
                let elements: [Element]
                if count == state.buffer.count {
                    elements = state.buffer
                    state.buffer.removeAll(keepingCapacity: true)
                    state.costs.removeAll(keepingCapacity: true)
                } else {
                    elements = Array(state.buffer[..<count])
                    state.buffer.removeFirst(count)
                    state.costs.removeFirst(count)
                }
                state.bufferedCost -= cost
                return Batch(elements: elements, cost: cost, ending: state.buffer.isEmpty ? state.ending : nil)
            }
            if let batch {
                let producer = state.withLock { state in
                    defer { state.producer = nil }
                    return state.producer
                }
                producer?.resume()
                return batch
            }
            if Task.isCancelled { throw CancellationError() }
            await waitForInput()
        }
    }

    private func waitForInput() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if !state.buffer.isEmpty || state.ending != nil || Task.isCancelled { return true }
                    state.consumer = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let consumer = state.withLock { state in
                defer { state.consumer = nil }
                return state.consumer
            }
            consumer?.resume()
        }
    }

    /// The consumer stops: buffered elements are dropped and the producer's pushes are refused from now on.
    func close() {
        let producer = state.withLock { state in
            state.isClosed = true
            state.buffer.removeAll()
            state.costs.removeAll()
            state.bufferedCost = 0
            defer { state.producer = nil }
            return state.producer
        }
        producer?.resume()
    }
}

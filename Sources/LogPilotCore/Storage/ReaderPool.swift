import Dispatch
import Synchronization

/// A fixed set of read-only connections. Each read borrows one connection and runs on a Dispatch worker thread,
/// never on an event loop or the cooperative pool; when all connections are busy, callers wait their turn.
final class ReaderPool: Sendable {
    /// A connection (with its zstd context and stream cache) handed between tasks; only the borrower touches it.
    private struct Lease: @unchecked Sendable {
        let context: BlockReadContext
        var connection: SQLiteConnection { context.db }
    }

    private struct State {
        var idle: [Lease] = []
        var waiters: [CheckedContinuation<Lease?, Never>] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "logpilot.storage.readers", attributes: .concurrent)

    init(path: String, count: Int, busyTimeoutMilliseconds: Int32) throws(SQLiteError) {
        var leases: [Lease] = []
        for _ in 0..<count {
            let connection = try SQLiteConnection(path: path, readOnly: false)
            connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
            try connection.execute("PRAGMA query_only = 1")
            leases.append(Lease(context: BlockReadContext(db: connection)))
        }
        state.withLock { $0.idle = leases }
    }

    /// Runs `body` with a reader connection off the caller's thread.
    func read<T: Sendable>(_ body: @escaping @Sendable (BlockReadContext) throws(SQLiteError) -> T) async throws(LogPilotError) -> T {
        guard let lease = await acquire() else {
            throw LogPilotError(code: .unavailable, message: "storage is shutting down")
        }
        let result: Result<T, SQLiteError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(SQLiteError) {
                    continuation.resume(returning: .success(try body(lease.context)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        release(lease)
        switch result {
        case .success(let value): return value
        case .failure(let error): throw LogPilotError.storage(error)
        }
    }

    private func acquire() async -> Lease? {
        enum Decision { case lease(Lease), closed, wait }
        let decision: Decision = state.withLock { state in
            if state.closed { return .closed }
            if let lease = state.idle.popLast() { return .lease(lease) }
            return .wait
        }
        switch decision {
        case .lease(let lease): return lease
        case .closed: return nil
        case .wait:
            return await withCheckedContinuation { continuation in
                let immediate: Lease?? = state.withLock { state in
                    if state.closed { return .some(nil) }
                    if let lease = state.idle.popLast() { return .some(lease) }
                    state.waiters.append(continuation)
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        }
    }

    private func release(_ lease: Lease) {
        let waiter: CheckedContinuation<Lease?, Never>? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            if state.closed {
                lease.connection.close()
                return nil
            }
            state.idle.append(lease)
            return nil
        }
        waiter?.resume(returning: lease)
    }

    /// Closes idle connections and refuses new reads; in-flight reads finish with their connection, which is then
    /// dropped (closing on deinit).
    func close() {
        let waiters = state.withLock { state in
            state.closed = true
            for lease in state.idle { lease.connection.close() }
            state.idle.removeAll()
            let waiters = state.waiters
            state.waiters.removeAll()
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }
}

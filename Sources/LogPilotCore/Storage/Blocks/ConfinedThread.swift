import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own that owns a piece of non-thread-safe state (a SQLite connection, a zstd context) and runs
/// work on it for async callers, one job at a time. `niceness` lowers the thread's scheduling priority (Linux nice
/// values are per thread), so background work such as compaction yields the CPU to ingest.
final class ConfinedThread<State>: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [(State?) -> Void] = []
    private var stopped = false

    /// - Parameter makeState: runs on the thread before the first job; when it throws, every job fails with it.
    init(name: String, niceness: Int32, makeState: @escaping @Sendable () throws(SQLiteError) -> State) {
        let thread = Thread { [self] in
            Thread.current.name = name
            #if canImport(Glibc)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)  // 0 = the calling thread on Linux
            #endif
            let state: Result<State, SQLiteError> = Result { () throws(SQLiteError) in try makeState() }
            self.loop(try? state.get(), failure: { () -> SQLiteError? in
                if case .failure(let error) = state { return error }
                return nil
            }())
        }
        thread.start()
    }

    private var openFailure: SQLiteError?

    private func loop(_ state: State?, failure: SQLiteError?) {
        condition.lock()
        openFailure = failure
        condition.unlock()
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty && stopped {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job(state)
        }
    }

    /// Runs `body` on the thread with its state.
    func perform<T: Sendable>(
        _ body: @escaping @Sendable (State) throws(SQLiteError) -> T
    ) async throws(LogPilotError) -> T {
        let result: Result<T, LogPilotError> = await withCheckedContinuation { continuation in
            condition.lock()
            guard !stopped else {
                condition.unlock()
                continuation.resume(returning: .failure(LogPilotError(code: .unavailable, message: "stopped")))
                return
            }
            jobs.append { [self] state in
                guard let state else {
                    condition.lock()
                    let failure = openFailure
                    condition.unlock()
                    let error = failure.map(LogPilotError.storage) ?? LogPilotError(code: .internalError, message: "no state")
                    continuation.resume(returning: .failure(error))
                    return
                }
                do throws(SQLiteError) {
                    continuation.resume(returning: .success(try body(state)))
                } catch {
                    continuation.resume(returning: .failure(LogPilotError.storage(error)))
                }
            }
            condition.signal()
            condition.unlock()
        }
        return try result.get()
    }

    /// Lets queued jobs finish, then ends the thread (and its state).
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }
}

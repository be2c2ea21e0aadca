import LogPilotCore
import Synchronization

/// Bounds the request bytes the REST front holds at once for ingest requests that are being received and decoded
/// (admitted, not yet answered). Without it, many connections admitted together while the write queue has room
/// could each buffer a large body at the same moment; with it, the excess gets 429 at once.
final class IngestBodyBudget: Sendable {
    private let available: Mutex<Int>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        self.available = Mutex(capacity)
    }

    /// Reserves `bytes` (clamped to the capacity, so one maximal body can always get in when nothing else is held).
    /// Returns the amount to give back, or nil when the budget is exhausted.
    func reserve(_ bytes: Int) -> Int? {
        let amount = min(max(bytes, 1), capacity)
        return available.withLock { available in
            guard available >= amount else { return nil }
            available -= amount
            return amount
        }
    }

    func release(_ amount: Int) {
        available.withLock { $0 += amount }
    }

    var inUse: Int { capacity - available.withLock { $0 } }
}

/// The bounded queue in front of the single writer, as a value type without I/O or locking (the engine holds it
/// under its lock). Bounds are in records and bytes; a job that would exceed either is refused, so overload
/// turns into an explicit `overloaded` answer instead of memory growth.
struct WriteQueueStateMachine<Job> {
    struct Limits: Sendable {
        /// Records queued and not yet committed.
        var maxRecords: Int
        /// Approximate bytes of those records (see `LogRecord.queueBytes`).
        var maxBytes: Int
        /// Jobs of any kind (consumer operations carry no records but still take memory).
        var maxJobs: Int
    }

    enum EnqueueDecision: Equatable {
        case accepted
        /// The queue is full: the caller should answer "retry later".
        case overloaded
        /// The queue no longer accepts work (shutting down).
        case closed
    }

    private struct Entry {
        var job: Job
        var records: Int
        var bytes: Int
    }

    let limits: Limits
    /// Queued entries from `head` on; taken slots are set to nil at once so that a committed job (and the records
    /// it holds) is released immediately, not when the array is next compacted.
    private var entries: [Entry?] = []
    private var head = 0
    private(set) var queuedRecords = 0
    private(set) var queuedBytes = 0
    private(set) var isClosed = false

    init(limits: Limits) {
        self.limits = limits
    }

    var queuedJobs: Int { entries.count - head }
    var isEmpty: Bool { queuedJobs == 0 }

    /// Adds a job unless that would exceed a bound. An empty queue accepts any single job, so a batch larger than
    /// the queue bound (which configuration validation forbids anyway) can never starve.
    mutating func enqueue(_ job: Job, records: Int, bytes: Int) -> EnqueueDecision {
        if isClosed { return .closed }
        if !isEmpty {
            if queuedJobs >= limits.maxJobs { return .overloaded }
            if records > 0,
                queuedRecords + records > limits.maxRecords || queuedBytes + bytes > limits.maxBytes
            {
                return .overloaded
            }
        }
        entries.append(Entry(job: job, records: records, bytes: bytes))
        queuedRecords += records
        queuedBytes += bytes
        return .accepted
    }

    /// Takes the jobs for one transaction: in order, as many as fit in `maxRecords`/`maxBytes`, and at least one.
    mutating func takeBatch(maxRecords: Int, maxBytes: Int) -> [Job] {
        var batch: [Job] = []
        var records = 0
        var bytes = 0
        while head < entries.count, let entry = entries[head] {
            if !batch.isEmpty, records + entry.records > maxRecords || bytes + entry.bytes > maxBytes { break }
            batch.append(entry.job)
            records += entry.records
            bytes += entry.bytes
            entries[head] = nil
            head += 1
        }
        queuedRecords -= records
        queuedBytes -= bytes
        // Compact once the consumed prefix dominates, keeping appends amortised O(1).
        if head == entries.count {
            entries.removeAll(keepingCapacity: entries.capacity <= 4096)
            head = 0
        } else if head > 64, head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
        return batch
    }

    /// Stops accepting new jobs; queued jobs are still handed out by `takeBatch`.
    mutating func close() {
        isClosed = true
    }
}

/// Limits on streams: a label-cardinality explosion (a client putting a request id in its channel) must not take
/// the server down, so the number of streams is bounded and new ones beyond it are refused with a clear error.
public struct StreamLimits: Sendable, Equatable {
    /// Streams stored at most (streams whose records retention removed entirely are forgotten).
    public var maxStreams: Int

    public init(maxStreams: Int = 10_000) {
        self.maxStreams = maxStreams
    }
}

/// The writer's view of the `streams` table: every stream's id, channel, record count and newest id, with the
/// changes of the running transaction kept apart so that a rollback restores the state before it (the registry is
/// a value; the writer keeps a copy from before the transaction).
struct StreamRegistry {
    struct Entry: Equatable {
        var id: Int64
        var labels: StreamLabels
        var recordCount: Int64
        var lastId: Int64
    }

    private(set) var entries: [Int64: Entry] = [:]
    /// The stream whose only label is `channel`, by channel: the fast path of every append.
    private var byChannel: [String: Int64] = [:]
    /// Streams changed by the running transaction.
    private var dirty: Set<Int64> = []

    var count: Int { entries.count }

    static func load(_ db: SQLiteConnection) throws(SQLiteError) -> StreamRegistry {
        var registry = StreamRegistry()
        let statement = try db.prepare("SELECT id, labels, record_count, last_id FROM streams")
        while try statement.step() {
            let id = statement.int64(0)
            let labels = StreamLabels(parsingCanonical: statement.string(1)) ?? StreamLabels([])
            registry.insert(Entry(id: id, labels: labels, recordCount: statement.int64(2), lastId: statement.int64(3)))
        }
        return registry
    }

    private mutating func insert(_ entry: Entry) {
        entries[entry.id] = entry
        if entry.labels.pairs.count == 1, let channel = entry.labels.channel { byChannel[channel] = entry.id }
    }

    func id(ofChannel channel: String) -> Int64? { byChannel[channel] }

    /// The newest id of a channel over its streams; 0 when it has none.
    func lastId(ofChannel channel: String) -> Int64 {
        if let id = byChannel[channel], entries.count < 2 || !hasSeveralStreams(channel) {
            return entries[id]?.lastId ?? 0
        }
        return entries.values.filter { $0.labels.channel == channel && $0.recordCount > 0 }.map(\.lastId).max() ?? 0
    }

    private func hasSeveralStreams(_ channel: String) -> Bool {
        entries.values.lazy.filter { $0.labels.channel == channel }.prefix(2).count > 1
    }

    /// Interns a new stream (inside the running transaction) and returns its id.
    mutating func create(_ labels: StreamLabels, _ statements: BlockStatements) throws(SQLiteError) -> Int64 {
        let id = try statements.insertStream(labels, createdAt: WallClock.nowMicroseconds())
        insert(Entry(id: id, labels: labels, recordCount: 0, lastId: 0))
        dirty.insert(id)
        return id
    }

    mutating func noteAppended(stream id: Int64, records: Int64, lastId: Int64) {
        entries[id]?.recordCount += records
        if let current = entries[id]?.lastId, lastId > current { entries[id]?.lastId = lastId }
        dirty.insert(id)
    }

    mutating func noteDropped(stream id: Int64, records: Int) {
        entries[id]?.recordCount -= Int64(records)
        dirty.insert(id)
    }

    /// Writes the running transaction's changes: counts and newest ids; streams left without records are deleted
    /// (their ids are never reused), which frees their place under `StreamLimits.maxStreams`.
    mutating func saveChanges(_ statements: BlockStatements) throws(SQLiteError) {
        for id in dirty {
            guard let entry = entries[id] else { continue }
            if entry.recordCount <= 0 {
                try statements.deleteStream(id)
                entries[id] = nil
                if let channel = entry.labels.channel, byChannel[channel] == id { byChannel[channel] = nil }
            } else {
                try statements.updateStream(id, recordCount: entry.recordCount, lastId: entry.lastId)
            }
        }
    }

    /// The running transaction committed.
    mutating func committed() {
        dirty.removeAll(keepingCapacity: true)
    }
}

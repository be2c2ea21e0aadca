public import Logging
import Metrics
public import ServiceLifecycle

/// When and how far the compactor merges a stream's small blocks.
public struct CompactionPolicy: Sendable, Equatable {
    /// A merged block holds at most this many records...
    public var targetRecords: Int
    /// ...and at most this many bytes before compression.
    public var targetRawBytes: Int
    /// Blocks younger than this are left alone (the stream may still be writing its next ones).
    public var minAgeSeconds: Int
    /// Pause between passes when there was nothing to merge.
    public var idleSeconds: Int
    /// zstd level of merged blocks (commits use a fast level; merged blocks live long).
    public var compressionLevel: Int32

    public init(
        targetRecords: Int = 65_536,
        targetRawBytes: Int = 16 << 20,
        minAgeSeconds: Int = 10,
        idleSeconds: Int = 2,
        compressionLevel: Int32 = 6
    ) {
        self.targetRecords = targetRecords
        self.targetRawBytes = targetRawBytes
        self.minAgeSeconds = minAgeSeconds
        self.idleSeconds = idleSeconds
        self.compressionLevel = compressionLevel
    }
}

/// What the compactor knows of one block when it plans.
struct CompactionCandidate: Equatable, Sendable {
    var ref: BlockRef
    var rawBytes: Int
    var dataBytes: Int
    var createdAt: Int64
    var generation: Int
}

/// Picks the runs of blocks to merge, without I/O. A run is a sequence of consecutive blocks of one stream (no other
/// block of the stream between them), so the merged block covers exactly their records and ids never change.
///
/// Size-tiered: a run is merged only when it holds at least twice the records of its largest member, so a record
/// takes part in O(log n) merges even for a stream that trickles a record at a time; and only blocks older than
/// `minAgeSeconds` join, so a busy stream's blocks are merged in a few large steps instead of many small ones.
struct CompactionPlanner {
    var policy: CompactionPolicy

    /// Runs to merge in one stream's blocks (sorted by first id), best first.
    func runs(_ blocks: [CompactionCandidate], now: Int64) -> [[CompactionCandidate]] {
        let cutoff = now - Int64(policy.minAgeSeconds) * 1_000_000
        var result: [[CompactionCandidate]] = []
        var run: [CompactionCandidate] = []
        var records = 0
        var raw = 0
        func close() {
            // Drop leading blocks while the run is too lopsided to be worth merging.
            while run.count >= 2 {
                let largest = run.map(\.ref.count).max() ?? 0
                if records >= 2 * largest { break }
                records -= run[0].ref.count
                raw -= run[0].rawBytes
                run.removeFirst()
            }
            if run.count >= 2 { result.append(run) }
            run = []
            records = 0
            raw = 0
        }
        for block in blocks {
            let eligible = block.createdAt <= cutoff && block.ref.count < policy.targetRecords / 2
                && block.rawBytes < policy.targetRawBytes / 2
            guard eligible else {
                close()
                continue
            }
            if records + block.ref.count > policy.targetRecords || raw + block.rawBytes > policy.targetRawBytes {
                close()
            }
            run.append(block)
            records += block.ref.count
            raw += block.rawBytes
        }
        close()
        return result
    }
}

/// A merge the compactor prepared off the writer thread; the writer swaps it in if its blocks are unchanged.
struct CompactionSwap: Sendable {
    var streamId: Int64
    var replaced: [BlockRef]
    var block: BuiltBlock
    var generation: Int
    var bytesBefore: Int
}

/// What a swap did.
struct CompactionOutcome: Sendable, Equatable {
    /// Blocks replaced (0: the blocks had changed, nothing was done).
    var merged: Int
    var records: Int
    var bytesBefore: Int
    var bytesAfter: Int
}

/// The background compactor: merges each stream's small blocks (one per group commit and stream) into large ones,
/// which compress several times better and make searches open few blocks. The CPU work (decompress, merge, build
/// the filters, compress at `compressionLevel`) runs on its own thread at a lower scheduling priority, so ingest
/// bursts win the CPU; only the swap (delete the small blocks, insert the merged one) goes through the writer, in
/// one short transaction, so writers are never blocked by a merge. Ids never change.
public struct CompactionService: Service, CustomStringConvertible {
    public var description: String { "CompactionService" }

    private let engine: StorageEngine
    private let policy: CompactionPolicy
    private let logger: Logger

    public init(engine: StorageEngine, policy: CompactionPolicy = CompactionPolicy(), logger: Logger) {
        self.engine = engine
        self.policy = policy
        self.logger = logger
    }

    public func run() async throws {
        let worker = CompactionWorker(engine: engine, policy: policy)
        defer { worker.stop() }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var merged = 0
            if engine.status.phase == .ready {
                do {
                    merged = try await worker.pass()
                } catch {
                    logger.warning("compaction pass failed", metadata: ["error": "\(error)"])
                }
            }
            if merged == 0 {
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(policy.idleSeconds)) }
                } catch {
                    return
                }
            }
        }
    }
}

/// The compactor's thread and its own read connection. One pass: plan every stream, then for each run read, merge
/// and build on the thread, and hand the swap to the writer.
final class CompactionWorker: Sendable {
    private let engine: StorageEngine
    private let planner: CompactionPlanner
    private let policy: CompactionPolicy
    private let metrics = CompactionMetrics()
    private let thread: ConfinedThread<CompactionThreadState>

    init(engine: StorageEngine, policy: CompactionPolicy) {
        self.engine = engine
        self.policy = policy
        self.planner = CompactionPlanner(policy: policy)
        let path = engine.configuration.path
        self.thread = ConfinedThread(name: "logpilot-compact", niceness: 10) { () throws(SQLiteError) in
            try CompactionThreadState(path: path, level: policy.compressionLevel)
        }
    }

    func stop() { thread.stop() }

    /// One pass over every stream; returns the number of blocks merged away.
    func pass() async throws(LogPilotError) -> Int {
        let planner = self.planner
        let runs = try await thread.perform { state throws(SQLiteError) in
            try state.plan(planner, now: WallClock.nowMicroseconds())
        }
        metrics.pending.record(runs.count)
        var merged = 0
        for run in runs {
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            let started = ContinuousClock.now
            guard let swap = try await thread.perform({ state throws(SQLiteError) in try state.merge(run) }) else { continue }
            let outcome = try await engine.runCompaction(swap)
            metrics.record(outcome, duration: ContinuousClock.now - started)
            merged += outcome.merged
        }
        return merged
    }
}

/// What the compactor's thread owns: a read-only connection, a zstd context and a block builder.
final class CompactionThreadState {
    let db: SQLiteConnection
    let reads: BlockReadContext
    let builder: BlockBuilder
    /// Runs planned per pass at most (the next pass plans again).
    static let maxRunsPerPass = 64

    init(path: String, level: Int32) throws(SQLiteError) {
        db = try SQLiteConnection(path: path, readOnly: true)
        db.setBusyTimeout(milliseconds: 5_000)
        reads = BlockReadContext(db: db)
        builder = BlockBuilder(level: level)
    }

    /// The runs worth merging now, over every stream with more than one small block.
    func plan(_ planner: CompactionPlanner, now: Int64) throws(SQLiteError) -> [[CompactionCandidate]] {
        try db.execute("BEGIN")
        defer { try? db.execute("COMMIT") }
        let limit = planner.policy.targetRecords / 2
        let streams = try db.prepare(
            "SELECT stream_id FROM blocks WHERE count < ? GROUP BY stream_id HAVING count(*) > 1"
        )
        try streams.bind(limit, at: 1)
        var ids: [Int64] = []
        while try streams.step() { ids.append(streams.int64(0)) }
        let blocks = try db.prepare(
            """
            SELECT min_id, stream_id, max_id, min_ts, max_ts, count, level_mask, raw_bytes, data_bytes, created_at,
                   generation, length(filter)
            FROM blocks WHERE stream_id = ? ORDER BY min_id
            """
        )
        var runs: [[CompactionCandidate]] = []
        for id in ids {
            try blocks.bind(id, at: 1)
            var candidates: [CompactionCandidate] = []
            while try blocks.step() {
                candidates.append(CompactionCandidate(
                    ref: BlockRef(
                        minId: blocks.int64(0), streamId: blocks.int64(1), maxId: blocks.int64(2),
                        minTimestamp: blocks.int64(3), maxTimestamp: blocks.int64(4), count: Int(blocks.int64(5)),
                        levelMask: Int(blocks.int64(6)), filter: nil
                    ),
                    rawBytes: Int(blocks.int64(7)),
                    dataBytes: Int(blocks.int64(8) + blocks.int64(11)),
                    createdAt: blocks.int64(9),
                    generation: Int(blocks.int64(10))
                ))
            }
            blocks.reset()
            runs += planner.runs(candidates, now: now)
            if runs.count >= Self.maxRunsPerPass { break }
        }
        return Array(runs.prefix(Self.maxRunsPerPass))
    }

    /// Reads and merges one run; nil when one of its blocks is gone already.
    func merge(_ run: [CompactionCandidate]) throws(SQLiteError) -> CompactionSwap? {
        try db.execute("BEGIN")
        defer { try? db.execute("COMMIT") }
        var records: [BlockRecord] = []
        records.reserveCapacity(run.reduce(0) { $0 + $1.ref.count })
        for candidate in run {
            let decoded: DecodedBlock
            do {
                decoded = try BlockReads.open(candidate.ref, reads)
            } catch let error where error.resultCode == SQLiteError.corrupt {
                throw error
            }
            for i in 0..<decoded.count { records.append(decoded.record(at: i)) }
        }
        guard let streamId = run.first?.ref.streamId, !records.isEmpty else { return nil }
        let built = builder.build(records, withFields: true)
        return CompactionSwap(
            streamId: streamId,
            replaced: run.map(\.ref),
            block: built,
            generation: (run.map(\.generation).max() ?? 0) + 1,
            bytesBefore: run.reduce(0) { $0 + $1.dataBytes }
        )
    }
}

/// The compactor's fixed metric set, created once (zero series from the start).
struct CompactionMetrics: Sendable {
    let merges = Counter(label: "logpilot_compaction_merges_total", dimensions: [("result", "merged")])
    let stale = Counter(label: "logpilot_compaction_merges_total", dimensions: [("result", "stale")])
    let blocks = Counter(label: "logpilot_compaction_blocks_merged_total")
    let records = Counter(label: "logpilot_compaction_records_total")
    let bytesSaved = Counter(label: "logpilot_compaction_bytes_saved_total")
    let duration = Metrics.Timer(label: "logpilot_compaction_duration_seconds")
    /// Runs planned in the last pass, not merged yet: a compactor that falls behind shows here.
    let pending = Gauge(label: "logpilot_compaction_pending_runs")

    func record(_ outcome: CompactionOutcome, duration: Duration) {
        if outcome.merged == 0 {
            stale.increment()
            return
        }
        merges.increment()
        blocks.increment(by: outcome.merged)
        records.increment(by: outcome.records)
        bytesSaved.increment(by: max(outcome.bytesBefore - outcome.bytesAfter, 0))
        self.duration.recordNanoseconds(duration.nanoseconds)
    }
}

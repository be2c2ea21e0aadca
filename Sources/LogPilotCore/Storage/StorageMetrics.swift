import Metrics

/// The storage engine's fixed metric set, created once and recorded per transaction (never per record).
struct StorageMetrics: Sendable {
    let stored = Counter(label: "logpilot_logs_stored_total")
    let commitRecords = Recorder(label: "logpilot_storage_commit_records", aggregate: true)
    let commitDuration = Metrics.Timer(label: "logpilot_storage_commit_duration_seconds")
    let queueRecords = Gauge(label: "logpilot_storage_queue_records")
    let queueBytes = Gauge(label: "logpilot_storage_queue_bytes")
    let retentionDeleted = Counter(label: "logpilot_retention_deleted_total")
    /// Blocks written by commits (one per stream per transaction; the compactor merges them).
    let blocksWritten = Counter(label: "logpilot_storage_blocks_written_total")

    init() {
        // Zero series for every label value, so the families exist (and rates are 0) before the first event.
        for (_, name) in SQLiteError.namedCodes { _ = commitErrors(name) }
        for reason in ReadTruncation.allCases { _ = readsTruncated(reason) }
    }

    /// Reads that stopped at their work bound (`ReadBudget`) and answered with a resume cursor.
    func readsTruncated(_ reason: ReadTruncation) -> Counter {
        Counter(label: "logpilot_reads_truncated_total", dimensions: [("reason", reason.rawValue)])
    }

    /// Failed transactions by SQLite result code name (a small, fixed set of values).
    func commitErrors(_ code: String) -> Counter {
        Counter(label: "logpilot_storage_errors_total", dimensions: [("code", code)])
    }
}

import Metrics

/// Which front a request came through (a metric label and a log field).
public enum IngestProtocol: String, Sendable {
    case rest
    case grpc
}

/// The one ingest path of every front: validates a whole batch, records metrics once per batch, appends it to the
/// storage engine and returns only after the records are committed.
public struct Ingestor: Sendable {
    public let engine: StorageEngine
    public let limits: IngestLimits
    private let metrics: IngestMetrics

    public init(engine: StorageEngine, limits: IngestLimits) {
        self.engine = engine
        self.limits = limits
        self.metrics = IngestMetrics()
    }

    /// Validates and stores a batch. A batch is all or nothing: the first bad record rejects it, naming its index
    /// and field (`records[3].level`); `single` drops the index for one-record requests (`POST /api/logs`).
    public func ingest(
        _ batch: [IncomingLogRecord],
        protocol front: IngestProtocol,
        single: Bool = false
    ) async throws(LogPilotError) -> AppendResult {
        let records: [LogRecord]
        do {
            records = try validate(batch, single: single)
        } catch {
            metrics.rejected(front, reason: error.code == .payloadTooLarge ? "too_large" : "invalid")
                .increment(by: max(batch.count, 1))
            throw error
        }
        metrics.recordReceived(records, protocol: front)
        do {
            return try await engine.append(records)
        } catch {
            metrics.rejected(front, reason: Self.reason(for: error)).increment(by: records.count)
            throw error
        }
    }

    /// Turns incoming records into validated ones, or throws the first problem.
    public func validate(_ batch: [IncomingLogRecord], single: Bool = false) throws(LogPilotError) -> [LogRecord] {
        if batch.count > limits.maxBatchRecords {
            throw LogPilotError(
                code: .payloadTooLarge,
                message: "the batch has \(batch.count) records; at most \(limits.maxBatchRecords) are allowed",
                field: "records"
            )
        }
        let now = WallClock.nowMicroseconds()
        var records: [LogRecord] = []
        records.reserveCapacity(batch.count)
        for (index, incoming) in batch.enumerated() {
            func field(_ name: String) -> String { single ? name : "records[\(index)].\(name)" }
            guard let channel = incoming.channel else { throw LogPilotError.invalid(field("channel"), "is required") }
            if let problem = limits.channelProblem(channel) { throw LogPilotError.invalid(field("channel"), problem) }
            let level: LogLevel
            if let text = incoming.level, !text.isEmpty {
                guard let parsed = LogLevel(parsing: text) else {
                    throw LogPilotError.invalid(
                        field("level"),
                        "unknown level '\(text.prefix(32))' (expected \(LogLevel.acceptedNames))"
                    )
                }
                level = parsed
            } else {
                level = .info
            }
            guard let message = incoming.message else { throw LogPilotError.invalid(field("message"), "is required") }
            if message.utf8.count > limits.maxMessageBytes {
                throw LogPilotError.invalid(
                    field("message"),
                    "must be at most \(limits.maxMessageBytes) bytes (got \(message.utf8.count))"
                )
            }
            if let meta = incoming.metaJSON {
                if meta.utf8.count > limits.maxMetaBytes {
                    throw LogPilotError.invalid(
                        field("meta"),
                        "must be at most \(limits.maxMetaBytes) bytes of JSON (got \(meta.utf8.count))"
                    )
                }
                if incoming.metaKeyCount > limits.maxMetaKeys {
                    throw LogPilotError.invalid(
                        field("meta"),
                        "must have at most \(limits.maxMetaKeys) keys (got \(incoming.metaKeyCount))"
                    )
                }
            }
            if let timestamp = incoming.timestamp, !Self.timestampRange.contains(timestamp) {
                throw LogPilotError.invalid(field("timestamp"), "must be between years 0001 and 9999")
            }
            records.append(LogRecord(
                timestamp: incoming.timestamp ?? now,
                channel: channel,
                level: level,
                message: message,
                metaJSON: incoming.metaJSON
            ))
        }
        return records
    }

    /// 0001-01-01T00:00:00Z ... 9999-12-31T23:59:59.999999Z in microseconds: what ISO-8601 can write back.
    static let timestampRange: ClosedRange<Int64> = -62_135_596_800_000_000...253_402_300_799_999_999

    /// Checks a read `limit` parameter against `maxReadLimit`.
    public func checkReadLimit(_ limit: Int, field: String = "limit") throws(LogPilotError) {
        if limit < 0 { throw LogPilotError.invalid(field, "must not be negative") }
        if limit > limits.maxReadLimit {
            throw LogPilotError.invalid(field, "must be at most \(limits.maxReadLimit) (got \(limit))")
        }
    }

    private static func reason(for error: LogPilotError) -> String {
        switch error.code {
        case .overloaded: "overloaded"
        case .storageFull: "storage_full"
        case .unavailable: "unavailable"
        default: "storage_error"
        }
    }
}

/// Ingest metrics, recorded once per batch.
struct IngestMetrics: Sendable {
    private let received: [IngestProtocol: [Counter]]

    init() {
        var received: [IngestProtocol: [Counter]] = [:]
        for front in [IngestProtocol.rest, .grpc] {
            received[front] = LogLevel.allCases.map { level in
                Counter(
                    label: "logpilot_logs_received_total",
                    dimensions: [("protocol", front.rawValue), ("level", level.name)]
                )
            }
        }
        self.received = received
    }

    func recordReceived(_ records: [LogRecord], protocol front: IngestProtocol) {
        var perLevel = [Int](repeating: 0, count: LogLevel.allCases.count)
        for record in records { perLevel[Int(record.level.rawValue)] += 1 }
        guard let counters = received[front] else { return }
        for (index, count) in perLevel.enumerated() where count > 0 {
            counters[index].increment(by: count)
        }
    }

    func rejected(_ front: IngestProtocol, reason: String) -> Counter {
        Counter(label: "logpilot_logs_rejected_total", dimensions: [("protocol", front.rawValue), ("reason", reason)])
    }
}

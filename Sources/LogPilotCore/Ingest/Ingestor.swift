import Metrics
import Synchronization

/// Which front a request came through (a metric label and a log field).
public enum IngestProtocol: String, Sendable, CaseIterable {
    case rest
    case grpc
}

/// Why a request was refused before its records were read (`logpilot_requests_rejected_total{reason}`).
public enum RequestRefusal: String, Sendable, CaseIterable {
    case overloaded
    case rateLimited = "rate_limited"
    case unauthorized
}

/// Why records were refused after their request was read (`logpilot_logs_rejected_total{reason}`).
public enum RecordRejection: String, Sendable, CaseIterable {
    case invalid
    case tooLarge = "too_large"
    case rateLimited = "rate_limited"
    case overloaded
    case storageFull = "storage_full"
    case streamLimit = "stream_limit"
    case unavailable
    case storageError = "storage_error"
}

/// The one ingest path of every front: admission (rate limits, queue room), validation of a whole batch, metrics
/// recorded once per batch, the append to the storage engine — returning only after the records are committed.
public struct Ingestor: Sendable {
    public let engine: StorageEngine
    public let limits: IngestLimits
    /// Per-client token buckets (requests and records); a no-op unless its policy is enabled.
    public let rateLimiter: RateLimiter
    private let metrics: IngestMetrics

    public init(
        engine: StorageEngine,
        limits: IngestLimits,
        rateLimiter: RateLimiter = RateLimiter(policy: RateLimitPolicy()),
        maxChannelSeries: Int = 100
    ) {
        self.engine = engine
        self.limits = limits
        self.rateLimiter = rateLimiter
        self.metrics = IngestMetrics(maxChannels: maxChannelSeries)
    }

    /// Charges one request (a write or a read) to the client's rate limit; throws `rateLimited` with a retry hint.
    public func admitRequest(from client: RateLimitClient, protocol front: IngestProtocol) throws(LogPilotError) {
        if case .limited(let seconds) = rateLimiter.admitRequest(client) {
            metrics.refusedRequest(front, reason: .rateLimited)
            throw LogPilotError(
                code: .rateLimited,
                message: "rate limit exceeded: too many requests from this client; retry in \(seconds) s",
                retryAfterSeconds: seconds
            )
        }
    }

    /// Before a write's body is read: refuses at once (`overloaded`, with a retry hint) while the write queue is
    /// nearly full, so that an overloaded server does not spend memory receiving bodies it cannot queue.
    public func admitWrite(protocol front: IngestProtocol) throws(LogPilotError) {
        do {
            try engine.checkAdmission()
        } catch {
            metrics.refusedRequest(front, reason: .overloaded)
            throw error
        }
    }

    /// Counts a request a front refused before reading its records (e.g. `unauthorized`, or `overloaded` when the
    /// body budget is spent), for `logpilot_requests_rejected_total`.
    public func countRefusedRequest(protocol front: IngestProtocol, reason: RequestRefusal) {
        metrics.refusedRequest(front, reason: reason)
    }

    /// Creates the ingest counters of a front with value 0 for every known label value, so that the families exist
    /// from the first scrape: `rate()` and `absent()` over them then mean "no events", not "not exported". Fronts
    /// call it once when they are built.
    public func exportMetricSeries(protocol front: IngestProtocol) {
        metrics.export(front)
    }

    /// Validates and stores a batch. A batch is all or nothing: the first bad record rejects it, naming its index
    /// and field (`records[3].level`); `single` drops the index for one-record requests (`POST /api/logs`).
    /// - Parameters:
    ///   - client: charged `batch.count` records when rate limiting is on.
    ///   - bytes: the request's size on the wire, for `logpilot_ingest_bytes_total`.
    public func ingest(
        _ batch: [IncomingLogRecord],
        protocol front: IngestProtocol,
        single: Bool = false,
        client: RateLimitClient? = nil,
        bytes: Int = 0
    ) async throws(LogPilotError) -> AppendResult {
        metrics.received(bytes: bytes, records: batch.count, protocol: front)
        let records: [LogRecord]
        do {
            records = try validate(batch, single: single)
        } catch {
            metrics.rejected(front, reason: error.code == .payloadTooLarge ? .tooLarge : .invalid)
                .increment(by: max(batch.count, 1))
            throw error
        }
        if let client, case .limited(let seconds) = rateLimiter.admitRecords(records.count, for: client) {
            metrics.rejected(front, reason: .rateLimited).increment(by: records.count)
            throw LogPilotError(
                code: .rateLimited,
                message: "rate limit exceeded: this client sent too many records; retry in \(seconds) s",
                retryAfterSeconds: seconds
            )
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

    private static func reason(for error: LogPilotError) -> RecordRejection {
        switch error.code {
        case .overloaded: .overloaded
        case .storageFull: .storageFull
        case .streamLimit: .streamLimit
        case .unavailable: .unavailable
        default: .storageError
        }
    }
}

/// Ingest metrics, recorded once per batch (never per record).
final class IngestMetrics: Sendable {
    private let channels: ChannelLabels
    private let counters = Mutex<[CounterKey: Counter]>([:])
    private let batchRecords = Recorder(label: "logpilot_batch_records", aggregate: true)
    private let ingestBytes: [IngestProtocol: Counter]

    struct PairKey: Hashable {
        var level: UInt8
        var channel: String
    }

    struct CounterKey: Hashable {
        var front: IngestProtocol
        var level: UInt8
        var channel: String
    }

    init(maxChannels: Int) {
        self.channels = ChannelLabels(capacity: maxChannels)
        var bytes: [IngestProtocol: Counter] = [:]
        for front in [IngestProtocol.rest, .grpc] {
            bytes[front] = Counter(label: "logpilot_ingest_bytes_total", dimensions: [("protocol", front.rawValue)])
        }
        self.ingestBytes = bytes
    }

    func received(bytes: Int, records: Int, protocol front: IngestProtocol) {
        if bytes > 0 { ingestBytes[front]?.increment(by: bytes) }
        batchRecords.record(records)
    }

    /// `logpilot_logs_received_total{protocol, level, channel}`, with `channel` capped by `ChannelLabels`. A batch
    /// has few distinct (level, channel) pairs: they are counted with a linear scan (no hashing per record), and
    /// their labels and counters are looked up once per pair.
    func recordReceived(_ records: [LogRecord], protocol front: IngestProtocol) {
        var pairs: [(level: UInt8, channel: String, count: Int)] = []
        var byKey: [PairKey: Int]?
        var last = -1
        for record in records {
            let level = record.level.rawValue
            if last >= 0, pairs[last].level == level, pairs[last].channel == record.channel {
                pairs[last].count += 1
                continue
            }
            let found: Int?
            if let byKey {
                found = byKey[PairKey(level: level, channel: record.channel)]
            } else {
                found = pairs.firstIndex { $0.level == level && $0.channel == record.channel }
            }
            if let found {
                pairs[found].count += 1
                last = found
            } else {
                pairs.append((level, record.channel, 1))
                last = pairs.count - 1
                byKey?[PairKey(level: level, channel: record.channel)] = last
                if byKey == nil, pairs.count > 16 {
                    // Many distinct pairs: a linear scan per record would grow with the square of the batch.
                    byKey = Dictionary(uniqueKeysWithValues: pairs.indices.map {
                        (PairKey(level: pairs[$0].level, channel: pairs[$0].channel), $0)
                    })
                }
            }
        }
        let labels = channels.labels(for: pairs.map(\.channel))
        let resolved: [(Counter, Int)] = counters.withLock { cache in
            zip(pairs, labels).map { pair, label in
                let key = CounterKey(front: front, level: pair.level, channel: label)
                if let counter = cache[key] { return (counter, pair.count) }
                let counter = Counter(
                    label: "logpilot_logs_received_total",
                    dimensions: [
                        ("protocol", front.rawValue),
                        ("level", LogLevel(rawValue: pair.level)?.name ?? "UNKNOWN"),
                        ("channel", label),
                    ]
                )
                cache[key] = counter
                return (counter, pair.count)
            }
        }
        for (counter, count) in resolved { counter.increment(by: count) }
    }

    func rejected(_ front: IngestProtocol, reason: RecordRejection) -> Counter {
        Counter(label: "logpilot_logs_rejected_total", dimensions: [("protocol", front.rawValue), ("reason", reason.rawValue)])
    }

    func refusedRequest(_ front: IngestProtocol, reason: RequestRefusal) {
        Counter(label: "logpilot_requests_rejected_total", dimensions: [("protocol", front.rawValue), ("reason", reason.rawValue)])
            .increment()
    }

    /// Zero series for every known label value of a front. `logpilot_logs_received_total` has an open `channel`
    /// label: its zero series use `channel="other"`, the one value known in advance.
    func export(_ front: IngestProtocol) {
        for reason in RecordRejection.allCases { _ = rejected(front, reason: reason) }
        for reason in RequestRefusal.allCases {
            _ = Counter(label: "logpilot_requests_rejected_total", dimensions: [("protocol", front.rawValue), ("reason", reason.rawValue)])
        }
        counters.withLock { cache in
            for level in LogLevel.allCases {
                let key = CounterKey(front: front, level: level.rawValue, channel: ChannelLabels.other)
                if cache[key] != nil { continue }
                cache[key] = Counter(
                    label: "logpilot_logs_received_total",
                    dimensions: [("protocol", front.rawValue), ("level", level.name), ("channel", ChannelLabels.other)]
                )
            }
        }
    }
}

/// Bounds the `channel` label: the first `capacity` channels seen keep their name, every later one is `other`.
/// A log server cannot know its channels in advance, and an unbounded label would let clients grow the metrics
/// page (and Prometheus) without limit.
final class ChannelLabels: Sendable {
    static let other = "other"
    private let capacity: Int
    private let known = Mutex<Set<String>>([])

    init(capacity: Int) { self.capacity = capacity }

    /// The label of each channel, in order (one lock for all).
    func labels(for channels: [String]) -> [String] {
        known.withLock { known in
            channels.map { channel in
                if known.contains(channel) { return channel }
                if known.count < capacity, channel != Self.other {
                    known.insert(channel)
                    return channel
                }
                return Self.other
            }
        }
    }
}

/// Where to move a consumer's offset (Kafka-like seek). The offset is the id of the last consumed record.
public enum SeekTarget: Sendable, Equatable {
    /// Offset 0: the next fetch starts at the oldest record.
    case earliest
    /// Offset = newest id of the channel: the next fetch returns only records committed after the seek.
    case latest
    /// Offset = id − 1: the next fetch starts at `id`.
    case specific(Int64)
}

/// A consumer's position in a channel.
public struct ConsumerPosition: Sendable, Equatable {
    public var channel: String
    public var consumerId: String
    /// The id of the last consumed record (0 = nothing consumed).
    public var offset: Int64

    public init(channel: String, consumerId: String, offset: Int64) {
        self.channel = channel
        self.consumerId = consumerId
        self.offset = offset
    }
}

/// Filters for searching records (the `ListLogs` / `GET /api/logs` read path). Results are newest first.
public struct LogSearchQuery: Sendable, Equatable {
    public var channel: String?
    /// Empty means every level.
    public var levels: Set<LogLevel>
    /// Inclusive lower bound, microseconds since the epoch.
    public var from: Int64?
    /// Exclusive upper bound, microseconds since the epoch.
    public var to: Int64?
    /// Case-sensitive substring of the message.
    public var text: String?
    public var limit: Int
    /// Only records with an id below this one (the `nextCursor` of the previous page).
    public var beforeId: Int64?

    public init(
        channel: String? = nil,
        levels: Set<LogLevel> = [],
        from: Int64? = nil,
        to: Int64? = nil,
        text: String? = nil,
        limit: Int = 100,
        beforeId: Int64? = nil
    ) {
        self.channel = channel
        self.levels = levels
        self.from = from
        self.to = to
        self.text = text
        self.limit = limit
        self.beforeId = beforeId
    }
}

/// One page of search results.
public struct LogSearchPage: Sendable, Equatable {
    public var records: [StoredLogRecord]
    /// Pass as `beforeId` to get the next page; nil when there are no more records.
    public var nextCursor: Int64?
    /// Set when the search stopped at its work bound (`ReadBudget`) before it filled the page or reached the oldest
    /// record: `records` holds what it found, and `nextCursor` resumes where it stopped.
    public var truncated: ReadTruncation?
    /// Stored records the search examined.
    public var scannedRecords: Int

    public init(records: [StoredLogRecord], nextCursor: Int64?, truncated: ReadTruncation? = nil, scannedRecords: Int = 0) {
        self.records = records
        self.nextCursor = nextCursor
        self.truncated = truncated
        self.scannedRecords = scannedRecords
    }
}

/// Which bound of `ReadBudget` stopped a read.
public enum ReadTruncation: String, Sendable, CaseIterable {
    /// It examined `maxScannedRecords` records.
    case scanLimit = "scan_limit"
    /// It ran for `timeoutMilliseconds`.
    case timeout
}

/// A channel with its record count and newest id.
public struct ChannelSummary: Sendable, Equatable {
    public var channel: String
    public var count: Int64
    public var lastId: Int64
}

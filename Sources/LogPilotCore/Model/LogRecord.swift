/// A validated log record, ready to be stored.
public struct LogRecord: Sendable, Equatable {
    /// Microseconds since the Unix epoch, UTC.
    public var timestamp: Int64
    /// The channel (topic) the record belongs to.
    public var channel: String
    public var level: LogLevel
    public var message: String
    /// The metadata as compact JSON object text, or nil when there is none.
    public var metaJSON: String?

    public init(timestamp: Int64, channel: String, level: LogLevel, message: String, metaJSON: String? = nil) {
        self.timestamp = timestamp
        self.channel = channel
        self.level = level
        self.message = message
        self.metaJSON = metaJSON
    }

    /// What the record costs in the write queue: its text plus a fixed per-row overhead.
    var queueBytes: Int {
        channel.utf8.count + message.utf8.count + (metaJSON?.utf8.count ?? 0) + 64
    }
}

/// A record read back from storage, with its global id.
public struct StoredLogRecord: Sendable, Equatable {
    /// Global, strictly increasing in commit order.
    public var id: Int64
    public var record: LogRecord

    public init(id: Int64, record: LogRecord) {
        self.id = id
        self.record = record
    }
}

/// The outcome of a committed append: ids are contiguous, `firstId...lastId`.
public struct AppendResult: Sendable, Equatable {
    public var count: Int
    /// nil when the batch was empty.
    public var firstId: Int64?
    public var lastId: Int64?

    public init(count: Int, firstId: Int64?, lastId: Int64?) {
        self.count = count
        self.firstId = firstId
        self.lastId = lastId
    }
}

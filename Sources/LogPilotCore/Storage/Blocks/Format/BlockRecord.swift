/// One record as a block stores it: the fields of a ``LogRecord`` except the channel (a block holds the records of
/// one stream), plus the record's global id.
public struct BlockRecord: Sendable, Equatable {
    /// Global id; strictly increasing within a block (other streams' ids may fall between two records).
    public var id: Int64
    /// Microseconds since the Unix epoch, UTC. Any `Int64` is stored exactly.
    public var timestamp: Int64
    public var level: LogLevel
    /// Any UTF-8 text, including NUL bytes.
    public var message: String
    /// The metadata as compact JSON object text, or nil when there is none.
    public var metaJSON: String?

    /// Creates a record.
    public init(id: Int64, timestamp: Int64, level: LogLevel, message: String, metaJSON: String? = nil) {
        self.id = id
        self.timestamp = timestamp
        self.level = level
        self.message = message
        self.metaJSON = metaJSON
    }

    /// The block form of a stored record: its channel is dropped (the block's stream names it).
    public init(_ stored: StoredLogRecord) {
        self.init(
            id: stored.id, timestamp: stored.record.timestamp, level: stored.record.level,
            message: stored.record.message, metaJSON: stored.record.metaJSON
        )
    }

    /// The stored record this block record is, in `channel`.
    public func stored(channel: String) -> StoredLogRecord {
        StoredLogRecord(
            id: id,
            record: LogRecord(timestamp: timestamp, channel: channel, level: level, message: message, metaJSON: metaJSON)
        )
    }
}

/// What a block holds, computed when it is encoded: enough to choose blocks by id, time and level without
/// decoding them (the storage engine keeps it next to the block).
public struct BlockSummary: Sendable, Equatable {
    /// Records in the block.
    public var count: Int
    /// The first and last ids (0 for an empty block).
    public var minId: Int64
    public var maxId: Int64
    /// The smallest and largest timestamps (0 for an empty block); records need not be in time order.
    public var minTimestamp: Int64
    public var maxTimestamp: Int64
    /// Bit `level.rawValue` is set when a record of that level is in the block.
    public var levelMask: UInt8
    /// Uncompressed bytes of all columns: what decoding the whole block produces.
    public var rawBytes: Int

    /// Creates a summary.
    public init(
        count: Int, minId: Int64, maxId: Int64, minTimestamp: Int64, maxTimestamp: Int64, levelMask: UInt8,
        rawBytes: Int
    ) {
        self.count = count
        self.minId = minId
        self.maxId = maxId
        self.minTimestamp = minTimestamp
        self.maxTimestamp = maxTimestamp
        self.levelMask = levelMask
        self.rawBytes = rawBytes
    }

    /// The mask with the bit of each of `levels` set.
    public static func levelMask(_ levels: some Sequence<LogLevel>) -> UInt8 {
        levels.reduce(0) { $0 | 1 << $1.rawValue }
    }

    /// Whether a record of `level` is in the block.
    public func contains(level: LogLevel) -> Bool {
        levelMask & 1 << level.rawValue != 0
    }
}

/// Limits on what one ingest request may carry. Every front enforces the same values through `Ingestor`.
public struct IngestLimits: Sendable, Equatable {
    /// Request body bytes (after decompression), enforced by the fronts while reading the body.
    public var maxBodyBytes: Int
    /// Records in one batch.
    public var maxBatchRecords: Int
    /// UTF-8 bytes of one message.
    public var maxMessageBytes: Int
    /// Compact JSON bytes of one record's meta object.
    public var maxMetaBytes: Int
    /// Top-level keys of one record's meta object.
    public var maxMetaKeys: Int
    /// UTF-8 bytes of a channel name. Channels must also be free of whitespace and control characters.
    public var maxChannelBytes: Int
    /// Records one read may return (`limit` above this is refused).
    public var maxReadLimit: Int

    public init(
        maxBodyBytes: Int = 10 * 1024 * 1024,
        maxBatchRecords: Int = 10_000,
        maxMessageBytes: Int = 64 * 1024,
        maxMetaBytes: Int = 16 * 1024,
        maxMetaKeys: Int = 64,
        maxChannelBytes: Int = 128,
        maxReadLimit: Int = 10_000
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxBatchRecords = maxBatchRecords
        self.maxMessageBytes = maxMessageBytes
        self.maxMetaBytes = maxMetaBytes
        self.maxMetaKeys = maxMetaKeys
        self.maxChannelBytes = maxChannelBytes
        self.maxReadLimit = maxReadLimit
    }

    /// Checks the values; the error names the setting.
    public func validate() throws(LogPilotError) {
        let positive: [(String, Int)] = [
            ("max-body-bytes", maxBodyBytes), ("max-batch-records", maxBatchRecords),
            ("max-message-bytes", maxMessageBytes), ("max-meta-bytes", maxMetaBytes), ("max-meta-keys", maxMetaKeys),
            ("max-channel-bytes", maxChannelBytes), ("max-read-limit", maxReadLimit),
        ]
        for (key, value) in positive where value <= 0 {
            throw LogPilotError.invalid(key, "must be positive")
        }
    }

    /// Checks a channel name; returns the reason it is invalid, or nil.
    public func channelProblem(_ channel: String) -> String? {
        let utf8 = channel.utf8
        if utf8.isEmpty { return "must not be empty" }
        if utf8.count > maxChannelBytes { return "must be at most \(maxChannelBytes) bytes (got \(utf8.count))" }
        for byte in utf8 where byte <= 0x20 || byte == 0x7F {
            return "must not contain whitespace or control characters"
        }
        return nil
    }
}

/// An unvalidated log record, as a front decoded it from its wire format: JSON bodies (``LogBatchJSONDecoder``) and
/// protobuf messages (the gRPC front) both produce it, and `Ingestor` validates it.
///
/// Fields that are absent or JSON `null` are `nil`. Decoders check wire types only: the level is kept as raw text,
/// and channel and message lengths are not limited here.
public struct IncomingLogRecord: Sendable, Equatable {
    /// The channel name, or `nil` when absent or `null`.
    public var channel: String?

    /// The level exactly as sent (not validated), or `nil` when absent or `null`.
    public var level: String?

    /// The message, or `nil` when absent or `null`.
    public var message: String?

    /// Microseconds since the Unix epoch; `nil` means "use the server's receive time".
    public var timestamp: Int64?

    /// The compact JSON text of the `meta` object, or `nil` when absent, `null` or `{}`.
    public var metaJSON: String?

    /// The number of top-level members of `meta` (duplicate keys counted), 0 when there is none.
    public var metaKeyCount: Int

    /// Creates an incoming log record.
    ///
    /// - Parameters:
    ///   - channel: The channel name.
    ///   - level: The level text.
    ///   - message: The message.
    ///   - timestamp: Microseconds since the Unix epoch, or nil for the receive time.
    ///   - metaJSON: The compact JSON text of the metadata object.
    ///   - metaKeyCount: The number of top-level metadata members.
    public init(
        channel: String? = nil,
        level: String? = nil,
        message: String? = nil,
        timestamp: Int64? = nil,
        metaJSON: String? = nil,
        metaKeyCount: Int = 0
    ) {
        self.channel = channel
        self.level = level
        self.message = message
        self.timestamp = timestamp
        self.metaJSON = metaJSON
        self.metaKeyCount = metaKeyCount
    }
}

/// What ``LogBatchJSONDecoder`` returns: an ``IncomingLogRecord``.
public typealias DecodedLogRecord = IncomingLogRecord

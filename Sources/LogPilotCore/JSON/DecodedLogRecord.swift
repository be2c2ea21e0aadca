/// One log record decoded from a JSON request body by ``LogBatchJSONDecoder``.
///
/// Fields that are absent or JSON `null` are `nil`. The decoder checks JSON types only: the
/// level is kept as raw text, and channel and message lengths are not limited here.
public struct DecodedLogRecord: Sendable, Equatable {
    /// The channel name, or `nil` when absent or `null`.
    public var channel: String?

    /// The level exactly as sent (not validated), or `nil` when absent or `null`.
    public var level: String?

    /// The message, or `nil` when absent or `null`.
    public var message: String?

    /// The timestamp in microseconds since the Unix epoch, or `nil` when absent or `null`.
    public var timestampMicroseconds: Int64?

    /// The compact JSON text of the `meta` object, or `nil` when absent, `null` or `{}`.
    public var metaJSON: String?

    /// The number of top-level members of `meta` (duplicate keys counted), 0 when there is none.
    public var metaKeyCount: Int

    /// Creates a decoded log record.
    ///
    /// - Parameters:
    ///   - channel: The channel name.
    ///   - level: The level text.
    ///   - message: The message.
    ///   - timestampMicroseconds: Microseconds since the Unix epoch.
    ///   - metaJSON: The compact JSON text of the metadata object.
    ///   - metaKeyCount: The number of top-level metadata members.
    public init(
        channel: String? = nil,
        level: String? = nil,
        message: String? = nil,
        timestampMicroseconds: Int64? = nil,
        metaJSON: String? = nil,
        metaKeyCount: Int = 0
    ) {
        self.channel = channel
        self.level = level
        self.message = message
        self.timestampMicroseconds = timestampMicroseconds
        self.metaJSON = metaJSON
        self.metaKeyCount = metaKeyCount
    }
}

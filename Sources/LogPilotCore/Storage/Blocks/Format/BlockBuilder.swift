/// A block ready to be stored: its bytes, its message filter (kept with the block's metadata, read by every text
/// search), its field filter (kept with the data; built by the compactor, nil for a commit's fresh block) and its
/// summary.
public struct BuiltBlock: Sendable {
    public var data: [UInt8]
    public var filter: [UInt8]
    public var fields: [UInt8]?
    public var summary: BlockSummary
}

/// Turns the records of one stream into a block, its token filters and its summary, reusing a zstd compressor and
/// the filters' scratch memory across calls. Not thread-safe: one per writer or compactor thread.
public final class BlockBuilder {
    /// The zstd level of a commit's fresh blocks: fast, since the writer builds them while clients wait; the
    /// compactor rewrites them at `CompactionPolicy.compressionLevel`.
    public static let commitLevel: Int32 = 1

    /// The zstd level of every column.
    public let level: Int32
    private let compressor = ZstdCompressor()
    private let messageFilter: TokenFilterBuilder
    private let fieldFilter: TokenFilterBuilder

    /// Creates a builder.
    ///
    /// - Parameters:
    ///   - level: The zstd level (see `docs/block-format.md` for the measured trade-off).
    ///   - bitsPerKey: Filter bits per distinct key (default 10, about 1 % false positives).
    ///   - hashCount: Filter hash functions (default 7).
    public init(level: Int32 = 3, bitsPerKey: Int = 10, hashCount: Int = 7) {
        self.level = level
        self.messageFilter = TokenFilterBuilder(bitsPerKey: bitsPerKey, hashCount: hashCount)
        self.fieldFilter = TokenFilterBuilder(bitsPerKey: bitsPerKey, hashCount: hashCount)
    }

    /// Encodes `records` (one stream, ids strictly increasing, within ``BlockCodec/Limits``; see
    /// ``BlockCodec/recordsFitting(_:)``), with the message trigram filter and, with `withFields`, the field filter.
    public func build(_ records: [BlockRecord], withFields: Bool = false) -> BuiltBlock {
        let (data, summary) = BlockCodec.encodeWithSummary(records, level: level, compressor: compressor)
        for record in records {
            messageFilter.addMessage(record.message)
            if withFields, let meta = record.metaJSON { fieldFilter.addMeta(meta) }
        }
        return BuiltBlock(
            data: data,
            filter: messageFilter.finish().serialized(),
            fields: withFields ? fieldFilter.finish().serialized() : nil,
            summary: summary
        )
    }
}

/// The block format, version 1: the records of one stream as compressed columns.
///
/// A block is an uncompressed header followed by one zstd frame per column:
///
/// ```
/// "LPB1"  version=1  count:varint  columns=7  7 × (kind:u8  raw:varint  compressed:varint)  7 × zstd frame
/// ```
///
/// The columns, always all seven and in this order, are ids (first id as a zigzag varint, then each gap minus one
/// as a varint), timestamps (zigzag varints of the first value and of each wrapping difference), levels (one byte
/// each), message lengths (varints), message bytes (concatenated UTF-8), meta lengths (varint of length + 1,
/// 0 = no meta) and meta bytes. `docs/block-format.md` is the byte-level reference, with a worked example.
///
/// ``decode(_:decompressor:columns:)`` treats its input as hostile: every length, count, varint and offset is
/// checked before it is used, sizes are checked against the header before anything is decompressed, and every
/// violation throws a ``BlockFormatError`` that names the column and the byte.
public enum BlockCodec {
    /// The format version this code writes and reads.
    public static let version: UInt8 = 1

    /// The first four bytes of every block: `LPB1`.
    public static let magic: [UInt8] = Array("LPB1".utf8)

    /// Hard limits of the format; the decoder refuses anything beyond them, the encoder must stay within them.
    public enum Limits {
        /// Records in one block.
        public static let maxRecords = 1 << 20
        /// Uncompressed bytes of one column (and so of all messages, or all meta, of one block).
        public static let maxColumnBytes = 64 << 20
    }

    /// The column kinds of version 1, in the order they appear.
    enum Column: UInt8, CaseIterable {
        case ids = 1
        case timestamps = 2
        case levels = 3
        case messageLengths = 4
        case messageBytes = 5
        case metaLengths = 6
        case metaBytes = 7

        var name: String {
            switch self {
            case .ids: "ids"
            case .timestamps: "timestamps"
            case .levels: "levels"
            case .messageLengths: "message lengths"
            case .messageBytes: "message bytes"
            case .metaLengths: "meta lengths"
            case .metaBytes: "meta bytes"
            }
        }

        var part: String { "block: \(name) column" }
    }

    // MARK: - Encoding

    /// Encodes the records of one stream as a block.
    ///
    /// - Parameters:
    ///   - records: Ids strictly increasing; at most ``Limits/maxRecords`` records and at most
    ///     ``Limits/maxColumnBytes`` of message bytes and of meta bytes (``recordsFitting(_:)`` says how many
    ///     records of a longer run fit). Breaking these preconditions is a programming error and traps.
    ///   - level: The zstd level for every column.
    ///   - compressor: The caller's compressor (one per thread).
    /// - Returns: The block bytes.
    public static func encode(_ records: [BlockRecord], level: Int32, compressor: ZstdCompressor) -> [UInt8] {
        encodeWithSummary(records, level: level, compressor: compressor).bytes
    }

    /// Encodes the records of one stream as a block and summarises them (see ``encode(_:level:compressor:)``).
    public static func encodeWithSummary(
        _ records: [BlockRecord],
        level: Int32,
        compressor: ZstdCompressor
    ) -> (bytes: [UInt8], summary: BlockSummary) {
        precondition(records.count <= Limits.maxRecords, "block: \(records.count) records, the limit is \(Limits.maxRecords)")
        let columns = RawColumns(records)
        var header = ColumnWriter(capacity: 80)
        for byte in magic { header.byte(byte) }
        header.byte(version)
        header.varint(UInt64(records.count))
        header.byte(UInt8(Column.allCases.count))
        var frames: [[UInt8]] = []
        frames.reserveCapacity(Column.allCases.count)
        var rawBytes = 0
        for column in Column.allCases {
            let raw = columns[column]
            precondition(raw.count <= Limits.maxColumnBytes, "\(column.part): \(raw.count) bytes, the limit is \(Limits.maxColumnBytes)")
            let frame = compressor.compress(raw, level: level)
            header.byte(column.rawValue)
            header.varint(UInt64(raw.count))
            header.varint(UInt64(frame.count))
            frames.append(frame)
            rawBytes += raw.count
        }
        var bytes = header.bytes
        bytes.reserveCapacity(bytes.count + frames.reduce(0) { $0 + $1.count })
        for frame in frames { bytes.append(contentsOf: frame) }
        return (bytes, columns.summary(rawBytes: rawBytes))
    }

    /// How many leading records of `records` fit into one block (at least one, unless `records` is empty or its
    /// first record alone is too large, which ingest limits rule out).
    public static func recordsFitting(_ records: some Collection<BlockRecord>) -> Int {
        var count = 0
        var messageBytes = 0
        var metaBytes = 0
        for record in records {
            messageBytes += record.message.utf8.count
            metaBytes += record.metaJSON?.utf8.count ?? 0
            guard count < Limits.maxRecords, messageBytes <= Limits.maxColumnBytes, metaBytes <= Limits.maxColumnBytes
            else { break }
            count += 1
        }
        return count
    }

    // MARK: - Decoding

    /// Decodes a block, or only some of its columns.
    ///
    /// - Parameters:
    ///   - bytes: The whole block, nothing before or after it.
    ///   - decompressor: The caller's decompressor (one per thread).
    ///   - columns: The columns to decode; the others are not decompressed (see ``DecodedBlock/load(_:from:decompressor:)``
    ///     to add them later). The header is always validated in full.
    /// - Returns: The decoded columns.
    /// - Throws: ``BlockFormatError`` naming the first problem found.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer,
        decompressor: ZstdDecompressor,
        columns: BlockColumns = .all
    ) throws(BlockFormatError) -> DecodedBlock {
        let layout = try Layout(bytes)
        var block = DecodedBlock(count: layout.count)
        try block.load(columns, layout: layout, from: bytes, decompressor: decompressor)
        return block
    }

    /// Decodes a whole block held in an array (see ``decode(_:decompressor:columns:)``).
    public static func decode(
        _ bytes: [UInt8],
        decompressor: ZstdDecompressor,
        columns: BlockColumns = .all
    ) throws(BlockFormatError) -> DecodedBlock {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(BlockFormatError) in try decode(raw, decompressor: decompressor, columns: columns) }
        }
        return try result.get()
    }

    /// The validated header of a block: the record count and where each column's frame lies.
    struct Layout {
        struct Entry {
            var column: Column
            var rawLength: Int
            var frame: Range<Int>
        }

        var count: Int
        var entries: [Entry]

        /// The largest header: magic, version, a 10-byte count, the column count and seven entries of
        /// 1 + 10 + 10 bytes. Only this prefix is ever read as header.
        static let maxHeaderBytes = 4 + 1 + 10 + 1 + 7 * 21

        init(_ bytes: UnsafeRawBufferPointer) throws(BlockFormatError) {
            var reader = ColumnReader(Array(bytes.prefix(Self.maxHeaderBytes)), part: "block: header")
            for (index, expected) in BlockCodec.magic.enumerated() {
                guard try reader.byte("magic") == expected else {
                    throw reader.failure("bad magic number (not a LogPilot block)", at: index)
                }
            }
            let versionOffset = reader.position
            let version = try reader.byte("version")
            guard version == BlockCodec.version else {
                throw reader.failure("unsupported format version \(version)", at: versionOffset)
            }
            count = try reader.length(atMost: Limits.maxRecords, "record count")
            let columnCountOffset = reader.position
            let columnCount = try reader.byte("column count")
            guard columnCount == Column.allCases.count else {
                throw reader.failure("\(columnCount) columns, version 1 has \(Column.allCases.count)", at: columnCountOffset)
            }
            var lengths: [(column: Column, raw: Int, compressed: Int)] = []
            for column in Column.allCases {
                let kindOffset = reader.position
                let kind = try reader.byte("column kind")
                guard kind == column.rawValue else {
                    throw reader.failure("column kind \(kind) where \(column.rawValue) (\(column.name)) belongs", at: kindOffset)
                }
                let rawOffset = reader.position
                let raw = try reader.length(atMost: Limits.maxColumnBytes, "\(column.name) raw length")
                if let problem = Self.rawLengthProblem(column, raw: raw, count: count) {
                    throw reader.failure("\(column.name) raw length \(raw) \(problem)", at: rawOffset)
                }
                let compressed = try reader.length(atMost: bytes.count, "\(column.name) compressed length")
                lengths.append((column, raw, compressed))
            }
            var offset = reader.position
            entries = []
            entries.reserveCapacity(lengths.count)
            for (column, raw, compressed) in lengths {
                guard compressed <= bytes.count - offset else {
                    throw BlockFormatError(
                        "block: \(column.name) column: frame of \(compressed) bytes at byte \(offset) runs past the end of the \(bytes.count)-byte block"
                    )
                }
                entries.append(Entry(column: column, rawLength: raw, frame: offset..<offset + compressed))
                offset += compressed
            }
            guard offset == bytes.count else {
                throw BlockFormatError("block: \(bytes.count - offset) unexpected bytes after the last column at byte \(offset)")
            }
        }

        /// Why a column's raw length cannot be right for `count` records, or nil. These bounds hold for every block
        /// the encoder writes, and keep a hostile header from making the decoder allocate more than the records
        /// could need.
        static func rawLengthProblem(_ column: Column, raw: Int, count: Int) -> String? {
            switch column {
            case .ids, .timestamps:
                // One varint of 1...10 bytes per record.
                raw >= count && raw <= 10 * count ? nil : "is impossible for \(count) records (\(count)...\(10 * count))"
            case .levels:
                raw == count ? nil : "is not the record count \(count)"
            case .messageLengths, .metaLengths:
                // Lengths are at most maxColumnBytes + 1 < 2^28: 1...4 bytes each.
                raw >= count && raw <= 4 * count ? nil : "is impossible for \(count) records (\(count)...\(4 * count))"
            case .messageBytes, .metaBytes:
                nil
            }
        }

        func entry(_ column: Column) -> Entry {
            entries[Int(column.rawValue) - 1]
        }
    }

    /// Decompresses one column, checking its size against the header.
    static func rawColumn(
        _ column: Column,
        layout: Layout,
        from bytes: UnsafeRawBufferPointer,
        decompressor: ZstdDecompressor
    ) throws(BlockFormatError) -> [UInt8] {
        let entry = layout.entry(column)
        do {
            return try decompressor.decompress(UnsafeRawBufferPointer(rebasing: bytes[entry.frame]), expectedSize: entry.rawLength)
        } catch {
            throw error.within(column.part)
        }
    }
}

/// The seven raw (uncompressed) columns of a run of records, and what the summary needs, gathered in one pass.
private struct RawColumns {
    var ids = ColumnWriter()
    var timestamps = ColumnWriter()
    var levels: [UInt8] = []
    var messageLengths = ColumnWriter()
    var messageBytes: [UInt8] = []
    var metaLengths = ColumnWriter()
    var metaBytes: [UInt8] = []
    var count = 0
    var minId: Int64 = 0
    var maxId: Int64 = 0
    var minTimestamp: Int64 = 0
    var maxTimestamp: Int64 = 0
    var levelMask: UInt8 = 0

    init(_ records: [BlockRecord]) {
        count = records.count
        guard let first = records.first else { return }
        levels.reserveCapacity(records.count)
        ids = ColumnWriter(capacity: records.count * 2)
        timestamps = ColumnWriter(capacity: records.count * 2)
        messageLengths = ColumnWriter(capacity: records.count * 2)
        metaLengths = ColumnWriter(capacity: records.count * 2)
        var messageTotal = 0
        var metaTotal = 0
        for record in records {
            messageTotal += record.message.utf8.count
            metaTotal += record.metaJSON?.utf8.count ?? 0
        }
        messageBytes.reserveCapacity(messageTotal)
        metaBytes.reserveCapacity(metaTotal)

        minId = first.id
        minTimestamp = first.timestamp
        maxTimestamp = first.timestamp
        ids.zigzag(first.id)
        timestamps.zigzag(first.timestamp)
        var previousId = first.id
        var previousTimestamp = first.timestamp
        for (index, record) in records.enumerated() {
            if index > 0 {
                precondition(record.id > previousId, "block: ids must increase strictly (\(record.id) after \(previousId))")
                // The gap is at least 1 and at most 2^64 - 1, so gap - 1 always fits in 64 bits.
                ids.varint(UInt64(bitPattern: record.id) &- UInt64(bitPattern: previousId) &- 1)
                timestamps.zigzag(record.timestamp &- previousTimestamp)
                previousId = record.id
                previousTimestamp = record.timestamp
                minTimestamp = min(minTimestamp, record.timestamp)
                maxTimestamp = max(maxTimestamp, record.timestamp)
            }
            levels.append(record.level.rawValue)
            levelMask |= 1 << record.level.rawValue
            let messageStart = messageBytes.count
            messageBytes.append(contentsOf: record.message.utf8)
            messageLengths.varint(UInt64(messageBytes.count - messageStart))
            if let meta = record.metaJSON {
                let metaStart = metaBytes.count
                metaBytes.append(contentsOf: meta.utf8)
                metaLengths.varint(UInt64(metaBytes.count - metaStart) + 1)
            } else {
                metaLengths.varint(0)
            }
        }
        maxId = previousId
    }

    subscript(column: BlockCodec.Column) -> [UInt8] {
        switch column {
        case .ids: ids.bytes
        case .timestamps: timestamps.bytes
        case .levels: levels
        case .messageLengths: messageLengths.bytes
        case .messageBytes: messageBytes
        case .metaLengths: metaLengths.bytes
        case .metaBytes: metaBytes
        }
    }

    func summary(rawBytes: Int) -> BlockSummary {
        BlockSummary(
            count: count, minId: minId, maxId: maxId, minTimestamp: minTimestamp, maxTimestamp: maxTimestamp,
            levelMask: levelMask, rawBytes: rawBytes
        )
    }
}

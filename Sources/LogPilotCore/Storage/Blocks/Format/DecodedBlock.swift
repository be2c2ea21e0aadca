/// Which columns of a block to decode.
public struct BlockColumns: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Record ids.
    public static let ids = BlockColumns(rawValue: 1 << 0)
    /// Timestamps.
    public static let timestamps = BlockColumns(rawValue: 1 << 1)
    /// Levels.
    public static let levels = BlockColumns(rawValue: 1 << 2)
    /// Messages (their lengths and bytes).
    public static let messages = BlockColumns(rawValue: 1 << 3)
    /// Meta (its lengths and bytes).
    public static let meta = BlockColumns(rawValue: 1 << 4)
    /// Every column.
    public static let all: BlockColumns = [.ids, .timestamps, .levels, .messages, .meta]
}

/// The decoded columns of one block, as flat arrays.
///
/// Record `i` is `ids[i]`, `timestamps[i]`, `levels[i]`, the message bytes
/// `messageBytes[messageOffsets[i] ..< messageOffsets[i + 1]]` and, when `metaPresent[i]`, the meta bytes
/// `metaBytes[metaOffsets[i] ..< metaOffsets[i + 1]]`. Every value was validated while decoding (ids strictly
/// increasing, levels known, text well-formed UTF-8), so the accessors cannot fail. Only the columns in
/// ``columns`` are there; reading another one is a programming error and traps. ``load(_:from:decompressor:)``
/// adds columns later, e.g. meta after a search found a matching message.
public struct DecodedBlock: Sendable {
    /// Records in the block.
    public let count: Int
    /// The columns decoded so far.
    public private(set) var columns: BlockColumns = []
    /// Uncompressed bytes of the columns decoded so far.
    public private(set) var rawBytes = 0

    public private(set) var ids: [Int64] = []
    public private(set) var timestamps: [Int64] = []
    /// Raw values of ``LogLevel``, each validated.
    public private(set) var levels: [UInt8] = []
    /// All messages' UTF-8 bytes, concatenated.
    public private(set) var messageBytes: [UInt8] = []
    /// `count + 1` offsets into ``messageBytes``, starting at 0.
    public private(set) var messageOffsets: [Int32] = []
    /// All meta texts' UTF-8 bytes, concatenated.
    public private(set) var metaBytes: [UInt8] = []
    /// `count + 1` offsets into ``metaBytes``, starting at 0 (a record without meta adds an empty range).
    public private(set) var metaOffsets: [Int32] = []
    /// Whether record `i` has meta.
    public private(set) var metaPresent: [Bool] = []

    init(count: Int) {
        self.count = count
    }

    // MARK: - Records

    /// The id of record `index`.
    public func id(at index: Int) -> Int64 {
        require(.ids)
        return ids[index]
    }

    /// The timestamp of record `index`.
    public func timestamp(at index: Int) -> Int64 {
        require(.timestamps)
        return timestamps[index]
    }

    /// The level of record `index`.
    public func level(at index: Int) -> LogLevel {
        require(.levels)
        // Validated while decoding.
        return LogLevel(rawValue: levels[index])!
    }

    /// The message of record `index`.
    public func message(at index: Int) -> String {
        require(.messages)
        return String(decoding: messageBytes[Int(messageOffsets[index])..<Int(messageOffsets[index + 1])], as: UTF8.self)
    }

    /// The meta JSON text of record `index`, or nil when it has none.
    public func metaJSON(at index: Int) -> String? {
        require(.meta)
        guard metaPresent[index] else { return nil }
        return String(decoding: metaBytes[Int(metaOffsets[index])..<Int(metaOffsets[index + 1])], as: UTF8.self)
    }

    /// Whether the message of record `index` contains `needle` (bytes, case-sensitive; the empty needle is in
    /// every message). Creates no string.
    public func messageContains(_ needle: [UInt8], at index: Int) -> Bool {
        require(.messages)
        let range = Int(messageOffsets[index])..<Int(messageOffsets[index + 1])
        return ByteSearch.firstIndex(of: needle, in: messageBytes, range) != nil
    }

    /// The indices, ascending, of the records whose message contains `needle` (see ``messageContains(_:at:)``).
    /// Searches all messages in one pass over ``messageBytes``, which is faster than testing record by record when
    /// matches are rare.
    public func indicesOfMessages(containing needle: [UInt8]) -> [Int] {
        require(.messages)
        guard !needle.isEmpty else { return Array(0..<count) }
        var result: [Int] = []
        var position = 0
        var record = 0
        let end = messageBytes.count
        while position < end, let hit = ByteSearch.firstIndex(of: needle, in: messageBytes, position..<end) {
            // The record holding `hit`: the last one whose start is at or before it (records only move forward).
            record = Self.lastIndex(in: messageOffsets, notAbove: hit, from: record)
            let recordEnd = Int(messageOffsets[record + 1])
            if hit + needle.count <= recordEnd {
                result.append(record)
            }
            // A later match in the same record would end past it too, or is already counted: go to the next one.
            position = recordEnd
            record += 1
            if record >= count { break }
        }
        return result
    }

    /// The index of the first record whose id is at least `id` (``count`` when there is none).
    public func firstIndex(withIdAtLeast id: Int64) -> Int {
        require(.ids)
        var low = 0
        var high = ids.count
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Record `index`, with every field (needs every column).
    public func record(at index: Int) -> BlockRecord {
        BlockRecord(
            id: id(at: index), timestamp: timestamp(at: index), level: level(at: index), message: message(at: index),
            metaJSON: metaJSON(at: index)
        )
    }

    /// All records, in id order (needs every column).
    public func records() -> [BlockRecord] {
        (0..<count).map(record(at:))
    }

    /// The summary of the decoded records (needs ids, timestamps and levels; `rawBytes` counts the columns decoded).
    public func summary() -> BlockSummary {
        require([.ids, .timestamps, .levels])
        var levelMask: UInt8 = 0
        for level in levels { levelMask |= 1 << level }
        return BlockSummary(
            count: count, minId: ids.first ?? 0, maxId: ids.last ?? 0, minTimestamp: timestamps.min() ?? 0,
            maxTimestamp: timestamps.max() ?? 0, levelMask: levelMask, rawBytes: rawBytes
        )
    }

    private func require(_ needed: BlockColumns) {
        precondition(columns.isSuperset(of: needed), "block: column not decoded (have \(columns.rawValue), need \(needed.rawValue))")
    }

    /// The largest `i >= from` with `offsets[i] <= position` (offsets ascending, `offsets[from] <= position`).
    private static func lastIndex(in offsets: [Int32], notAbove position: Int, from: Int) -> Int {
        var low = from
        var high = offsets.count - 2
        while low < high {
            let middle = (low + high + 1) / 2
            if Int(offsets[middle]) <= position { low = middle } else { high = middle - 1 }
        }
        return low
    }

    // MARK: - Decoding columns

    /// Decodes more columns of the block this value was decoded from.
    ///
    /// - Parameters:
    ///   - more: Columns to add; those already decoded are skipped.
    ///   - bytes: The same block bytes as before (the header is validated again, and must give the same count).
    ///   - decompressor: The caller's decompressor.
    /// - Throws: ``BlockFormatError`` naming the first problem found; the value is unchanged then.
    public mutating func load(
        _ more: BlockColumns,
        from bytes: UnsafeRawBufferPointer,
        decompressor: ZstdDecompressor
    ) throws(BlockFormatError) {
        let layout = try BlockCodec.Layout(bytes)
        guard layout.count == count else {
            throw BlockFormatError("block: \(layout.count) records, but \(count) were decoded before: not the same block")
        }
        try load(more, layout: layout, from: bytes, decompressor: decompressor)
    }

    mutating func load(
        _ more: BlockColumns,
        layout: BlockCodec.Layout,
        from bytes: UnsafeRawBufferPointer,
        decompressor: ZstdDecompressor
    ) throws(BlockFormatError) {
        let wanted = more.subtracting(columns)
        // Decode into a copy so a failure leaves `self` as it was.
        var next = self
        if wanted.contains(.ids) {
            next.ids = try Self.decodeIds(
                BlockCodec.rawColumn(.ids, layout: layout, from: bytes, decompressor: decompressor), count: count
            )
            next.rawBytes += layout.entry(.ids).rawLength
        }
        if wanted.contains(.timestamps) {
            next.timestamps = try Self.decodeTimestamps(
                BlockCodec.rawColumn(.timestamps, layout: layout, from: bytes, decompressor: decompressor), count: count
            )
            next.rawBytes += layout.entry(.timestamps).rawLength
        }
        if wanted.contains(.levels) {
            let raw = try BlockCodec.rawColumn(.levels, layout: layout, from: bytes, decompressor: decompressor)
            if let bad = raw.firstIndex(where: { LogLevel(rawValue: $0) == nil }) {
                throw BlockFormatError("\(BlockCodec.Column.levels.part): unknown level \(raw[bad]) at byte \(bad)")
            }
            next.levels = raw
            next.rawBytes += raw.count
        }
        if wanted.contains(.messages) {
            let text = try Self.decodeText(
                lengths: .messageLengths, bytes: .messageBytes, optional: false, layout: layout, from: bytes,
                decompressor: decompressor
            )
            next.messageBytes = text.bytes
            next.messageOffsets = text.offsets
            next.rawBytes += layout.entry(.messageLengths).rawLength + layout.entry(.messageBytes).rawLength
        }
        if wanted.contains(.meta) {
            let text = try Self.decodeText(
                lengths: .metaLengths, bytes: .metaBytes, optional: true, layout: layout, from: bytes,
                decompressor: decompressor
            )
            next.metaBytes = text.bytes
            next.metaOffsets = text.offsets
            next.metaPresent = text.present
            next.rawBytes += layout.entry(.metaLengths).rawLength + layout.entry(.metaBytes).rawLength
        }
        next.columns.formUnion(wanted)
        self = next
    }

    private static func decodeIds(_ raw: [UInt8], count: Int) throws(BlockFormatError) -> [Int64] {
        var reader = ColumnReader(raw, part: BlockCodec.Column.ids.part)
        var ids: [Int64] = []
        guard count > 0 else {
            try reader.expectEnd()
            return ids
        }
        ids.reserveCapacity(count)
        var previous = try reader.zigzag()
        ids.append(previous)
        for _ in 1..<count {
            let offset = reader.position
            let gapMinusOne = try reader.varint()
            // Room above `previous`, exact in UInt64 (0 ... 2^64 - 1); the next id is previous + gapMinusOne + 1.
            let room = UInt64(bitPattern: Int64.max) &- UInt64(bitPattern: previous)
            guard gapMinusOne < room else {
                throw reader.failure("the id after \(previous) is beyond Int64.max", at: offset)
            }
            previous = Int64(bitPattern: UInt64(bitPattern: previous) &+ gapMinusOne &+ 1)
            ids.append(previous)
        }
        try reader.expectEnd()
        return ids
    }

    private static func decodeTimestamps(_ raw: [UInt8], count: Int) throws(BlockFormatError) -> [Int64] {
        var reader = ColumnReader(raw, part: BlockCodec.Column.timestamps.part)
        var timestamps: [Int64] = []
        timestamps.reserveCapacity(count)
        var previous: Int64 = 0
        for index in 0..<count {
            let value = try reader.zigzag()
            // Differences wrap, so every Int64 sequence is representable and every decoded sequence valid.
            previous = index == 0 ? value : previous &+ value
            timestamps.append(previous)
        }
        try reader.expectEnd()
        return timestamps
    }

    /// Decodes a lengths column and its bytes column into offsets, checking that the lengths add up to the bytes
    /// and that every record's text is well-formed UTF-8.
    private static func decodeText(
        lengths lengthsColumn: BlockCodec.Column,
        bytes bytesColumn: BlockCodec.Column,
        optional: Bool,
        layout: BlockCodec.Layout,
        from block: UnsafeRawBufferPointer,
        decompressor: ZstdDecompressor
    ) throws(BlockFormatError) -> (bytes: [UInt8], offsets: [Int32], present: [Bool]) {
        let count = layout.count
        let total = layout.entry(bytesColumn).rawLength
        let lengths = try BlockCodec.rawColumn(lengthsColumn, layout: layout, from: block, decompressor: decompressor)
        var reader = ColumnReader(lengths, part: lengthsColumn.part)
        var offsets: [Int32] = []
        offsets.reserveCapacity(count + 1)
        offsets.append(0)
        var present: [Bool] = []
        if optional { present.reserveCapacity(count) }
        var sum = 0
        for index in 0..<count {
            let offset = reader.position
            var length = try reader.varint()
            if optional {
                present.append(length != 0)
                length = length == 0 ? 0 : length - 1
            }
            // `total` is at most maxColumnBytes, so `sum` never overflows and every offset fits in Int32.
            guard length <= UInt64(total - sum) else {
                throw reader.failure(
                    "record \(index): length runs past the \(total) bytes of the \(bytesColumn.name) column", at: offset
                )
            }
            sum += Int(length)
            offsets.append(Int32(sum))
        }
        try reader.expectEnd()
        guard sum == total else {
            throw BlockFormatError(
                "\(lengthsColumn.part): lengths add up to \(sum) bytes, the \(bytesColumn.name) column holds \(total)"
            )
        }
        let bytes = try BlockCodec.rawColumn(bytesColumn, layout: layout, from: block, decompressor: decompressor)
        if let bad = UTF8Validation.firstInvalidOffset(in: bytes, 0..<bytes.count) {
            throw BlockFormatError("\(bytesColumn.part): invalid UTF-8 at byte \(bad)")
        }
        for index in 1..<max(count, 1) where !UTF8Validation.isBoundary(bytes, Int(offsets[index])) {
            throw BlockFormatError(
                "\(bytesColumn.part): record \(index) starts inside a UTF-8 sequence at byte \(offsets[index])"
            )
        }
        return (bytes, offsets, present)
    }
}

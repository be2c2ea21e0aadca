@testable import LogPilotCore

/// splitmix64: a seedable generator, so every property test failure names a seed that reproduces it.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random records that exercise every corner of the format.
struct RandomRecords {
    var rng: SeededGenerator
    /// Whether a few messages are 10…500 KB long.
    var hugeMessages: Bool

    init(seed: UInt64, hugeMessages: Bool = true) {
        rng = SeededGenerator(seed: seed)
        self.hugeMessages = hugeMessages
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ percent: Int) -> Bool { int(1...100) <= percent }

    /// Pieces of text: ASCII, accents, CJK, emoji with modifiers and joiners, NUL and other control characters,
    /// JSON-hostile characters.
    static let pieces = [
        "a", "canary", "timed out", " ", "42", "é", "日本語", "👍🏽", "👩‍👩‍👧", "\u{0}", "\u{1}", "\n", "\t", "\"", "\\", "{",
        "}", "=", "ÿ", "\u{10FFFF}", "\u{FFFD}", "xcanaryz", "GET /api/v1/orders/", "0123456789abcdef",
    ]

    mutating func text(maxPieces: Int) -> String {
        var text = ""
        for _ in 0..<int(0...maxPieces) {
            text += Self.pieces[int(0...Self.pieces.count - 1)]
        }
        return text
    }

    mutating func message() -> String {
        switch int(1...100) {
        case 1...5: return ""
        case 6...7 where hugeMessages: return String(repeating: text(maxPieces: 8) + ".", count: int(1000...20000))
        default: return text(maxPieces: 24)
        }
    }

    /// A meta JSON object text with string (escaped or not), number, bool, null, nested members and duplicates.
    mutating func metaJSON() -> String {
        var members: [String] = []
        for _ in 0..<int(0...6) {
            let key = chance(80) ? ["trace_id", "user", "host", "n", "ok", "a\\\"b", "é"][int(0...6)] : JSONWriter.serialize(.string(text(maxPieces: 3)))
            let keyText = key.hasPrefix("\"") ? key : "\"\(key)\""
            let value: String
            switch int(1...7) {
            case 1: value = JSONWriter.serialize(.string(text(maxPieces: 4)))
            case 2: value = "\"\(String(UInt64.random(in: 0...UInt64.max, using: &rng), radix: 16))\""
            case 3: value = ["0", "-1", "1.50", "1e3", "-0.0E+2", "12345678901234567890"][int(0...5)]
            case 4: value = chance(50) ? "true" : "false"
            case 5: value = "null"
            case 6: value = "{\"x\":[1,\"}\",{\"y\":\"\\\"\"}]}"
            default: value = "[\"a\",2,{}]"
            }
            members.append("\(keyText):\(value)")
        }
        let separator = chance(80) ? "," : " , "
        return "{" + members.joined(separator: separator) + "}"
    }

    mutating func level() -> LogLevel { LogLevel.allCases[int(0...LogLevel.allCases.count - 1)] }

    mutating func timestamp() -> Int64 {
        switch int(1...10) {
        case 1: return .min
        case 2: return .max
        case 3: return Int64.random(in: .min ... .max, using: &rng)
        default: return 1_795_000_000_000_000 + Int64(int(-5_000_000...5_000_000))
        }
    }

    /// `count` records with strictly increasing ids: gaps of 1, small, or huge (up to the whole Int64 range).
    mutating func records(_ count: Int) -> [BlockRecord] {
        guard count > 0 else { return [] }
        var records: [BlockRecord] = []
        records.reserveCapacity(count)
        let hugeGaps = chance(20)
        var id: Int64 = hugeGaps ? Int64.min + Int64(int(0...1000)) : Int64(int(1...1_000_000))
        for index in 0..<count {
            if index > 0 {
                let room = UInt64(bitPattern: Int64.max) &- UInt64(bitPattern: id)
                let remaining = UInt64(count - index)
                let gap: UInt64
                if hugeGaps {
                    // Spread the rest of the range over the remaining records, with jitter.
                    let share = room / remaining
                    gap = max(1, UInt64.random(in: 0...max(share, 1), using: &rng))
                } else {
                    gap = UInt64(chance(70) ? 1 : int(2...20))
                }
                id = Int64(bitPattern: UInt64(bitPattern: id) &+ min(gap, room))
            }
            records.append(
                BlockRecord(
                    id: id, timestamp: timestamp(), level: level(), message: message(),
                    metaJSON: chance(60) ? metaJSON() : nil
                )
            )
        }
        return records
    }
}

/// Assembles a block from raw (uncompressed) column contents, to craft blocks the encoder would never write.
enum BlockAssembler {
    /// The seven columns in order; each entry may override the frame bytes or the lengths written in the header.
    struct Column {
        var kind: UInt8
        var raw: [UInt8]
        var frame: [UInt8]? = nil
        var headerRawLength: Int? = nil
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var writer = ColumnWriter()
        writer.varint(value)
        return writer.bytes
    }

    static func assemble(count: Int, columns: [Column], compressor: ZstdCompressor, version: UInt8 = 1) -> [UInt8] {
        var header: [UInt8] = Array("LPB1".utf8) + [version] + varint(UInt64(count)) + [UInt8(columns.count)]
        var frames: [UInt8] = []
        for column in columns {
            let frame = column.frame ?? compressor.compress(column.raw, level: 1)
            header += [column.kind] + varint(UInt64(column.headerRawLength ?? column.raw.count)) + varint(UInt64(frame.count))
            frames += frame
        }
        return header + frames
    }

    /// The raw columns of a valid block of records with one-byte varints everywhere (small values only).
    static func columns(
        ids: [UInt8], timestamps: [UInt8], levels: [UInt8], messageLengths: [UInt8], messageBytes: [UInt8],
        metaLengths: [UInt8], metaBytes: [UInt8]
    ) -> [Column] {
        [
            Column(kind: 1, raw: ids), Column(kind: 2, raw: timestamps), Column(kind: 3, raw: levels),
            Column(kind: 4, raw: messageLengths), Column(kind: 5, raw: messageBytes), Column(kind: 6, raw: metaLengths),
            Column(kind: 7, raw: metaBytes),
        ]
    }

    /// Two records (ids 4 and 6, timestamps 10 and 9, INFO and ERROR, messages "hi" and "", meta nil and "{}").
    static func validColumns() -> [Column] {
        columns(
            ids: [8, 1], timestamps: [20, 1], levels: [2, 4], messageLengths: [2, 0], messageBytes: Array("hi".utf8),
            metaLengths: [0, 3], metaBytes: Array("{}".utf8)
        )
    }
}

/// Decodes, turning the typed error into a value for `#expect`.
func decodeResult(_ bytes: [UInt8], _ decompressor: ZstdDecompressor, columns: BlockColumns = .all) -> Result<DecodedBlock, BlockFormatError> {
    Result { () throws(BlockFormatError) in try BlockCodec.decode(bytes, decompressor: decompressor, columns: columns) }
}

extension Result where Failure == BlockFormatError {
    var errorMessage: String? {
        if case .failure(let error) = self { return error.message }
        return nil
    }
}

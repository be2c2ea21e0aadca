import Testing

@testable import LogPilotCore

struct BlockCodecTests {
    let compressor = ZstdCompressor()
    let decompressor = ZstdDecompressor()

    private func roundTrip(_ records: [BlockRecord], level: Int32 = 1) throws -> (DecodedBlock, BlockSummary, [UInt8]) {
        let (bytes, summary) = BlockCodec.encodeWithSummary(records, level: level, compressor: compressor)
        let block = try BlockCodec.decode(bytes, decompressor: decompressor)
        return (block, summary, bytes)
    }

    /// What the summary of `records` must be, computed the obvious way.
    private func expectedSummary(_ records: [BlockRecord], rawBytes: Int) -> BlockSummary {
        BlockSummary(
            count: records.count, minId: records.first?.id ?? 0, maxId: records.last?.id ?? 0,
            minTimestamp: records.map(\.timestamp).min() ?? 0, maxTimestamp: records.map(\.timestamp).max() ?? 0,
            levelMask: BlockSummary.levelMask(records.map(\.level)), rawBytes: rawBytes
        )
    }

    // MARK: - Encode → decode is the identity

    @Test(arguments: 0..<150 as Range<UInt64>)
    func randomRecordsRoundTrip(seed: UInt64) throws {
        var random = RandomRecords(seed: seed)
        let count = [0, 1, 2, 3, random.int(4...50), random.int(50...400)][Int(seed % 6)]
        let records = random.records(count)
        let (block, summary, _) = try roundTrip(records, level: Int32(seed % 4) * 3 + 1)
        #expect(block.count == records.count, "seed \(seed)")
        #expect(block.records() == records, "seed \(seed)")
        #expect(summary == expectedSummary(records, rawBytes: summary.rawBytes), "seed \(seed)")
        #expect(block.summary() == summary, "seed \(seed)")
        for index in records.indices {
            #expect(block.messageContains(Array(records[index].message.utf8), at: index))
        }
    }

    @Test func hundredThousandRecords() throws {
        var random = RandomRecords(seed: 100_000, hugeMessages: false)
        let records = random.records(100_000)
        let (block, summary, bytes) = try roundTrip(records, level: 3)
        #expect(block.records() == records)
        #expect(summary == expectedSummary(records, rawBytes: summary.rawBytes))
        #expect(bytes.count < summary.rawBytes)
    }

    @Test func emptyBlock() throws {
        let (block, summary, bytes) = try roundTrip([])
        #expect(block.count == 0)
        #expect(block.records().isEmpty)
        #expect(summary == BlockSummary(count: 0, minId: 0, maxId: 0, minTimestamp: 0, maxTimestamp: 0, levelMask: 0, rawBytes: 0))
        #expect(Array(bytes.prefix(7)) == Array("LPB1".utf8) + [1, 0, 7])
    }

    @Test func extremeIdsAndTimestamps() throws {
        let records = [
            BlockRecord(id: .min, timestamp: .max, level: .trace, message: "\u{0}", metaJSON: nil),
            BlockRecord(id: -1, timestamp: .min, level: .fatal, message: "", metaJSON: ""),
            BlockRecord(id: 0, timestamp: 0, level: .warn, message: "👩‍👩‍👧", metaJSON: "{}"),
            BlockRecord(id: .max, timestamp: .max, level: .debug, message: "end", metaJSON: nil),
        ]
        let (block, summary, _) = try roundTrip(records)
        #expect(block.records() == records)
        #expect(summary.minId == .min && summary.maxId == .max)
        #expect(summary.minTimestamp == .min && summary.maxTimestamp == .max)
        #expect(summary.levelMask == 0b10_1011)
    }

    @Test func summaryValues() throws {
        let records = [
            BlockRecord(id: 10, timestamp: 500, level: .info, message: "abc", metaJSON: "{\"a\":1}"),
            BlockRecord(id: 18, timestamp: 200, level: .error, message: "de", metaJSON: nil),
            BlockRecord(id: 19, timestamp: 900, level: .info, message: "", metaJSON: nil),
        ]
        let (_, summary, _) = try roundTrip(records)
        // Raw columns: ids 1+1+1, timestamps 2+2+2 (1000, -600, 1400 as zigzag), levels 3, message lengths 3,
        // message bytes 5, meta lengths 3, meta bytes 7.
        #expect(summary == BlockSummary(count: 3, minId: 10, maxId: 19, minTimestamp: 200, maxTimestamp: 900, levelMask: 0b1_0100, rawBytes: 30))
        #expect(summary.contains(level: .error) && !summary.contains(level: .warn))
    }

    @Test func partialDecodingAndLoadingLater() throws {
        var random = RandomRecords(seed: 7)
        let records = random.records(300)
        let bytes = BlockCodec.encode(records, level: 3, compressor: compressor)
        var block = try BlockCodec.decode(bytes, decompressor: decompressor, columns: [.ids, .levels, .messages])
        #expect(block.columns == [.ids, .levels, .messages])
        #expect(block.metaBytes.isEmpty && block.timestamps.isEmpty)
        #expect(block.ids == records.map(\.id))
        #expect((0..<block.count).map(block.message(at:)) == records.map(\.message))
        try bytes.withUnsafeBytes { try block.load(.all, from: $0, decompressor: decompressor) }
        #expect(block.columns == .all)
        #expect(block.records() == records)
        // Loading from another block's bytes is refused and leaves the value as it was.
        let other = BlockCodec.encode(Array(records.prefix(3)), level: 1, compressor: compressor)
        var partial = try BlockCodec.decode(bytes, decompressor: decompressor, columns: [.ids])
        let failure = other.withUnsafeBytes { raw in
            Result { () throws(BlockFormatError) in try partial.load(.meta, from: raw, decompressor: decompressor) }
        }
        #expect(failure.errorMessage?.contains("not the same block") == true)
        #expect(partial.columns == [.ids])
    }

    @Test func substringSearchOverTheBlock() throws {
        let messages = ["xcanaryz", "canar", "y", "canary", "", "the canary canary", "ycanar", "canary"]
        let records = messages.enumerated().map {
            BlockRecord(id: Int64($0.offset * 3 + 1), timestamp: 0, level: .info, message: $0.element)
        }
        let block = try roundTrip(records).0
        #expect(block.indicesOfMessages(containing: Array("canary".utf8)) == [0, 3, 5, 7])
        #expect(block.indicesOfMessages(containing: Array("ry".utf8)) == [0, 3, 5, 7])
        // "canar" + "y" are adjacent in the column but are two records.
        #expect(block.indicesOfMessages(containing: Array("anary".utf8)) == [0, 3, 5, 7])
        #expect(block.indicesOfMessages(containing: Array("ycan".utf8)) == [6])
        #expect(block.indicesOfMessages(containing: []) == Array(0..<8))
        #expect(block.messageContains(Array("canary".utf8), at: 0))
        #expect(!block.messageContains(Array("canary".utf8), at: 1))
        #expect(block.messageContains([], at: 4))
        #expect(block.firstIndex(withIdAtLeast: 5) == 2)
        #expect(block.firstIndex(withIdAtLeast: 0) == 0)
        #expect(block.firstIndex(withIdAtLeast: 100) == 8)
    }

    @Test(arguments: 0..<40 as Range<UInt64>)
    func blockSearchAgreesWithRecordSearch(seed: UInt64) throws {
        var random = RandomRecords(seed: seed + 5000, hugeMessages: false)
        let records = random.records(random.int(1...200))
        let block = try roundTrip(records).0
        for _ in 0..<20 {
            let needle = Array(random.text(maxPieces: 2).utf8)
            let expected = records.indices.filter { index in
                let message = Array(records[index].message.utf8)
                return needle.isEmpty || (needle.count <= message.count && (0...(message.count - needle.count)).contains {
                    Array(message[$0..<$0 + needle.count]) == needle
                })
            }
            #expect(block.indicesOfMessages(containing: needle) == expected, "seed \(seed) needle \(needle)")
        }
    }

    @Test func recordsFitting() {
        let big = String(repeating: "x", count: 1 << 20)
        let records = (0..<100).map { BlockRecord(id: Int64($0), timestamp: 0, level: .info, message: big) }
        #expect(BlockCodec.recordsFitting(records) == 64)
        #expect(BlockCodec.recordsFitting([BlockRecord]()) == 0)
        #expect(BlockCodec.recordsFitting(records.prefix(3)) == 3)
    }

    @Test func storedRecordConversion() {
        let stored = StoredLogRecord(id: 9, record: LogRecord(timestamp: 5, channel: "orders", level: .warn, message: "m", metaJSON: "{}"))
        let record = BlockRecord(stored)
        #expect(record == BlockRecord(id: 9, timestamp: 5, level: .warn, message: "m", metaJSON: "{}"))
        #expect(record.stored(channel: "orders") == stored)
    }

    // MARK: - Hostile input: never a crash, never a wrong record

    @Test func everyTruncationThrows() throws {
        var random = RandomRecords(seed: 11, hugeMessages: false)
        let records = random.records(40)
        let bytes = BlockCodec.encode(records, level: 3, compressor: compressor)
        for length in 0..<bytes.count {
            let result = decodeResult(Array(bytes.prefix(length)), decompressor)
            #expect(result.errorMessage != nil, "a \(length)-byte prefix decoded")
        }
        // And every truncation from the front.
        for start in 1...bytes.count {
            #expect(decodeResult(Array(bytes[start...]), decompressor).errorMessage != nil)
        }
    }

    @Test(arguments: 0..<8 as Range<UInt64>)
    func randomByteFlipsThrowOrDecodeExactly(seed: UInt64) throws {
        var random = RandomRecords(seed: seed + 100, hugeMessages: false)
        let records = random.records(random.int(1...30))
        let bytes = BlockCodec.encode(records, level: 3, compressor: compressor)
        var decodedUnchanged = 0
        for _ in 0..<2500 {
            var corrupt = bytes
            for _ in 0..<random.int(1...3) {
                let index = random.int(0...corrupt.count - 1)
                corrupt[index] ^= UInt8(random.int(1...255))
            }
            switch decodeResult(corrupt, decompressor) {
            case .success(let block):
                #expect(block.records() == records, "seed \(seed): a corrupt block decoded to other records")
                decodedUnchanged += 1
            case .failure(let error):
                #expect(error.message.hasPrefix("block: "), "\(error.message)")
            }
            // Partial decodes must hold up as well.
            if case .success(let block) = decodeResult(corrupt, decompressor, columns: [.ids, .messages]) {
                #expect(block.ids == records.map(\.id))
            }
        }
        #expect(decodedUnchanged < 2500)
    }

    @Test func randomGarbageThrows() {
        var rng = SeededGenerator(seed: 3)
        for index in 0..<5000 {
            let length = Int.random(in: 0...300, using: &rng)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if index % 2 == 0, bytes.count >= 8 {
                // A plausible header, so the deeper checks run.
                bytes.replaceSubrange(0..<8, with: Array("LPB1".utf8) + [1, UInt8(index % 5), 7, 1])
            }
            #expect(decodeResult(bytes, decompressor).errorMessage != nil)
        }
    }

    // MARK: - Crafted blocks: each check names what is wrong

    private func message(_ columns: [BlockAssembler.Column], count: Int = 2, version: UInt8 = 1, append: [UInt8] = []) -> String? {
        let bytes = BlockAssembler.assemble(count: count, columns: columns, compressor: compressor, version: version) + append
        return decodeResult(bytes, decompressor).errorMessage
    }

    @Test func craftedValidBlockDecodes() throws {
        let bytes = BlockAssembler.assemble(count: 2, columns: BlockAssembler.validColumns(), compressor: compressor)
        let block = try BlockCodec.decode(bytes, decompressor: decompressor)
        #expect(block.records() == [
            BlockRecord(id: 4, timestamp: 10, level: .info, message: "hi", metaJSON: nil),
            BlockRecord(id: 6, timestamp: 9, level: .error, message: "", metaJSON: "{}"),
        ])
    }

    @Test func headerProblems() {
        let valid = BlockAssembler.assemble(count: 2, columns: BlockAssembler.validColumns(), compressor: compressor)
        var badMagic = valid
        badMagic[0] = UInt8(ascii: "X")
        #expect(decodeResult(badMagic, decompressor).errorMessage == "block: header: bad magic number (not a LogPilot block) at byte 0")
        #expect(message(BlockAssembler.validColumns(), version: 2) == "block: header: unsupported format version 2 at byte 4")
        #expect(message(Array(BlockAssembler.validColumns().prefix(6))) == "block: header: 6 columns, version 1 has 7 at byte 6")
        var swapped = BlockAssembler.validColumns()
        swapped.swapAt(0, 1)
        #expect(message(swapped) == "block: header: column kind 2 where 1 (ids) belongs at byte 7")
        #expect(message(BlockAssembler.validColumns(), count: 1 << 21)?.hasPrefix("block: header: record count 2097152 is above the limit of 1048576") == true)
        var levels = BlockAssembler.validColumns()
        levels[2].headerRawLength = 3
        #expect(message(levels)?.hasPrefix("block: header: levels raw length 3 is not the record count 2") == true)
        var huge = BlockAssembler.validColumns()
        huge[4].headerRawLength = (64 << 20) + 1
        #expect(message(huge)?.hasPrefix("block: header: message bytes raw length 67108865 is above the limit of 67108864") == true)
        #expect(message(BlockAssembler.validColumns(), append: [0, 0]) == "block: 2 unexpected bytes after the last column at byte \(valid.count)")
        #expect(decodeResult(Array(valid.dropLast()), decompressor).errorMessage?.contains("runs past the end of the") == true)
        #expect(decodeResult([], decompressor).errorMessage == "block: header: magic runs past the end at byte 0")
    }

    @Test func columnProblems() {
        func with(_ index: Int, _ raw: [UInt8]) -> [BlockAssembler.Column] {
            var columns = BlockAssembler.validColumns()
            columns[index].raw = raw
            return columns
        }
        #expect(message(with(0, [8, 0x81])) == "block: ids column: varint runs past the end at byte 1")
        #expect(message(with(0, [0x88, 0x00])) == "block: ids column: varint is not in its shortest form at byte 0")
        #expect(message(with(0, [8, 1, 1])) == "block: ids column: 1 unexpected trailing bytes at byte 2")
        #expect(
            message(with(0, [0xFE] + [UInt8](repeating: 0xFF, count: 8) + [0x01, 0])) == "block: ids column: the id after 9223372036854775807 is beyond Int64.max at byte 10"
        )
        #expect(
            message(with(1, [UInt8](repeating: 0xFF, count: 9) + [0x02, 0])) == "block: timestamps column: varint overflows 64 bits at byte 0"
        )
        #expect(message(with(2, [2, 6])) == "block: levels column: unknown level 6 at byte 1")
        #expect(message(with(3, [3, 0])) == "block: message lengths column: record 0: length runs past the 2 bytes of the message bytes column at byte 0")
        #expect(message(with(3, [1, 0])) == "block: message lengths column: lengths add up to 1 bytes, the message bytes column holds 2")
        #expect(message(with(4, [0xC3, 0x28])) == "block: message bytes column: invalid UTF-8 at byte 0")
        // "é" split over the two records: each half is invalid alone, the concatenation is valid.
        var split = with(3, [1, 1])
        split[4].raw = Array("é".utf8)
        #expect(message(split) == "block: message bytes column: record 1 starts inside a UTF-8 sequence at byte 1")
        #expect(message(with(5, [0, 4])) == "block: meta lengths column: record 1: length runs past the 2 bytes of the meta bytes column at byte 1")
        #expect(message(with(6, [0xED, 0xA0])) == "block: meta bytes column: invalid UTF-8 at byte 0")
        // A surrogate, an overlong form and a code point above U+10FFFF.
        for bad: [UInt8] in [[0xED, 0xA0, 0x80], [0xE0, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0x80], [0xFF]] {
            var columns = with(4, bad)
            columns[3].raw = [UInt8(bad.count), 0]
            #expect(message(columns) == "block: message bytes column: invalid UTF-8 at byte 0", "\(bad)")
        }
    }

    @Test func frameProblems() {
        var wrongSize = BlockAssembler.validColumns()
        wrongSize[4].frame = compressor.compress(Array("hey".utf8), level: 1)
        #expect(message(wrongSize) == "block: message bytes column: zstd frame: declares 3 content bytes, expected 2")
        var notZstd = BlockAssembler.validColumns()
        notZstd[0].frame = [1, 2, 3, 4, 5, 6]
        #expect(message(notZstd) == "block: ids column: zstd frame: bad magic number 0x4030201")
        var corrupt = BlockAssembler.validColumns()
        var frame = compressor.compress(Array("hello, hello, hello".utf8), level: 1)
        frame[frame.count - 5] ^= 0x40
        corrupt[4].frame = frame
        corrupt[4].raw = Array("hello, hello, hello".utf8)
        corrupt[3].raw = [19, 0]
        let corruptMessage = message(corrupt)
        #expect(corruptMessage?.hasPrefix("block: message bytes column: zstd frame: ") == true, "\(corruptMessage ?? "")")
    }
}

// libFuzzer entry point for the storage v2 block layer (Sources/LogPilotCore/Storage/Blocks).
//
// Every input is used four ways. Besides "no crash, no trap, no memory error", the harness checks:
//
// 1. As a block: BlockCodec.decode either throws a BlockFormatError or returns records that re-encode and decode
//    to the same records, the same summary (raw sizes included) and the same partial decodes; a partial decode
//    followed by `load(.all)` agrees with the full decode, success for success.
// 2. As raw columns (structure-aware: the bytes are cut into seven columns and a record count, and compressed
//    with valid zstd frames, so the column validators see arbitrary contents behind valid checksums): the same
//    checks as 1.
// 3. As a serialized TokenFilter: init(serialized:) either throws or gives a filter that serializes back to the
//    identical bytes, and the in-place `mayContain(_:serialized:)` agrees with the parsed filter.
// 4. As messages and meta: a filter built from the input's lines has every substring of every line, and every
//    field the JSON parser finds in the input (MetaFieldScanner agrees with JSONParser).
//
// Build and run with fuzz/run-blocks.sh.

#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) let compressor = ZstdCompressor()
nonisolated(unsafe) let decompressor = ZstdDecompressor()
nonisolated(unsafe) let filterBuilder = TokenFilterBuilder()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    BlockChecks.decodeBlock(bytes)
    BlockChecks.decodeRawColumns(bytes)
    BlockChecks.filterBytes(bytes)
    BlockChecks.filterHasEverything(bytes)
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    // `BLOCK_FUZZ_WRITE_SEEDS=dir block-fuzz` writes the seed inputs and exits (fuzz/run-blocks.sh does this).
    if let directory = getenv("BLOCK_FUZZ_WRITE_SEEDS") {
        Seeds.write(to: String(cString: directory))
        exit(0)
    }
    return 0
}

/// Stops the process with a message that libFuzzer records next to the crashing input.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fatalError("invariant violated: \(message())")
    }
}

enum BlockChecks {
    static func decode(_ bytes: UnsafeRawBufferPointer, _ columns: BlockColumns = .all) -> Result<DecodedBlock, BlockFormatError> {
        Result { () throws(BlockFormatError) in try BlockCodec.decode(bytes, decompressor: decompressor, columns: columns) }
    }

    /// The checks of 1 and 2 on one candidate block.
    static func checkBlock(_ bytes: UnsafeRawBufferPointer, columnsSeed: UInt8) {
        let full = decode(bytes)
        // A partial decode, then the rest loaded later: success exactly when the full decode succeeds.
        let subset = BlockColumns(rawValue: columnsSeed & BlockColumns.all.rawValue)
        let partial = decode(bytes, subset)
        var loaded: Result<DecodedBlock, BlockFormatError>
        switch partial {
        case .success(var block):
            loaded = Result { () throws(BlockFormatError) in
                try block.load(.all, from: bytes, decompressor: decompressor)
                return block
            }
        case .failure(let error):
            loaded = .failure(error)
        }
        guard case .success(let block) = full else {
            if case .failure(let error) = full {
                check(error.message.hasPrefix("block: "), "error without the block prefix: \(error.message)")
            }
            check((try? loaded.get()) == nil, "partial decode + load succeeded where the full decode failed")
            return
        }
        guard case .success(let reloaded) = loaded else {
            check(false, "partial decode + load failed where the full decode succeeded")
            return
        }
        let records = block.records()
        check(reloaded.records() == records, "partial decode + load gave other records")
        check(records.count == block.count, "record count")
        for index in records.indices.dropFirst() {
            check(records[index].id > records[index - 1].id, "ids not strictly increasing")
        }
        check(block.messageOffsets.count == block.count + 1 && block.metaOffsets.count == block.count + 1, "offsets")
        // Re-encode: the same records, the same summary.
        let (again, summary) = BlockCodec.encodeWithSummary(records, level: 1, compressor: compressor)
        check(summary == block.summary(), "summary \(summary) != \(block.summary())")
        let redecoded = again.withUnsafeBytes { decode($0) }
        guard case .success(let second) = redecoded else {
            check(false, "re-encoded block does not decode: \(redecoded)")
            return
        }
        check(second.records() == records, "re-encoded block decodes to other records")
        if case .success(let partialBlock) = partial {
            if subset.contains(.ids) { check(partialBlock.ids == block.ids, "partial ids") }
            if subset.contains(.messages) {
                check(partialBlock.messageBytes == block.messageBytes && partialBlock.messageOffsets == block.messageOffsets, "partial messages")
            }
        }
        // The block-wide search agrees with the per-record one for a needle taken from the block.
        if let first = records.first, !first.message.isEmpty {
            let needle = Array(first.message.utf8.prefix(4))
            let expected = (0..<block.count).filter { block.messageContains(needle, at: $0) }
            check(block.indicesOfMessages(containing: needle) == expected, "block search disagrees")
        }
    }

    static func decodeBlock(_ bytes: UnsafeRawBufferPointer) {
        checkBlock(bytes, columnsSeed: bytes.last ?? 0)
    }

    /// Input layout: count byte, then seven length bytes, then the column contents back to back (the last column
    /// takes whatever is left). Assembled into a block with real frames, so the column parsers are reached.
    static func decodeRawColumns(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 8 else { return }
        let count = Int(bytes[0])
        var position = 8
        var raws: [[UInt8]] = []
        for column in 0..<7 {
            let wanted = column == 6 ? bytes.count - position : Int(bytes[1 + column])
            let length = min(wanted, bytes.count - position)
            raws.append(Array(bytes[position..<position + length]))
            position += length
        }
        var block: [UInt8] = Array("LPB1".utf8) + [1]
        var writer = ColumnWriter()
        writer.varint(UInt64(count))
        block += writer.bytes + [7]
        var frames: [UInt8] = []
        for (index, raw) in raws.enumerated() {
            let frame = compressor.compress(raw, level: 1)
            var entry = ColumnWriter()
            entry.byte(UInt8(index + 1))
            entry.varint(UInt64(raw.count))
            entry.varint(UInt64(frame.count))
            block += entry.bytes
            frames += frame
        }
        block += frames
        block.withUnsafeBytes { checkBlock($0, columnsSeed: bytes[0]) }
    }

    static func filterBytes(_ bytes: UnsafeRawBufferPointer) {
        let parsed = Result { () throws(BlockFormatError) in try TokenFilter(serialized: bytes) }
        let probes = [
            TokenFilter.Probe(substring: Array(bytes.prefix(5))),
            TokenFilter.Probe(substring: Array(bytes.suffix(3))),
            TokenFilter.Probe(fieldName: "trace_id", value: String(decoding: bytes.prefix(8), as: UTF8.self)),
        ]
        switch parsed {
        case .success(let filter):
            check(filter.serialized() == Array(bytes), "filter does not serialize back to its bytes")
            for probe in probes {
                let inPlace = Result { () throws(BlockFormatError) in try TokenFilter.mayContain(probe, serialized: bytes) }
                check((try? inPlace.get()) == filter.mayContain(probe), "in-place filter answer differs")
            }
        case .failure(let error):
            check(error.message.hasPrefix("filter: "), "error without the filter prefix: \(error.message)")
            for probe in probes {
                let inPlace = Result { () throws(BlockFormatError) in try TokenFilter.mayContain(probe, serialized: bytes) }
                check((try? inPlace.get()) == nil, "in-place filter accepted what init(serialized:) refused")
            }
        }
    }

    static func filterHasEverything(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for line in lines {
            filterBuilder.addMessage(line)
            filterBuilder.addMeta(line)
        }
        let filter = filterBuilder.finish()
        for line in lines {
            let utf8 = Array(line.utf8)
            // The whole line's trigrams include those of every substring of it; also one short piece directly.
            check(filter.mayContainSubstring(utf8), "missing line \(line)")
            if utf8.count > 3 {
                let start = utf8.count / 3
                check(filter.mayContainSubstring(Array(utf8[start..<min(utf8.count, start + 5)])), "missing substring of \(line)")
            }
            guard let value = try? JSONParser.parse(line), case .object(let members) = value else { continue }
            for member in members {
                let text: String?
                switch member.value {
                case .string(let string): text = string
                case .number(let literal): text = literal
                case .bool(let flag): text = flag ? "true" : "false"
                case .null, .array, .object: text = nil
                }
                if let text {
                    check(filter.mayContainField(name: member.key, value: text), "missing field \(member.key)=\(text) of \(line)")
                }
            }
        }
    }
}

/// Seed inputs: real blocks and filters, and raw-column inputs for check 2.
enum Seeds {
    static func write(to directory: String) {
        var files: [(String, [UInt8])] = []
        let example = [
            BlockRecord(id: 41, timestamp: 1_795_000_000_000_000, level: .info, message: "order 42 created", metaJSON: #"{"orderId":42}"#),
            BlockRecord(id: 44, timestamp: 1_795_000_000_000_250, level: .error, message: "card declined", metaJSON: nil),
        ]
        var mixed: [BlockRecord] = []
        var id: Int64 = 1000
        let messages = ["GET /api/v1/orders/17 status=200", "", "é 日本 👍🏽", "nul \u{0} byte", "upstream api timed out after 1200 ms"]
        for index in 0..<60 {
            id += Int64(index % 7 + 1)
            mixed.append(
                BlockRecord(
                    id: id, timestamp: 1_795_000_000_000_000 + Int64(index / 10) * 3300, level: LogLevel.allCases[index % 6],
                    message: messages[index % messages.count] + " \(index)",
                    metaJSON: index % 3 == 0 ? nil : #"{"trace_id":"4bf92f3577b34da6a3ce929d0e0e\#(index)","user":"u\#(index)","n":\#(index),"ok":true}"#
                )
            )
        }
        let builder = BlockBuilder(level: 3)
        for (name, records) in [("example", example), ("mixed", mixed), ("empty", [BlockRecord]())] {
            let built = builder.build(records)
            files.append(("block-\(name)", built.data))
            files.append(("filter-\(name)", built.filter))
        }
        // Raw columns of the example (count 2; ids, timestamps, levels, lengths, bytes, meta lengths, meta bytes).
        var ids = ColumnWriter()
        ids.zigzag(41)
        ids.varint(2)
        var timestamps = ColumnWriter()
        timestamps.zigzag(1_795_000_000_000_000)
        timestamps.zigzag(250)
        let raw: [[UInt8]] = [ids.bytes, timestamps.bytes, [2, 4], [16, 13], Array("order 42 createdcard declined".utf8), [15, 0],
                              Array(#"{"orderId":42}"#.utf8)]
        files.append(("raw-example", [2] + raw.dropLast().map { UInt8($0.count) } + raw.flatMap { $0 }))
        files.append(("lines", Array("upstream api timed out\n{\"trace_id\":\"abc\",\"n\":1.50,\"b\":false}\n{\"k\\\"\":\"v\\n\"}".utf8)))
        for (name, bytes) in files {
            let path = directory + "/" + name
            guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
            _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
        }
    }
}

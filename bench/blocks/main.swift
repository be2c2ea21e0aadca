// Block format measurements on the varied corpus (Corpus.swift): layout alternatives, bytes per record by block
// size and zstd level (data, filter, SQLite file), encode/decode throughput and filter pruning. Run with
// bench/blocks/run.sh (a release build from the sources, no SwiftPM).

#if canImport(Glibc)
import Glibc
#endif
import CSQLite

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func format(_ value: Double, _ digits: Int = 1) -> String {
    var text = String(Int((value * pow(10, Double(digits))).rounded()))
    if digits > 0 {
        while text.count <= digits { text = "0" + text }
        text.insert(".", at: text.index(text.endIndex, offsetBy: -digits))
    }
    return text
}

func varints(_ values: [Int]) -> [UInt8] {
    var bytes: [UInt8] = []
    for value in values {
        var v = UInt64(value)
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    return bytes
}

nonisolated(unsafe) let compressor = ZstdCompressor()
func z(_ bytes: [UInt8], _ level: Int32 = 3) -> Int { compressor.compress(bytes, level: level).count }

// MARK: - Layout alternatives

func layouts(perChannel: Int, level: Int32) {
    let streams = Corpus.streams(perChannel: perChannel)
    var totals: [String: Int] = [:]
    var order: [String] = []
    func add(_ name: String, _ bytes: Int) {
        if totals[name] == nil { order.append(name) }
        totals[name, default: 0] += bytes
    }
    for records in streams {
        let messages = records.map { Array($0.message.utf8) }
        let metas = records.map { Array($0.metaJSON!.utf8) }
        let messageBytes = messages.flatMap { $0 }
        let metaBytes = metas.flatMap { $0 }
        let messageLengths = varints(messages.map(\.count))
        let metaLengths = varints(metas.map { $0.count + 1 })
        var ids: [UInt8] = varints([Int(records[0].id) * 2])
        ids += varints(zip(records.dropFirst(), records).map { Int($0.id - $1.id - 1) })
        var timestamps: [UInt8] = varints([Int(records[0].timestamp) * 2])
        timestamps += varints(zip(records.dropFirst(), records).map { Int($0.timestamp - $1.timestamp) * 2 })
        add("ids (first, gap-1)", z(ids, level))
        add("timestamps (zigzag deltas)", z(timestamps, level))
        add("levels (byte each)", z(records.map { $0.level.rawValue }, level))
        add("msg: lengths + bytes, 2 frames", z(messageLengths, level) + z(messageBytes, level))
        add("msg: lengths ++ bytes, 1 frame", z(messageLengths + messageBytes, level))
        add("msg: length-prefixed rows, 1 frame", z(zip(messages, messages.map { varints([$0.count]) }).flatMap { $1 + $0 }, level))
        add("msg: newline-separated (no lengths), 1 frame", z(messages.flatMap { $0 + [10] }, level))
        add("meta: lengths + JSON bytes, 2 frames", z(metaLengths, level) + z(metaBytes, level))
        add("meta: lengths ++ JSON bytes, 1 frame", z(metaLengths + metaBytes, level))
        // What a key dictionary could at best save: values only, NUL-separated, keys gone.
        let parsed = records.map { record -> [(String, String)] in
            guard case .object(let members) = try! JSONParser.parse(record.metaJSON!) else { return [] }
            return members.map { ($0.key, $0.value.stringValue ?? "") }
        }
        add("meta: values only (keys dropped), 1 frame", z(parsed.flatMap { $0.flatMap { Array($0.1.utf8) + [UInt8(0)] } }, level))
        // Fully columnar meta: one frame per key, values NUL-separated.
        var perKey = 0
        var perKeyBinary = 0
        for (index, _) in parsed[0].enumerated() {
            let column: [UInt8] = parsed.flatMap { Array($0[index].1.utf8) + [0] }
            perKey += z(column, level)
            let values = parsed.map { $0[index].1 }
            if values.allSatisfy({ $0.count % 2 == 0 && $0.allSatisfy(\.isHexDigit) }) {
                let binary = values.flatMap { text -> [UInt8] in
                    let chars = Array(text.utf8)
                    return stride(from: 0, to: chars.count, by: 2).map { UInt8(String(decoding: chars[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
                }
                perKeyBinary += z(binary, level)
            } else {
                perKeyBinary += z(column, level)
            }
        }
        add("meta: one frame per key (columnar)", perKey)
        add("meta: columnar, hex values as binary", perKeyBinary)
        add("everything as JSON rows, 1 frame", z(records.flatMap { Array("{\"id\":\($0.id),\"ts\":\($0.timestamp),\"level\":\"\($0.level.name)\",\"message\":\"\($0.message)\",\"meta\":\($0.metaJSON!)}\n".utf8) }, level))
    }
    let count = Double(perChannel * streams.count)
    print("\n### Column layouts, \(perChannel) records per block, zstd \(level) (bytes per record)\n")
    print("| layout | bytes/record |")
    print("|---|---:|")
    for name in order { print("| \(name) | \(format(Double(totals[name]!) / count, 2)) |") }
}

// MARK: - SQLite file size

/// Bytes of an SQLite file (WAL checkpointed) holding the blocks as rows of a plausible v2 schema.
func sqliteBytes(_ blocks: [(stream: Int, data: [UInt8], filter: [UInt8], summary: BlockSummary)]) -> Int {
    let path = "/tmp/logpilot-blocks-bench.db"
    unlink(path)
    var db: OpaquePointer?
    sqlite3_open(path, &db)
    sqlite3_exec(db, """
        PRAGMA journal_mode=WAL;
        CREATE TABLE blocks(id INTEGER PRIMARY KEY, stream INTEGER NOT NULL, min_id INTEGER NOT NULL,
          max_id INTEGER NOT NULL, min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL, level_mask INTEGER NOT NULL,
          count INTEGER NOT NULL, data BLOB NOT NULL, filter BLOB NOT NULL);
        CREATE INDEX blocks_stream ON blocks(stream, max_id);
        CREATE INDEX blocks_ts ON blocks(max_ts);
        BEGIN;
        """, nil, nil, nil)
    var statement: OpaquePointer?
    sqlite3_prepare_v2(db, "INSERT INTO blocks VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &statement, nil)
    for block in blocks {
        sqlite3_bind_int64(statement, 1, Int64(block.stream))
        sqlite3_bind_int64(statement, 2, block.summary.minId)
        sqlite3_bind_int64(statement, 3, block.summary.maxId)
        sqlite3_bind_int64(statement, 4, block.summary.minTimestamp)
        sqlite3_bind_int64(statement, 5, block.summary.maxTimestamp)
        sqlite3_bind_int64(statement, 6, Int64(block.summary.levelMask))
        sqlite3_bind_int64(statement, 7, Int64(block.summary.count))
        block.data.withUnsafeBytes { _ = sqlite3_bind_blob(statement, 8, $0.baseAddress, Int32($0.count), nil) }
        block.filter.withUnsafeBytes { _ = sqlite3_bind_blob(statement, 9, $0.baseAddress, Int32($0.count), nil) }
        sqlite3_step(statement)
        sqlite3_reset(statement)
    }
    sqlite3_finalize(statement)
    sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE);", nil, nil, nil)
    var size: OpaquePointer?
    sqlite3_prepare_v2(db, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size", -1, &size, nil)
    sqlite3_step(size)
    let bytes = Int(sqlite3_column_int64(size, 0))
    sqlite3_finalize(size)
    sqlite3_close(db)
    unlink(path)
    unlink(path + "-wal")
    unlink(path + "-shm")
    return bytes
}

// MARK: - The table

func table(blockSizes: [Int], levels: [Int32], totalRecords: Int) {
    print("\n### Blocks of the corpus: bytes per record and throughput (one core, release build)\n")
    print("\(totalRecords) records per row (8 channels; blocks of one channel). Encode = BlockCodec.encode; filter = TokenFilterBuilder (trigrams + meta fields, JSONParser); build = BlockBuilder.build (both); decode = all columns; \"no meta\" = ids, timestamps, levels, messages.\n")
    print("| records/block | zstd | data B/rec | filter B/rec | SQLite file B/rec | encode rec/s | filter rec/s | build rec/s | decode rec/s | decode no meta rec/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for blockSize in blockSizes {
        let perChannel = max(blockSize, totalRecords / 8 / blockSize * blockSize)
        let streams = Corpus.streams(perChannel: perChannel)
        let runs: [(Int, [BlockRecord])] = streams.enumerated().flatMap { stream, records in
            stride(from: 0, to: records.count, by: blockSize).map { (stream, Array(records[$0..<min($0 + blockSize, records.count)])) }
        }
        let count = Double(runs.reduce(0) { $0 + $1.1.count })
        for level in levels {
            let clock = ContinuousClock()
            var encoded: [[UInt8]] = []
            let encodeTime = clock.measure {
                encoded = runs.map { BlockCodec.encode($0.1, level: level, compressor: compressor) }
            }
            let filterBuilder = TokenFilterBuilder()
            var filters: [[UInt8]] = []
            let filterTime = clock.measure {
                filters = runs.map { _, records in
                    for record in records {
                        filterBuilder.addMessage(record.message)
                        filterBuilder.addMeta(record.metaJSON!)
                    }
                    return filterBuilder.finish().serialized()
                }
            }
            let builder = BlockBuilder(level: level)
            var built: [(stream: Int, data: [UInt8], filter: [UInt8], summary: BlockSummary)] = []
            let buildTime = clock.measure {
                built = runs.map { stream, records in
                    let block = builder.build(records)
                    return (stream, block.data, block.filter, block.summary)
                }
            }
            let decompressor = ZstdDecompressor()
            var checksum = 0
            let decodeTime = clock.measure {
                for block in encoded {
                    checksum &+= try! BlockCodec.decode(block, decompressor: decompressor).count
                }
            }
            let decodeNoMetaTime = clock.measure {
                for block in encoded {
                    checksum &+= try! BlockCodec.decode(block, decompressor: decompressor, columns: [.ids, .timestamps, .levels, .messages]).count
                }
            }
            precondition(checksum == 2 * Int(count))
            let data = Double(encoded.reduce(0) { $0 + $1.count }) / count
            let filter = Double(filters.reduce(0) { $0 + $1.count }) / count
            let file = Double(sqliteBytes(built)) / count
            print("| \(blockSize) | \(level) | \(format(data)) | \(format(filter)) | \(format(file)) | \(Int(count / seconds(encodeTime))) | \(Int(count / seconds(filterTime))) | \(Int(count / seconds(buildTime))) | \(Int(count / seconds(decodeTime))) | \(Int(count / seconds(decodeNoMetaTime))) |")
        }
    }
}

// MARK: - Filter pruning

func pruning(perBlock: Int) {
    let streams = Corpus.streams(perChannel: perBlock * 4, seed: 7)
    let builder = BlockBuilder()
    var filters: [TokenFilter] = []
    var blocks: [[BlockRecord]] = []
    for records in streams {
        for start in stride(from: 0, to: records.count, by: perBlock) {
            let run = Array(records[start..<start + perBlock])
            filters.append(try! TokenFilter(serialized: builder.build(run).filter))
            blocks.append(run)
        }
    }
    var corpus = Corpus(seed: 99)
    func rate(_ name: String, _ probe: TokenFilter.Probe, present: (([BlockRecord]) -> Bool)) {
        var passed = 0
        var truePositive = 0
        for (filter, records) in zip(filters, blocks) {
            let isPresent = present(records)
            let may = filter.mayContain(probe)
            precondition(may || !isPresent, "false negative for \(name)")
            if may { passed += 1 }
            if isPresent { truePositive += 1 }
        }
        print("| \(name) | \(filters.count) | \(truePositive) | \(passed) |")
    }
    print("\n### Filter pruning, \(perBlock)-record blocks, 10 bits/key, k = 7\n")
    print("| question | blocks | blocks holding it | blocks the filter passes |")
    print("|---|---:|---:|---:|")
    for needle in ["canary", "xyzzy", "timed out", "signed in from 10.3.", "INV-0000042", "cache-25"] {
        rate("substring `\(needle)`", .init(substring: Array(needle.utf8))) { $0.contains { $0.message.contains(needle) } }
    }
    for _ in 0..<3 {
        let trace = corpus.hex8() + corpus.hex8() + corpus.hex8() + corpus.hex8()
        rate("field trace_id = random", .init(fieldName: "trace_id", value: trace)) { $0.contains { $0.metaJSON!.contains(trace) } }
    }
    let user = "u000042"
    rate("field user = \(user)", .init(fieldName: "user", value: user)) { $0.contains { $0.metaJSON!.contains("\"\(user)\"") } }
    rate("field region = eu-2", .init(fieldName: "region", value: "eu-2")) { $0.contains { $0.metaJSON!.contains("\"eu-2\"") } }
    // Distinct keys per block, for sizing.
    let probeBuilder = TokenFilterBuilder()
    for record in blocks[0] { probeBuilder.addMessage(record.message) }
    let trigramKeys = probeBuilder.distinctKeys
    for record in blocks[0] { probeBuilder.addMeta(record.metaJSON!) }
    print("\nDistinct keys in one \(perBlock)-record block: \(trigramKeys) trigrams, \(probeBuilder.distinctKeys - trigramKeys) fields.")
    _ = probeBuilder.finish()
}

// MARK: - Main

let arguments = CommandLine.arguments.dropFirst()
let quick = arguments.contains("--quick")
if arguments.contains("--example") {
    // The worked example of docs/block-format.md.
    let records = [
        BlockRecord(id: 41, timestamp: 1_795_000_000_000_000, level: .info, message: "order 42 created", metaJSON: #"{"orderId":42}"#),
        BlockRecord(id: 44, timestamp: 1_795_000_000_000_250, level: .error, message: "card declined", metaJSON: nil),
    ]
    let built = BlockBuilder(level: 3).build(records, withFields: true)
    for (name, bytes) in [("block", built.data), ("filter", built.filter), ("fields", built.fields ?? [])] {
        print("\(name) (\(bytes.count) bytes):")
        for row in stride(from: 0, to: bytes.count, by: 16) {
            let hex = bytes[row..<min(row + 16, bytes.count)].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
            print((row == 0 ? "0000" : String(repeating: "0", count: 4 - String(row, radix: 16).count) + String(row, radix: 16)) + "  " + hex.joined(separator: " "))
        }
    }
    print(built.summary)
    exit(0)
}
if arguments.contains("--profile") {
    // A loop for `perf record`: build the blocks of 32 channels' worth of 16k records, 4 times.
    let streams = Corpus.streams(perChannel: 65536)
    let blocks = streams.flatMap { records in
        stride(from: 0, to: records.count, by: 16384).map { Array(records[$0..<$0 + 16384]) }
    }
    let count = Double(blocks.count * 16384)
    let builder = BlockBuilder()
    let filterBuilder = TokenFilterBuilder()
    var total = 0
    let clock = ContinuousClock()
    func report(_ name: String, _ body: () -> Void) {
        print("\(name): \(Int(count / seconds(clock.measure(body)))) records/s")
    }
    for level: Int32 in [1, 3] {
        report("encode zstd \(level)") { for block in blocks { total += BlockCodec.encode(block, level: level, compressor: compressor).count } }
    }
    if arguments.contains("--meta-only") {
        for _ in 0..<5 {
            for block in blocks {
                for record in block { filterBuilder.addMeta(record.metaJSON!) }
                total += filterBuilder.finish().bitCount
            }
        }
        exit(0)
    }
    if arguments.contains("--encode-only") {
        for _ in 0..<3 { for block in blocks { total += BlockCodec.encode(block, level: 3, compressor: compressor).count } }
        exit(0)
    }
    report("filter: messages") {
        for block in blocks {
            for record in block { filterBuilder.addMessage(record.message) }
            total += filterBuilder.finish().bitCount
        }
    }
    report("filter: meta") {
        for block in blocks {
            for record in block { filterBuilder.addMeta(record.metaJSON!) }
            total += filterBuilder.finish().bitCount
        }
    }
    report("build") { for block in blocks { total += builder.build(block).data.count } }
    report("build") { for block in blocks { total += builder.build(block).data.count } }
    exit(0)
}
print("zstd \(ZstdCompressor.libraryVersion)")
let sample = Corpus.streams(perChannel: 2000)
let jsonBytes = sample.flatMap { $0 }.reduce(0) { $0 + $1.message.utf8.count + $1.metaJSON!.utf8.count + 50 }
print("Corpus: about \(jsonBytes / 16000) bytes of JSON per record (message \(sample.flatMap { $0 }.reduce(0) { $0 + $1.message.utf8.count } / 16000), meta \(sample.flatMap { $0 }.reduce(0) { $0 + $1.metaJSON!.utf8.count } / 16000)).")
if !arguments.contains("--no-layouts") {
    layouts(perChannel: 16384, level: 3)
    if !quick { layouts(perChannel: 1000, level: 3) }
}
table(blockSizes: quick ? [16384] : [1000, 16384, 65536], levels: quick ? [3] : [1, 3, 6, 9], totalRecords: quick ? 131_072 : 524_288)
pruning(perBlock: 16384)

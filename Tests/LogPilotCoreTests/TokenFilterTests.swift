import Testing

@testable import LogPilotCore

struct TokenFilterTests {
    /// The fields the filter promises to hold for one meta text, by the full parser.
    private static func parsedFields(_ meta: String) -> [(String, String)]? {
        guard let value = try? JSONParser.parse(meta), case .object(let members) = value else { return nil }
        return members.compactMap { member in
            switch member.value {
            case .string(let text): (member.key, text)
            case .number(let literal): (member.key, literal)
            case .bool(let flag): (member.key, flag ? "true" : "false")
            case .null, .array, .object: nil
            }
        }
    }

    private static func scannedFields(_ meta: String) -> (complete: Bool, fields: [(String, String)]) {
        var meta = meta
        var fields: [(String, String)] = []
        let complete = meta.withUTF8 { bytes in
            MetaFieldScanner.scan(bytes) { key, value in
                fields.append((String(decoding: bytes[key], as: UTF8.self), String(decoding: bytes[value], as: UTF8.self)))
            }
        }
        return (complete, fields)
    }

    // MARK: - No false negatives

    @Test(arguments: 0..<60 as Range<UInt64>)
    func everyPresentSubstringAndFieldMayBeThere(seed: UInt64) throws {
        var random = RandomRecords(seed: seed, hugeMessages: seed % 10 == 0)
        let records = random.records(random.int(1...300))
        let built = BlockBuilder(level: 1).build(records, withFields: true)
        let filter = try TokenFilter(serialized: built.filter)
        let fieldFilter = try TokenFilter(serialized: try #require(built.fields))
        for record in records {
            let message = Array(record.message.utf8)
            for _ in 0..<10 where !message.isEmpty {
                let start = random.int(0...message.count - 1)
                let end = random.int(start...min(message.count, start + 40))
                let needle = Array(message[start..<end])
                #expect(filter.mayContainSubstring(needle), "seed \(seed): \(needle)")
                let inPlace = built.filter.withUnsafeBytes { raw in
                    Result { () throws(BlockFormatError) in try TokenFilter.mayContain(.init(substring: needle), serialized: raw) }
                }
                #expect(try inPlace.get())
            }
            #expect(filter.mayContainSubstring(record.message))
            if let meta = record.metaJSON, let fields = Self.parsedFields(meta) {
                for (name, value) in fields {
                    #expect(fieldFilter.mayContainField(name: name, value: value), "seed \(seed): \(name)=\(value) in \(meta)")
                }
            }
        }
    }

    @Test(arguments: 0..<40 as Range<UInt64>)
    func scannerAgreesWithParser(seed: UInt64) {
        var random = RandomRecords(seed: seed + 900)
        for _ in 0..<200 {
            var meta = random.metaJSON()
            if random.chance(10) { meta = " \n" + meta + "\t " }
            let scanned = Self.scannedFields(meta)
            guard let parsed = Self.parsedFields(meta) else { continue }
            if scanned.complete {
                #expect(scanned.fields.map { "\($0.0)=\($0.1)" } == parsed.map { "\($0.0)=\($0.1)" }, "\(meta)")
            } else {
                // What the scanner reported before giving up is a prefix of the parser's fields.
                #expect(Array(parsed.prefix(scanned.fields.count)).map { "\($0.0)=\($0.1)" } == scanned.fields.map { "\($0.0)=\($0.1)" }, "\(meta)")
                #expect(meta.contains("\\"), "the scanner gave up on \(meta) without an escape")
            }
        }
    }

    @Test func scannerCases() {
        #expect(Self.scannedFields("{}").complete)
        #expect(Self.scannedFields(" { } ").complete)
        let mixed = Self.scannedFields(#"{"a":"x","n":-1.5e+3,"t":true,"f":false,"z":null,"o":{"k":"}"},"l":[1,"]"],"a":"y"}"#)
        #expect(mixed.complete)
        #expect(mixed.fields.map { "\($0.0)=\($0.1)" } == ["a=x", "n=-1.5e+3", "t=true", "f=false", "a=y"])
        #expect(!Self.scannedFields(#"{"a\"b":1}"#).complete)
        #expect(!Self.scannedFields(#"{"a":"\n"}"#).complete)
        #expect(!Self.scannedFields("[1]").complete)
        #expect(!Self.scannedFields("").complete)
        #expect(!Self.scannedFields(#"{"a":1"#).complete)
        #expect(!Self.scannedFields(#"{"a":1} x"#).complete)
        #expect(!Self.scannedFields(#"{"a":tru}"#).complete)
    }

    @Test func escapedMetaGoesThroughTheParser() {
        let builder = TokenFilterBuilder()
        builder.addMeta(#"{"quote\"key":"line\nbreak","plain":"v","u":"\u00e9"}"#)
        let filter = builder.finish()
        #expect(filter.fieldsComplete)
        #expect(filter.mayContainField(name: "quote\"key", value: "line\nbreak"))
        #expect(filter.mayContainField(name: "plain", value: "v"))
        #expect(filter.mayContainField(name: "u", value: "é"))
    }

    @Test func metaThatIsNotAnObjectMakesFieldsIncomplete() throws {
        let builder = TokenFilterBuilder()
        builder.addMessage("hello world")
        builder.addMeta("not json")
        let filter = builder.finish()
        #expect(!filter.fieldsComplete)
        #expect(filter.mayContainField(name: "anything", value: "at all"))
        #expect(!filter.mayContainSubstring("zzz"))
        let reread = try TokenFilter(serialized: filter.serialized())
        #expect(reread == filter)
        #expect(reread.mayContainField(name: "anything", value: "at all"))
    }

    @Test func shortNeedlesAlwaysMayMatch() {
        let empty = TokenFilterBuilder().finish()
        #expect(empty.bitCount == 64)
        #expect(empty.mayContainSubstring(""))
        #expect(empty.mayContainSubstring("ab"))
        #expect(!empty.mayContainSubstring("abc"))
        #expect(!empty.mayContainField(name: "a", value: "b"))
    }

    @Test func trigramsDoNotSpanMessagesAndBuilderStartsClean() {
        let builder = TokenFilterBuilder()
        builder.addMessage("ab")
        builder.addMessage("cd")
        let first = builder.finish()
        #expect(!first.mayContainSubstring("abc"))
        // A builder reused for the next block must not remember the previous block's trigrams as seen.
        builder.addMessage("canary")
        _ = builder.finish()
        builder.addMessage("canary")
        let third = builder.finish()
        #expect(third.mayContainSubstring("canary"))
        #expect(third.mayContainSubstring("nar"))
    }

    @Test func falsePositiveRateIsAboutOnePercent() {
        let builder = TokenFilterBuilder()
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<20_000 {
            builder.addMeta("{\"trace_id\":\"\(String(rng.next(), radix: 16))\"}")
        }
        let filter = builder.finish()
        #expect(filter.bitCount >= 200_000)
        var positives = 0
        for _ in 0..<20_000 where filter.mayContainField(name: "trace_id", value: "absent-\(rng.next())") {
            positives += 1
        }
        // 10 bits per key and k = 7 give about 0.8 %.
        #expect(positives < 400, "\(positives) false positives in 20 000")
        let sparse = TokenFilterBuilder(bitsPerKey: 20, hashCount: 7)
        sparse.addMeta("{\"a\":\"b\"}")
        #expect(sparse.finish().bitCount == 64)
    }

    @Test func fieldDomainsDoNotCollideWithTrigrams() {
        let builder = TokenFilterBuilder()
        builder.addMessage("a=b")
        let filter = builder.finish()
        #expect(filter.mayContainSubstring("a=b"))
        #expect(!filter.mayContainField(name: "a", value: "b"))
    }

    // MARK: - Serialization

    @Test func serializationRoundTrips() throws {
        let builder = TokenFilterBuilder(bitsPerKey: 12, hashCount: 5)
        builder.addMessage("the quick brown fox")
        builder.addMeta(#"{"user":"u42","n":7}"#)
        let filter = builder.finish()
        let bytes = filter.serialized()
        #expect(bytes.count == TokenFilter.headerBytes + filter.bitCount / 8)
        #expect(Array(bytes.prefix(3)) == [1, 5, 0])
        let reread = try TokenFilter(serialized: bytes)
        #expect(reread == filter)
        #expect(reread.hashCount == 5)
        #expect(reread.mayContainField(name: "n", value: "7"))
        #expect(!reread.mayContainField(name: "n", value: "7.0"))
        #expect(reread.mayContainSubstring("quick"))
    }

    @Test func serializedFormIsValidated() {
        func error(_ bytes: [UInt8]) -> String? {
            Result { () throws(BlockFormatError) in try TokenFilter(serialized: bytes) }.errorMessage
        }
        let valid = TokenFilterBuilder().finish().serialized()
        #expect(error(valid) == nil)
        #expect(error([]) == "filter: 0 bytes is shorter than the 7-byte header")
        var bytes = valid
        bytes[0] = 2
        #expect(error(bytes) == "filter: unsupported version 2 at byte 0")
        bytes = valid
        bytes[1] = 0
        #expect(error(bytes) == "filter: hash count 0 is outside 1...32 at byte 1")
        bytes = valid
        bytes[2] = 2
        #expect(error(bytes) == "filter: unknown flags 0x2 at byte 2")
        bytes = valid
        bytes[3] = 65
        #expect(error(bytes) == "filter: bit count 65 is not a positive multiple of 64 up to 2147483648 at byte 3")
        bytes = valid
        bytes[6] = 0x80
        #expect(error(bytes)?.hasPrefix("filter: bit count 2147483712") == true)
        #expect(error(valid + [0]) == "filter: 16 bytes, a filter of 64 bits has 15")
        #expect(error(Array(valid.dropLast())) == "filter: 14 bytes, a filter of 64 bits has 15")
        var rng = SeededGenerator(seed: 9)
        for _ in 0..<2000 {
            let garbage = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = error(garbage)
        }
    }
}

import Foundation
import Testing

@testable import LogPilotCore

/// docs/block-format.md shows the bytes of a worked example; these tests rebuild it so the page cannot drift.
struct BlockFormatDocTests {
    static let page = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/block-format.md")

    static let records = [
        BlockRecord(id: 41, timestamp: 1_795_000_000_000_000, level: .info, message: "order 42 created", metaJSON: #"{"orderId":42}"#),
        BlockRecord(id: 44, timestamp: 1_795_000_000_000_250, level: .error, message: "card declined", metaJSON: nil),
    ]

    /// The bytes of the hex dump between `<!-- name:begin -->` and `<!-- name:end -->` (offset column skipped).
    static func dump(_ name: String) throws -> [UInt8] {
        let text = try String(contentsOf: page, encoding: .utf8)
        let begin = try #require(text.range(of: "<!-- \(name):begin -->"))
        let end = try #require(text.range(of: "<!-- \(name):end -->"))
        var bytes: [UInt8] = []
        for line in text[begin.upperBound..<end.lowerBound].split(separator: "\n") where !line.hasPrefix("```") {
            for token in line.split(separator: " ").dropFirst() {
                bytes.append(try #require(UInt8(token, radix: 16), "not a hex byte: \(token)"))
            }
        }
        return bytes
    }

    @Test func exampleBlockMatchesThePage() throws {
        let built = BlockBuilder(level: 3).build(Self.records, withFields: true)
        #expect(try Self.dump("example-block") == built.data)
        #expect(try Self.dump("example-filter") == built.filter)
        #expect(try Self.dump("example-fields") == built.fields)
        #expect(
            built.summary
                == BlockSummary(count: 2, minId: 41, maxId: 44, minTimestamp: 1_795_000_000_000_000, maxTimestamp: 1_795_000_000_000_250, levelMask: 0x14, rawBytes: 61)
        )
    }

    @Test func pageDumpDecodesToTheExample() throws {
        let block = try BlockCodec.decode(try Self.dump("example-block"), decompressor: ZstdDecompressor())
        #expect(block.records() == Self.records)
        let filter = try TokenFilter(serialized: try Self.dump("example-filter"))
        #expect(filter.bitCount == 256 && filter.hashCount == 7)
        #expect(filter.mayContainSubstring("ord") && filter.mayContainSubstring("card declined"))
        let fields = try TokenFilter(serialized: try Self.dump("example-fields"))
        #expect(fields.bitCount == 64 && fields.hashCount == 7)
        #expect(fields.mayContainField(name: "orderId", value: "42"))
    }

    @Test func primitivesOnThePage() {
        var writer = ColumnWriter()
        for value: UInt64 in [0, 127, 128, 300] { writer.varint(value) }
        #expect(writer.bytes == [0x00, 0x7F, 0x80, 0x01, 0xAC, 0x02])
        var signed = ColumnWriter()
        for value: Int64 in [41, -1, 250] { signed.zigzag(value) }
        #expect(signed.bytes == [0x52, 0x01, 0xF4, 0x03])
        // The hand check of the trigram "ord".
        #expect(TokenFilter.trigramHash(0x6F_7264) == 0x2DC8_398F_FDBC_6A9E)
        #expect(TokenFilter.fieldHash(name: "orderId", value: "42") == 0x5C12_F350_86AB_0CE5)
    }
}

import Testing

@testable import LogPilotCore

struct ZstdTests {
    let compressor = ZstdCompressor()
    let decompressor = ZstdDecompressor()

    private func decompress(_ frame: [UInt8], expectedSize: Int, using decompressor: ZstdDecompressor? = nil) -> Result<[UInt8], BlockFormatError> {
        let decompressor = decompressor ?? self.decompressor
        return frame.withUnsafeBytes { raw in
            Result { () throws(BlockFormatError) in try decompressor.decompress(raw, expectedSize: expectedSize) }
        }
    }

    @Test(arguments: [0, 1, 100, 70_000, 1 << 20])
    func roundTrip(size: Int) throws {
        var rng = SeededGenerator(seed: UInt64(size))
        let data = (0..<size).map { _ in UInt8.random(in: 0...15, using: &rng) }
        for level: Int32 in [-1, 1, 3, 9] {
            let frame = compressor.compress(data, level: level)
            // Magic, then a frame header descriptor with the checksum flag (bit 2).
            #expect(Array(frame.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD])
            #expect(frame[4] & 0x04 != 0)
            #expect(try decompress(frame, expectedSize: size).get() == data)
        }
    }

    @Test func refusesWrongSizesAndExtraBytes() {
        let data = Array("hello hello hello hello".utf8)
        let frame = compressor.compress(data, level: 3)
        #expect(decompress(frame, expectedSize: 22).errorMessage == "zstd frame: declares 23 content bytes, expected 22")
        #expect(decompress(frame + [0], expectedSize: 23).errorMessage == "zstd frame: 1 bytes after the end of the frame")
        #expect(decompress(frame + frame, expectedSize: 23).errorMessage == "zstd frame: \(frame.count) bytes after the end of the frame")
        #expect(decompress(Array(frame.dropLast()), expectedSize: 23).errorMessage != nil)
        #expect(decompress([0x28, 0xB5], expectedSize: 0).errorMessage == "zstd frame: 2 bytes is too short for a frame header")
        let small = ZstdDecompressor(maxSize: 10)
        #expect(decompress(frame, expectedSize: 23, using: small).errorMessage == "zstd frame: expected size 23 is above the limit of 10 bytes")
        #expect(decompress(frame, expectedSize: -1).errorMessage != nil)
    }

    @Test func reportsZstdErrorsAndRecovers() throws {
        let data = Array(String(repeating: "abcdefgh", count: 100).utf8)
        var frame = compressor.compress(data, level: 3)
        // Corrupt the stored checksum: zstd names the problem.
        frame[frame.count - 1] ^= 0xFF
        #expect(decompress(frame, expectedSize: data.count).errorMessage == "zstd frame: Restored data doesn't match checksum")
        // The context is usable again afterwards.
        #expect(try decompress(compressor.compress(data, level: 1), expectedSize: data.count).get() == data)
    }

    @Test func levelRangeAndVersion() {
        #expect(ZstdCompressor.levelRange.contains(1) && ZstdCompressor.levelRange.contains(19))
        #expect(ZstdCompressor.libraryVersion.split(separator: ".").count == 3)
    }
}

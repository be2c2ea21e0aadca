/// A Bloom filter over one block's message trigrams and meta fields, used to skip blocks that cannot match.
///
/// It never answers `false` for something the block holds (no false negatives); it answers `true` for something
/// the block does not hold about 1 % of the time at the default 10 bits per key (k = 7).
///
/// Two kinds of key share one bit array, hashed in different domains:
///
/// - **Trigrams**: every distinct 3-byte window of every message. Search keeps exact, case-sensitive substring
///   semantics, so a needle of three bytes or more can only occur in a block holding all of the needle's trigrams;
///   ``mayContainSubstring(_:)-([UInt8])`` checks them (shorter needles always answer `true`). Trigrams never span
///   two messages.
/// - **Fields**: every top-level member of a record's meta object whose value is a string, number or bool, keyed by
///   the member name and its value: a string's unescaped text, a number's JSON literal exactly as written (`1.50`
///   is not `1.5`), `true` or `false`. ``mayContainField(name:value:)`` prunes an exact field-equality filter. When a
///   meta text in the block could not be parsed as a JSON object, the filter is marked incomplete and every field
///   question answers `true`.
///
/// Hashing (see `docs/block-format.md` for the byte layout): a key's 64-bit hash `h` is
/// `mix64(0x9E3779B97F4A7C15 ^ trigram)` for a trigram `b0 << 16 | b1 << 8 | b2`, and
/// `mix64(0xC2B2AE3D27D4EB4F ^ fnv1a64(name ‖ 0xFF ‖ value))` for a field (0xFF never occurs in UTF-8, so
/// name and value cannot run into each other), where `mix64` is the splitmix64 finalizer. With `h1` its low and
/// `h2` its high 32 bits, the key sets bits `((h1 &+ i &* h2) * bitCount) >> 32` for `i` in `0 ..< k`
/// (32-bit wrapping arithmetic, then a 64-bit multiply).
public struct TokenFilter: Sendable, Equatable {
    /// The serialization version this code writes and reads.
    public static let version: UInt8 = 1
    /// Bytes before the bit array: version, k, flags, bit count (UInt32 little-endian).
    public static let headerBytes = 7
    /// The largest bit array accepted (256 MiB of bits is far beyond what a 64 MiB column can need).
    public static let maxBitCount = 1 << 31
    /// The largest number of hash functions accepted.
    public static let maxHashCount = 32

    /// Flag bit: some meta text could not be parsed, so fields were not all added.
    static let fieldsIncompleteFlag: UInt8 = 1

    /// The number of hash functions (bits set per key).
    public let hashCount: Int
    /// The number of bits in the array, a multiple of 64.
    public let bitCount: Int
    /// Whether every record's meta fields were added (otherwise field questions always answer `true`).
    public let fieldsComplete: Bool
    private let words: [UInt64]

    init(hashCount: Int, words: [UInt64], fieldsComplete: Bool) {
        precondition(hashCount >= 1 && hashCount <= Self.maxHashCount && !words.isEmpty)
        self.hashCount = hashCount
        self.bitCount = words.count * 64
        self.fieldsComplete = fieldsComplete
        self.words = words
    }

    // MARK: - Questions

    /// Whether a message of the block may contain `needle` (bytes, case-sensitive). `false` is certain.
    public func mayContainSubstring(_ needle: [UInt8]) -> Bool {
        mayContain(Probe(substring: needle))
    }

    /// Whether a message of the block may contain `needle` (its UTF-8 bytes, case-sensitive). `false` is certain.
    public func mayContainSubstring(_ needle: String) -> Bool {
        mayContain(Probe(substring: Array(needle.utf8)))
    }

    /// Whether a record of the block may have the top-level meta member `name` with the value `value` (a string's
    /// unescaped text, a number's literal as written, `true` or `false`). `false` is certain.
    public func mayContainField(name: String, value: String) -> Bool {
        mayContain(Probe(fieldName: name, value: value))
    }

    /// Whether the block may hold what `probe` describes. A probe hashes its question once, so one probe can be
    /// asked of many blocks' filters cheaply.
    public func mayContain(_ probe: Probe) -> Bool {
        if probe.isField, !fieldsComplete { return true }
        for hash in probe.hashes where !mayContain(hash: hash) {
            return false
        }
        return true
    }

    @inline(__always)
    private func mayContain(hash: UInt64) -> Bool {
        let h1 = UInt32(truncatingIfNeeded: hash)
        let h2 = UInt32(truncatingIfNeeded: hash >> 32)
        let bits = UInt64(bitCount)
        for i in 0..<UInt32(hashCount) {
            let bit = Int((UInt64(h1 &+ i &* h2) &* bits) >> 32)
            if words[bit >> 6] & (1 << UInt64(bit & 63)) == 0 {
                return false
            }
        }
        return true
    }

    /// A question for ``mayContain(_:)``: the hashes of a substring's trigrams, or of one field.
    public struct Probe: Sendable, Equatable {
        let hashes: [UInt64]
        let isField: Bool

        /// Asks whether some message may contain `needle` (needles under 3 bytes always may).
        public init(substring needle: [UInt8]) {
            var hashes: [UInt64] = []
            if needle.count >= 3 {
                hashes.reserveCapacity(needle.count - 2)
                for start in 0...(needle.count - 3) {
                    let trigram = UInt32(needle[start]) << 16 | UInt32(needle[start + 1]) << 8 | UInt32(needle[start + 2])
                    let hash = TokenFilter.trigramHash(trigram)
                    if !hashes.contains(hash) { hashes.append(hash) }
                }
            }
            self.hashes = hashes
            self.isField = false
        }

        /// Asks whether some record may have the meta member `name` equal to `value`.
        public init(fieldName name: String, value: String) {
            self.hashes = [TokenFilter.fieldHash(name: name.utf8, value: value.utf8)]
            self.isField = true
        }
    }

    // MARK: - Hashing

    static let trigramSeed: UInt64 = 0x9E37_79B9_7F4A_7C15
    static let fieldSeed: UInt64 = 0xC2B2_AE3D_27D4_EB4F

    /// The splitmix64 finalizer.
    @inline(__always)
    static func mix64(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    static func trigramHash(_ trigram: UInt32) -> UInt64 {
        mix64(trigramSeed ^ UInt64(trigram))
    }

    static let fnvOffset: UInt64 = 0xCBF2_9CE4_8422_2325
    static let fnvPrime: UInt64 = 0x0000_0100_0000_01B3

    static func fieldHash(name: some Sequence<UInt8>, value: some Sequence<UInt8>) -> UInt64 {
        var hash = fnvOffset
        for byte in name { hash = (hash ^ UInt64(byte)) &* fnvPrime }
        hash = (hash ^ 0xFF) &* fnvPrime
        for byte in value { hash = (hash ^ UInt64(byte)) &* fnvPrime }
        return mix64(fieldSeed ^ hash)
    }

    static func fieldHash(name: String, value: String) -> UInt64 {
        fieldHash(name: name.utf8, value: value.utf8)
    }

    /// Sets the `k` bits of `hash` in `words` (the filter's bit array of `words.count * 64` bits).
    @inline(__always)
    static func insert(_ hash: UInt64, into words: inout [UInt64], hashCount: Int) {
        let h1 = UInt32(truncatingIfNeeded: hash)
        let h2 = UInt32(truncatingIfNeeded: hash >> 32)
        let bits = UInt64(words.count * 64)
        for i in 0..<UInt32(hashCount) {
            let bit = Int((UInt64(h1 &+ i &* h2) &* bits) >> 32)
            words[bit >> 6] |= 1 << UInt64(bit & 63)
        }
    }

    /// The same, on the bit array's storage (the builder's loop over every key of a block).
    @inline(__always)
    static func insert(_ hash: UInt64, into words: UnsafeMutableBufferPointer<UInt64>, hashCount: Int) {
        let h1 = UInt32(truncatingIfNeeded: hash)
        let h2 = UInt32(truncatingIfNeeded: hash >> 32)
        let bits = UInt64(words.count * 64)
        for i in 0..<UInt32(hashCount) {
            let bit = Int((UInt64(h1 &+ i &* h2) &* bits) >> 32)
            words[bit >> 6] |= 1 << UInt64(bit & 63)
        }
    }

    // MARK: - Serialization

    /// The filter as bytes: version, k, flags, bit count (UInt32 LE), then the bit array as UInt64 LE words.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerBytes + words.count * 8)
        bytes.append(Self.version)
        bytes.append(UInt8(hashCount))
        bytes.append(fieldsComplete ? 0 : Self.fieldsIncompleteFlag)
        let bits = UInt32(bitCount)
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(shift))) }
        for word in words {
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return bytes
    }

    /// Reads a serialized filter, validating it in full.
    ///
    /// - Throws: ``BlockFormatError`` for an unknown version or flag, a hash count outside 1…``maxHashCount``, a
    ///   bit count that is zero, not a multiple of 64 or above ``maxBitCount``, or a length that does not match.
    public init(serialized bytes: UnsafeRawBufferPointer) throws(BlockFormatError) {
        let header = try Header(bytes)
        var words = [UInt64](repeating: 0, count: header.bitCount / 64)
        for index in words.indices {
            let base = Self.headerBytes + index * 8
            var word: UInt64 = 0
            for byte in 0..<8 { word |= UInt64(bytes[base + byte]) << UInt64(8 * byte) }
            words[index] = word
        }
        self.init(hashCount: header.hashCount, words: words, fieldsComplete: header.fieldsComplete)
    }

    /// Asks `probe` of a serialized filter in place, without copying its bit array: what a search does for each
    /// candidate block. The header is validated as in ``init(serialized:)-(UnsafeRawBufferPointer)``.
    public static func mayContain(_ probe: Probe, serialized bytes: UnsafeRawBufferPointer) throws(BlockFormatError) -> Bool {
        let header = try Header(bytes)
        if probe.isField, !header.fieldsComplete { return true }
        let bits = UInt64(header.bitCount)
        for hash in probe.hashes {
            let h1 = UInt32(truncatingIfNeeded: hash)
            let h2 = UInt32(truncatingIfNeeded: hash >> 32)
            for i in 0..<UInt32(header.hashCount) {
                // Words are little-endian, so bit b of the array is bit b % 8 of byte b / 8.
                let bit = Int((UInt64(h1 &+ i &* h2) &* bits) >> 32)
                if bytes[Self.headerBytes + bit >> 3] & (1 << UInt8(bit & 7)) == 0 {
                    return false
                }
            }
        }
        return true
    }

    /// The validated fixed header of a serialized filter.
    private struct Header {
        var hashCount: Int
        var bitCount: Int
        var fieldsComplete: Bool

        init(_ bytes: UnsafeRawBufferPointer) throws(BlockFormatError) {
            guard bytes.count >= TokenFilter.headerBytes else {
                throw BlockFormatError("filter: \(bytes.count) bytes is shorter than the \(TokenFilter.headerBytes)-byte header")
            }
            guard bytes[0] == TokenFilter.version else {
                throw BlockFormatError("filter: unsupported version \(bytes[0]) at byte 0")
            }
            hashCount = Int(bytes[1])
            guard hashCount >= 1, hashCount <= TokenFilter.maxHashCount else {
                throw BlockFormatError("filter: hash count \(hashCount) is outside 1...\(TokenFilter.maxHashCount) at byte 1")
            }
            let flags = bytes[2]
            guard flags & ~TokenFilter.fieldsIncompleteFlag == 0 else {
                throw BlockFormatError("filter: unknown flags 0x\(String(flags, radix: 16)) at byte 2")
            }
            fieldsComplete = flags & TokenFilter.fieldsIncompleteFlag == 0
            bitCount = 0
            for index in 0..<4 { bitCount |= Int(bytes[3 + index]) << (8 * index) }
            guard bitCount > 0, bitCount % 64 == 0, bitCount <= TokenFilter.maxBitCount else {
                throw BlockFormatError(
                    "filter: bit count \(bitCount) is not a positive multiple of 64 up to \(TokenFilter.maxBitCount) at byte 3"
                )
            }
            let expected = TokenFilter.headerBytes + bitCount / 8
            guard bytes.count == expected else {
                throw BlockFormatError("filter: \(bytes.count) bytes, a filter of \(bitCount) bits has \(expected)")
            }
        }
    }

    /// Reads a serialized filter held in an array (see ``init(serialized:)-(UnsafeRawBufferPointer)``).
    public init(serialized bytes: [UInt8]) throws(BlockFormatError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(BlockFormatError) in try TokenFilter(serialized: raw) }
        }
        self = try result.get()
    }
}

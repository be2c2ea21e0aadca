// The two primitive encodings of the block format: unsigned LEB128 varints and zigzag varints for signed values.
// `ColumnWriter` appends them; `ColumnReader` reads them back from untrusted bytes, validating every step.

/// Appends varints and raw bytes to a growing buffer.
struct ColumnWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Unsigned LEB128: seven bits per byte, least significant group first, high bit set on every byte but the
    /// last. 1 to 10 bytes; always the shortest form.
    @inline(__always)
    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    /// A signed value as the varint of its zigzag form (0, -1, 1, -2, … → 0, 1, 2, 3, …).
    @inline(__always)
    mutating func zigzag(_ value: Int64) {
        varint(ZigZag.encode(value))
    }

    mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    /// The number of bytes `value` takes as a varint.
    static func varintSize(_ value: UInt64) -> Int {
        // 1 + floor(bits / 7), where bits = 64 - leadingZeroBitCount (at least 1 for zero).
        let bits = 64 - (value | 1).leadingZeroBitCount
        return (bits + 6) / 7
    }
}

/// Zigzag mapping between signed and unsigned 64-bit values (Protocol Buffers' `sint64`).
enum ZigZag {
    @inline(__always)
    static func encode(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    @inline(__always)
    static func decode(_ value: UInt64) -> Int64 {
        Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }
}

/// Reads varints from untrusted bytes. Every failure throws a ``BlockFormatError`` naming the part (e.g.
/// `block: ids column`) and the byte offset within it.
struct ColumnReader {
    let bytes: [UInt8]
    let part: String
    private(set) var position: Int = 0

    init(_ bytes: [UInt8], part: String) {
        self.bytes = bytes
        self.part = part
    }

    var isAtEnd: Bool { position == bytes.count }
    var remaining: Int { bytes.count - position }

    func failure(_ reason: String, at offset: Int) -> BlockFormatError {
        BlockFormatError("\(part): \(reason) at byte \(offset)")
    }

    /// An unsigned LEB128 varint in its shortest form, at most 10 bytes and 64 bits.
    @inline(__always)
    mutating func varint() throws(BlockFormatError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else {
                throw failure("varint runs past the end", at: start)
            }
            let byte = bytes[position]
            position += 1
            if byte < 0x80 {
                if shift == 63, byte > 1 {
                    throw failure("varint overflows 64 bits", at: start)
                }
                if byte == 0, shift > 0 {
                    throw failure("varint is not in its shortest form", at: start)
                }
                return result | UInt64(byte) << shift
            }
            if shift == 63 {
                throw failure("varint overflows 64 bits", at: start)
            }
            result |= UInt64(byte & 0x7F) << shift
            shift += 7
        }
    }

    /// A zigzag varint.
    @inline(__always)
    mutating func zigzag() throws(BlockFormatError) -> Int64 {
        ZigZag.decode(try varint())
    }

    /// A varint that must be at most `limit`, as an `Int`.
    mutating func length(atMost limit: Int, _ what: String) throws(BlockFormatError) -> Int {
        let start = position
        let value = try varint()
        guard value <= UInt64(limit) else {
            throw failure("\(what) \(value) is above the limit of \(limit)", at: start)
        }
        return Int(value)
    }

    mutating func byte(_ what: String) throws(BlockFormatError) -> UInt8 {
        guard position < bytes.count else {
            throw failure("\(what) runs past the end", at: position)
        }
        defer { position += 1 }
        return bytes[position]
    }

    /// Throws unless every byte was read.
    func expectEnd() throws(BlockFormatError) {
        guard isAtEnd else {
            throw failure("\(remaining) unexpected trailing bytes", at: position)
        }
    }
}

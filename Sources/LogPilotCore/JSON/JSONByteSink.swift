/// A destination for the compact bytes that ``JSONScanner/transferValue(maxDepth:into:)`` emits
/// while it validates a value.
protocol JSONByteSink {
    /// Appends one byte.
    mutating func append(_ byte: UInt8)

    /// Appends a run of bytes.
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>)
}

/// A sink that keeps the compact JSON text in a reusable byte array.
struct CompactJSONBuffer: JSONByteSink {
    /// The bytes written so far.
    var bytes: [UInt8] = []

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        self.bytes.append(byte)
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes.append(contentsOf: bytes)
    }
}

/// A sink that drops everything: used to validate and skip a value.
struct DiscardingJSONSink: JSONByteSink {
    @inline(__always)
    mutating func append(_ byte: UInt8) {}

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {}
}

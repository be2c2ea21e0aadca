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

/// A sink that only counts the bytes of the compact form.
///
/// When the count equals the length of the input the value was read from, the input contained no
/// insignificant whitespace and is already compact, so it can be used without copying fragments.
struct CountingJSONSink: JSONByteSink {
    /// The number of bytes the compact form has.
    var count = 0

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        self.count &+= 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.count &+= bytes.count
    }
}

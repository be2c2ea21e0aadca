/// Builds the ``TokenFilter`` of one block at a time, reusing its scratch memory across blocks.
///
/// Keys are deduplicated exactly before the bit array is sized: trigrams with a 2^24-bit bitmap (2 MiB, allocated
/// once, cleared by the trigrams it saw), fields by their 64-bit hash. The filter then has
/// `max(64, distinct keys × bitsPerKey)` bits, rounded up to a multiple of 64. Not thread-safe: one per writer or
/// compactor thread.
public final class TokenFilterBuilder {
    /// Bits of filter per distinct key; 10 gives about 1 % false positives at k = 7.
    public let bitsPerKey: Int
    /// Hash functions per key.
    public let hashCount: Int

    /// One bit per possible trigram: set while a block's trigrams are gathered.
    private var seenTrigrams: [UInt64]
    private var trigrams: [UInt32] = []
    private var fieldHashes = FieldHashSet()
    private var fieldsComplete = true

    /// Creates a builder.
    ///
    /// - Parameters:
    ///   - bitsPerKey: Filter bits per distinct key, 1…64 (default 10).
    ///   - hashCount: Bits set per key, 1…``TokenFilter/maxHashCount`` (default 7).
    public init(bitsPerKey: Int = 10, hashCount: Int = 7) {
        precondition(bitsPerKey >= 1 && bitsPerKey <= 64, "bitsPerKey must be in 1...64")
        precondition(hashCount >= 1 && hashCount <= TokenFilter.maxHashCount, "hashCount must be in 1...\(TokenFilter.maxHashCount)")
        self.bitsPerKey = bitsPerKey
        self.hashCount = hashCount
        self.seenTrigrams = [UInt64](repeating: 0, count: (1 << 24) / 64)
    }

    /// Adds every trigram of a message.
    public func addMessage(_ message: String) {
        var message = message
        message.withUTF8 { addMessage(bytes: $0) }
    }

    /// Adds every trigram of a message's UTF-8 bytes (e.g. a ``DecodedBlock``'s message range, when compacting).
    public func addMessage(utf8 bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBufferPointer { addMessage(bytes: $0) }
    }

    private func addMessage(bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count >= 3 else { return }
        // The hot loop of every commit: work on local buffers, so that no access to the class's stored properties
        // (each one an exclusivity check) happens per byte.
        var found = trigrams
        trigrams = []
        seenTrigrams.withUnsafeMutableBufferPointer { seen in
            var window = UInt32(bytes[0]) << 8 | UInt32(bytes[1])
            for index in 2..<bytes.count {
                window = (window << 8 | UInt32(bytes[index])) & 0xFF_FFFF
                let word = Int(window >> 6)
                let bit: UInt64 = 1 << UInt64(window & 63)
                if seen[word] & bit == 0 {
                    seen[word] |= bit
                    found.append(window)
                }
            }
        }
        trigrams = found
    }

    /// Adds the string, number and bool members of a meta JSON object (see ``TokenFilter``): by
    /// ``MetaFieldScanner`` (no allocation), or by ``JSONParser`` where the scanner gives up (escapes, unusual
    /// syntax). Text that is not a JSON object marks the filter's fields incomplete.
    public func addMeta(_ metaJSON: String) {
        var metaJSON = metaJSON
        let scanned = metaJSON.withUTF8 { bytes in
            MetaFieldScanner.scan(bytes) { key, value in
                fieldHashes.insert(
                    TokenFilter.fieldHash(name: UnsafeBufferPointer(rebasing: bytes[key]), value: UnsafeBufferPointer(rebasing: bytes[value]))
                )
            }
        }
        if !scanned {
            addMetaParsed(metaJSON)
        }
    }

    /// The slow path of ``addMeta(_:)``.
    func addMetaParsed(_ metaJSON: String) {
        guard let value = try? JSONParser.parse(metaJSON), case .object(let members) = value else {
            fieldsComplete = false
            return
        }
        for member in members {
            switch member.value {
            case .string(let text):
                fieldHashes.insert(TokenFilter.fieldHash(name: member.key, value: text))
            case .number(let literal):
                fieldHashes.insert(TokenFilter.fieldHash(name: member.key, value: literal))
            case .bool(let flag):
                fieldHashes.insert(TokenFilter.fieldHash(name: member.key, value: flag ? "true" : "false"))
            case .null, .array, .object:
                break
            }
        }
    }

    /// Distinct keys added since the last ``finish()``.
    public var distinctKeys: Int { trigrams.count + fieldHashes.count }

    /// Returns the filter of everything added, and starts over empty.
    public func finish() -> TokenFilter {
        let keys = distinctKeys
        let bits = min(max(64, keys * bitsPerKey), TokenFilter.maxBitCount)
        var words = [UInt64](repeating: 0, count: (bits + 63) / 64)
        let hashCount = self.hashCount
        let found = trigrams
        words.withUnsafeMutableBufferPointer { words in
            seenTrigrams.withUnsafeMutableBufferPointer { seen in
                for trigram in found {
                    TokenFilter.insert(TokenFilter.trigramHash(trigram), into: words, hashCount: hashCount)
                    seen[Int(trigram >> 6)] = 0
                }
            }
            for hash in fieldHashes.members {
                TokenFilter.insert(hash, into: words, hashCount: hashCount)
            }
        }
        let filter = TokenFilter(hashCount: hashCount, words: words, fieldsComplete: fieldsComplete)
        trigrams.removeAll(keepingCapacity: true)
        fieldHashes.removeAll()
        fieldsComplete = true
        return filter
    }
}

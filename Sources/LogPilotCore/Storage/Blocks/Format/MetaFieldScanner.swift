/// A fast, allocation-free scan of the top-level members of a meta JSON object, for the token filter.
///
/// It reports each member whose value is a string without escapes, a number or a bool, as byte ranges of the
/// input: the key's bytes between its quotes and the value's bytes (a string's between its quotes, a number's or
/// bool's literal). It gives up (returns `false`) on anything it does not handle itself — a backslash in a key or
/// string value, a syntax it does not expect — and the caller then asks ``JSONParser``. For valid JSON the members
/// it reports before giving up, and all members when it does not give up, are exactly the ones ``JSONParser``
/// would give (unescaped text equals raw text when there is no backslash), so the filter it feeds never misses a
/// field. It may accept some invalid JSON; that only adds keys, which cannot cause a false negative.
enum MetaFieldScanner {
    /// Calls `field(keyRange, valueRange)` for each member; returns whether the whole object was scanned.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ field: (Range<Int>, Range<Int>) -> Void) -> Bool {
        let end = bytes.count
        var index = 0

        func skipWhitespace() {
            while index < end {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        /// A string at `index` (which holds `"`) without backslashes: the range of its contents.
        func plainString() -> Range<Int>? {
            let start = index + 1
            var cursor = start
            while cursor < end {
                let byte = bytes[cursor]
                if byte == 0x22 {
                    index = cursor + 1
                    return start..<cursor
                }
                if byte == 0x5C { return nil }
                cursor += 1
            }
            return nil
        }

        /// Skips a nested array or object at `index`, strings and escapes included.
        func skipContainer() -> Bool {
            var depth = 0
            var inString = false
            while index < end {
                let byte = bytes[index]
                index += 1
                if inString {
                    if byte == 0x5C {
                        index += 1
                    } else if byte == 0x22 {
                        inString = false
                    }
                    continue
                }
                switch byte {
                case 0x22: inString = true
                case 0x5B, 0x7B: depth += 1
                case 0x5D, 0x7D:
                    depth -= 1
                    if depth == 0 { return true }
                default: break
                }
            }
            return false
        }

        skipWhitespace()
        guard index < end, bytes[index] == 0x7B else { return false }
        index += 1
        skipWhitespace()
        if index < end, bytes[index] == 0x7D {
            index += 1
            skipWhitespace()
            return index == end
        }
        while true {
            guard index < end, bytes[index] == 0x22, let key = plainString() else { return false }
            skipWhitespace()
            guard index < end, bytes[index] == 0x3A else { return false }
            index += 1
            skipWhitespace()
            guard index < end else { return false }
            switch bytes[index] {
            case 0x22:
                guard let value = plainString() else { return false }
                field(key, value)
            case 0x2D, 0x30...0x39:
                let start = index
                while index < end, Self.isNumberByte(bytes[index]) { index += 1 }
                field(key, start..<index)
            case 0x74:
                guard Self.literal("true", bytes, at: index) else { return false }
                field(key, index..<index + 4)
                index += 4
            case 0x66:
                guard Self.literal("false", bytes, at: index) else { return false }
                field(key, index..<index + 5)
                index += 5
            case 0x6E:
                guard Self.literal("null", bytes, at: index) else { return false }
                index += 4
            case 0x5B, 0x7B:
                guard skipContainer() else { return false }
            default:
                return false
            }
            skipWhitespace()
            guard index < end else { return false }
            if bytes[index] == 0x2C {
                index += 1
                skipWhitespace()
                continue
            }
            guard bytes[index] == 0x7D else { return false }
            index += 1
            skipWhitespace()
            return index == end
        }
    }

    /// Digits, sign, decimal point and exponent: the bytes a JSON number literal is made of.
    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x2B, 0x2D, 0x2E, 0x45, 0x65: true
        default: false
        }
    }

    private static func literal(_ word: StaticString, _ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        let pointer = word.utf8Start
        for offset in 0..<count where bytes[index + offset] != pointer[offset] {
            return false
        }
        return true
    }
}

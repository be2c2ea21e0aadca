/// Strict UTF-8 validation of decoded text columns, without creating strings.
///
/// Accepts exactly the well-formed sequences of Unicode §3.9 table 3-7: no overlong forms, no surrogates
/// (U+D800…U+DFFF), nothing above U+10FFFF, no truncated sequence. NUL is valid.
enum UTF8Validation {
    /// The offset of the first byte of the first ill-formed sequence in `bytes[range]`, or nil when the whole range
    /// is well formed.
    static func firstInvalidOffset(in bytes: [UInt8], _ range: Range<Int>) -> Int? {
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return index
            }
            guard end - index >= length else { return index }
            let second = bytes[index + 1]
            guard second >= low, second <= high else { return index }
            if length >= 3, bytes[index + 2] & 0xC0 != 0x80 { return index }
            if length == 4, bytes[index + 3] & 0xC0 != 0x80 { return index }
            index += length
        }
        return nil
    }

    /// Whether `offset` (inside `bytes`, or at its end) is where a UTF-8 sequence starts, i.e. not a continuation
    /// byte. In well-formed text, cutting at such offsets only ever gives well-formed pieces.
    @inline(__always)
    static func isBoundary(_ bytes: [UInt8], _ offset: Int) -> Bool {
        offset == bytes.count || bytes[offset] & 0xC0 != 0x80
    }
}

/// A cursor over the bytes of one JSON text: the lexical layer shared by ``JSONParser`` and
/// ``LogBatchJSONDecoder``.
///
/// The scanner reads only inside `base[0..<count]`; every method that looks ahead checks the
/// remaining length first. Strings are validated completely when they are scanned (escape
/// sequences, surrogate pairs, control characters and UTF-8), so the raw bytes of a scanned string
/// can be copied verbatim into compact output and turned into a `String` without repair.
struct JSONScanner {
    /// The location of a scanned string's contents, between its quotes.
    struct StringToken {
        /// Offset of the first content byte (just after the opening quote).
        var start: Int
        /// Offset of the closing quote.
        var end: Int
        /// Whether the contents contain at least one escape sequence.
        var hasEscapes: Bool
    }

    /// The location of a scanned number literal.
    struct NumberToken {
        /// Offset of the literal's first byte.
        var start: Int
        /// Offset just past the literal's last byte.
        var end: Int
        /// Whether the literal has neither a fraction nor an exponent part.
        var isInteger: Bool
    }

    /// The first byte of the input.
    let base: UnsafePointer<UInt8>

    /// The number of input bytes.
    let count: Int

    /// The offset of the next byte to read.
    var index: Int = 0

    /// Reusable storage for strings that contain escape sequences.
    private var unescapedBytes: [UInt8] = []

    /// Creates a scanner over `bytes`, or returns `nil` when `bytes` is empty.
    ///
    /// - Parameter bytes: The JSON text. It must stay valid while the scanner is used.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard let address = bytes.baseAddress, bytes.count > 0 else {
            return nil
        }
        self.base = address.assumingMemoryBound(to: UInt8.self)
        self.count = bytes.count
    }

    // MARK: - Cursor

    /// The byte at the cursor, or `nil` at the end of the input.
    @inline(__always)
    var currentByte: UInt8? {
        self.index < self.count ? self.base[self.index] : nil
    }

    /// Advances the cursor past JSON whitespace (space, tab, line feed, carriage return).
    @inline(__always)
    mutating func skipWhitespace() {
        while self.index < self.count {
            switch self.base[self.index] {
            case 0x20, 0x0A, 0x0D, 0x09:
                self.index &+= 1
            default:
                return
            }
        }
    }

    /// Whether `byte` can start a JSON value.
    @inline(__always)
    static func isValueStart(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "t"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return false
        }
    }

    /// An error for a missing token at the cursor, reported as an unexpected end of input when
    /// the cursor is at the end.
    ///
    /// - Parameter expectation: What the grammar requires here, for example `expected ':'`.
    func unexpectedByte(_ expectation: String) -> JSONSyntaxError {
        if self.index >= self.count {
            return JSONSyntaxError(offset: self.count, reason: "unexpected end of input; " + expectation)
        }
        return JSONSyntaxError(offset: self.index, reason: expectation)
    }

    // MARK: - Literals and numbers

    /// Scans the literal `true`, `false` or `null` at the cursor.
    ///
    /// - Parameter literal: The expected literal.
    mutating func scanLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let length = literal.utf8CodeUnitCount
        let expected = literal.utf8Start
        guard self.count &- self.index >= length else {
            throw JSONSyntaxError(offset: self.index, reason: "invalid literal; expected '\(literal)'")
        }
        for offset in 0..<length where self.base[self.index &+ offset] != expected[offset] {
            throw JSONSyntaxError(offset: self.index, reason: "invalid literal; expected '\(literal)'")
        }
        self.index &+= length
    }

    /// Scans the number literal at the cursor: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    mutating func scanNumber() throws(JSONSyntaxError) -> NumberToken {
        let start = self.index
        var index = start
        if index < self.count, self.base[index] == UInt8(ascii: "-") {
            index &+= 1
        }
        guard index < self.count else {
            throw JSONSyntaxError(offset: self.count, reason: "unexpected end of input in number")
        }
        switch self.base[index] {
        case UInt8(ascii: "0"):
            index &+= 1
            if index < self.count, Self.isDigit(self.base[index]) {
                throw JSONSyntaxError(offset: start, reason: "invalid number; leading zeros are not allowed")
            }
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            index = self.skipDigits(from: index &+ 1)
        default:
            throw JSONSyntaxError(offset: index, reason: "invalid number; expected a digit")
        }
        var isInteger = true
        if index < self.count, self.base[index] == UInt8(ascii: ".") {
            isInteger = false
            index &+= 1
            guard index < self.count, Self.isDigit(self.base[index]) else {
                throw JSONSyntaxError(offset: index, reason: "invalid number; expected a digit after '.'")
            }
            index = self.skipDigits(from: index)
        }
        if index < self.count, self.base[index] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            index &+= 1
            if index < self.count, self.base[index] == UInt8(ascii: "+") || self.base[index] == UInt8(ascii: "-") {
                index &+= 1
            }
            guard index < self.count, Self.isDigit(self.base[index]) else {
                throw JSONSyntaxError(offset: index, reason: "invalid number; expected a digit in the exponent")
            }
            index = self.skipDigits(from: index)
        }
        self.index = index
        return NumberToken(start: start, end: index, isInteger: isInteger)
    }

    /// The bytes of a scanned number literal.
    func bytes(of token: NumberToken) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: self.base + token.start, count: token.end &- token.start)
    }

    /// The input bytes from `start` up to the cursor.
    func bytes(from start: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: self.base + start, count: self.index &- start)
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") <= 9
    }

    @inline(__always)
    private func skipDigits(from start: Int) -> Int {
        var index = start
        while index < self.count, Self.isDigit(self.base[index]) {
            index &+= 1
        }
        return index
    }

    // MARK: - Strings

    /// Scans and validates the string whose opening quote is at the cursor, and moves the cursor
    /// past its closing quote.
    mutating func scanString() throws(JSONSyntaxError) -> StringToken {
        assert(self.base[self.index] == UInt8(ascii: "\""))
        let start = self.index &+ 1
        var index = start
        var hasEscapes = false
        while true {
            // Fast path: step over eight ordinary bytes at a time.
            while index &+ 8 <= self.count {
                let word = UnsafeRawPointer(self.base + index).loadUnaligned(as: UInt64.self)
                let mask = Self.specialByteMask(word)
                if mask != 0 {
                    #if _endian(little)
                    // The lowest flagged byte is always a genuine special byte.
                    index &+= mask.trailingZeroBitCount &>> 3
                    #endif
                    break
                }
                index &+= 8
            }
            guard index < self.count else {
                throw JSONSyntaxError(offset: start &- 1, reason: "unterminated string")
            }
            let byte = self.base[index]
            switch byte {
            case UInt8(ascii: "\""):
                self.index = index &+ 1
                return StringToken(start: start, end: index, hasEscapes: hasEscapes)
            case UInt8(ascii: "\\"):
                index = try self.scanEscapeSequence(at: index)
                hasEscapes = true
            case 0..<0x20:
                throw JSONSyntaxError(offset: index, reason: "unescaped control character in string")
            case 0x80...:
                index = try self.scanUTF8Sequence(at: index)
            default:
                index &+= 1
            }
        }
    }

    /// Returns a mask whose high bit is set in every byte lane of `word` holding a quote, a
    /// backslash, a control character or a non-ASCII byte (plus possibly lanes above such a byte).
    @inline(__always)
    private static func specialByteMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let quoteLanes = word ^ (ones &* 0x22)
        let backslashLanes = word ^ (ones &* 0x5C)
        let quotes = (quoteLanes &- ones) & ~quoteLanes
        let backslashes = (backslashLanes &- ones) & ~backslashLanes
        let controls = (word &- ones &* 0x20) & ~word
        return (quotes | backslashes | controls | word) & highBits
    }

    /// Validates the escape sequence whose backslash is at `index` and returns the offset after it.
    private func scanEscapeSequence(at index: Int) throws(JSONSyntaxError) -> Int {
        guard index &+ 1 < self.count else {
            throw JSONSyntaxError(offset: index, reason: "unterminated escape sequence")
        }
        switch self.base[index &+ 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return index &+ 2
        case UInt8(ascii: "u"):
            guard let unit = self.hexQuad(at: index &+ 2) else {
                throw JSONSyntaxError(offset: index, reason: "invalid \\u escape; expected four hex digits")
            }
            switch unit {
            case 0xD800..<0xDC00:
                let next = index &+ 6
                guard next &+ 1 < self.count, self.base[next] == UInt8(ascii: "\\"),
                    self.base[next &+ 1] == UInt8(ascii: "u")
                else {
                    throw JSONSyntaxError(offset: index, reason: "unpaired UTF-16 surrogate in \\u escape")
                }
                guard let low = self.hexQuad(at: next &+ 2) else {
                    throw JSONSyntaxError(offset: next, reason: "invalid \\u escape; expected four hex digits")
                }
                guard (0xDC00..<0xE000).contains(low) else {
                    throw JSONSyntaxError(offset: index, reason: "unpaired UTF-16 surrogate in \\u escape")
                }
                return next &+ 6
            case 0xDC00..<0xE000:
                throw JSONSyntaxError(offset: index, reason: "unpaired UTF-16 surrogate in \\u escape")
            default:
                return index &+ 6
            }
        default:
            throw JSONSyntaxError(offset: index, reason: "invalid escape sequence")
        }
    }

    /// Validates the multi-byte UTF-8 sequence starting at `index` and returns the offset after it.
    ///
    /// Rejects stray continuation bytes, overlong forms, UTF-16 surrogates, code points above
    /// U+10FFFF and truncated sequences.
    private func scanUTF8Sequence(at index: Int) throws(JSONSyntaxError) -> Int {
        let length: Int
        var lowestSecondByte: UInt8 = 0x80
        var highestSecondByte: UInt8 = 0xBF
        switch self.base[index] {
        case 0xC2...0xDF:
            length = 2
        case 0xE0:
            length = 3
            lowestSecondByte = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF:
            length = 3
        case 0xED:
            length = 3
            highestSecondByte = 0x9F
        case 0xF0:
            length = 4
            lowestSecondByte = 0x90
        case 0xF1...0xF3:
            length = 4
        case 0xF4:
            length = 4
            highestSecondByte = 0x8F
        default:
            throw JSONSyntaxError(offset: index, reason: "invalid UTF-8")
        }
        guard self.count &- index >= length else {
            throw JSONSyntaxError(offset: index, reason: "invalid UTF-8")
        }
        let second = self.base[index &+ 1]
        guard second >= lowestSecondByte, second <= highestSecondByte else {
            throw JSONSyntaxError(offset: index, reason: "invalid UTF-8")
        }
        var offset = 2
        while offset < length {
            guard self.base[index &+ offset] & 0xC0 == 0x80 else {
                throw JSONSyntaxError(offset: index, reason: "invalid UTF-8")
            }
            offset &+= 1
        }
        return index &+ length
    }

    /// The value of four hex digits at `index`, or `nil` when they are missing or not hex.
    private func hexQuad(at index: Int) -> UInt32? {
        guard index >= 0, self.count &- index >= 4 else {
            return nil
        }
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let digit = ASCIIHex.value(self.base[index &+ offset]) else { return nil }
            value = value &<< 4 | UInt32(digit)
        }
        return value
    }

    /// The raw bytes of a scanned string, including both quotes, exactly as they appear in the input.
    func quotedBytes(of token: StringToken) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: self.base + (token.start &- 1), count: token.end &- token.start &+ 2)
    }

    /// Calls `body` with the decoded UTF-8 contents of a scanned string.
    ///
    /// Strings without escape sequences are passed straight from the input; others are decoded into
    /// reusable storage first.
    mutating func withContents<Result>(
        of token: StringToken,
        _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result {
        guard token.hasEscapes else {
            return body(UnsafeBufferPointer(start: self.base + token.start, count: token.end &- token.start))
        }
        self.unescape(token)
        return self.unescapedBytes.withUnsafeBufferPointer(body)
    }

    /// The decoded contents of a scanned string.
    mutating func makeString(_ token: StringToken) -> String {
        self.withContents(of: token) { String(decoding: $0, as: UTF8.self) }
    }

    /// Decodes the escape sequences of a scanned string into ``unescapedBytes``.
    ///
    /// The token has been validated by ``scanString()``; should the input nevertheless be malformed,
    /// this method substitutes U+FFFD rather than failing.
    private mutating func unescape(_ token: StringToken) {
        self.unescapedBytes.removeAll(keepingCapacity: true)
        var index = token.start
        var runStart = index
        while index < token.end {
            guard self.base[index] == UInt8(ascii: "\\") else {
                index &+= 1
                continue
            }
            self.unescapedBytes.append(
                contentsOf: UnsafeBufferPointer(start: self.base + runStart, count: index &- runStart)
            )
            guard index &+ 1 < token.end else {
                index = token.end
                runStart = index
                break
            }
            let escaped = self.base[index &+ 1]
            index &+= 2
            switch escaped {
            case UInt8(ascii: "b"): self.unescapedBytes.append(0x08)
            case UInt8(ascii: "f"): self.unescapedBytes.append(0x0C)
            case UInt8(ascii: "n"): self.unescapedBytes.append(0x0A)
            case UInt8(ascii: "r"): self.unescapedBytes.append(0x0D)
            case UInt8(ascii: "t"): self.unescapedBytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = self.hexQuad(at: index) ?? 0xFFFD
                index = min(index &+ 4, token.end)
                if (0xD800..<0xDC00).contains(scalar), token.end &- index >= 6,
                    self.base[index] == UInt8(ascii: "\\"), self.base[index &+ 1] == UInt8(ascii: "u"),
                    let low = self.hexQuad(at: index &+ 2), (0xDC00..<0xE000).contains(low)
                {
                    scalar = 0x10000 &+ ((scalar &- 0xD800) &<< 10) &+ (low &- 0xDC00)
                    index &+= 6
                } else if (0xD800..<0xE000).contains(scalar) {
                    scalar = 0xFFFD
                }
                self.appendUTF8(scalar)
            default:
                self.unescapedBytes.append(escaped)
            }
            runStart = index
        }
        self.unescapedBytes.append(
            contentsOf: UnsafeBufferPointer(start: self.base + runStart, count: token.end &- runStart)
        )
    }

    /// Appends the UTF-8 encoding of a Unicode scalar value to ``unescapedBytes``.
    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            self.unescapedBytes.append(UInt8(truncatingIfNeeded: scalar))
        case 0x80..<0x800:
            self.unescapedBytes.append(UInt8(truncatingIfNeeded: 0xC0 | scalar &>> 6))
            self.unescapedBytes.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            self.unescapedBytes.append(UInt8(truncatingIfNeeded: 0xE0 | scalar &>> 12))
            self.unescapedBytes.append(UInt8(truncatingIfNeeded: 0x80 | scalar &>> 6 & 0x3F))
            self.unescapedBytes.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        default:
            self.unescapedBytes.append(UInt8(truncatingIfNeeded: 0xF0 | scalar &>> 18))
            self.unescapedBytes.append(UInt8(truncatingIfNeeded: 0x80 | scalar &>> 12 & 0x3F))
            self.unescapedBytes.append(UInt8(truncatingIfNeeded: 0x80 | scalar &>> 6 & 0x3F))
            self.unescapedBytes.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        }
    }
}

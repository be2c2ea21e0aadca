extension JSONScanner {
    /// The result of ``transferValue(maxDepth:into:)``.
    enum TransferOutcome: Equatable {
        /// The value was valid; `topLevelMembers` is its number of members when it is an object
        /// (duplicates counted), and 0 otherwise.
        case transferred(topLevelMembers: Int)

        /// The value nests containers deeper than allowed; `offset` is the offending bracket.
        case depthLimitExceeded(offset: Int)
    }

    /// Validates the JSON value at the cursor and writes it to `sink` in compact form (without
    /// insignificant whitespace), moving the cursor past it.
    ///
    /// Strings and numbers are copied exactly as they appear in the input, so the output parses to
    /// the same value as the input. The walk is iterative: deep input cannot exhaust the stack.
    ///
    /// - Parameters:
    ///   - maxDepth: The deepest container nesting allowed; the outermost container is depth 1.
    ///   - sink: Receives the compact text.
    /// - Returns: Whether the value was transferred or exceeded `maxDepth`.
    mutating func transferValue<Sink: JSONByteSink>(
        maxDepth: Int,
        into sink: inout Sink
    ) throws(JSONSyntaxError) -> TransferOutcome {
        // One entry per open container: `true` for an object, `false` for an array. A bit stack
        // in a machine word covers the common shallow case without allocating.
        var openObjects: UInt64 = 0
        var deepOpenObjects: [Bool] = []
        var depth = 0
        var topLevelMembers = 0

        valueLoop: while true {
            self.skipWhitespace()
            guard let byte = self.currentByte else {
                throw self.unexpectedByte("expected a value")
            }
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth < maxDepth else {
                    return .depthLimitExceeded(offset: self.index)
                }
                let isObject = byte == UInt8(ascii: "{")
                self.index &+= 1
                sink.append(byte)
                self.skipWhitespace()
                let closing = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                if self.currentByte == closing {
                    self.index &+= 1
                    sink.append(closing)
                    break  // An empty container is a complete value.
                }
                depth &+= 1
                if depth <= 64 {
                    let bit: UInt64 = 1 &<< UInt64(depth &- 1)
                    openObjects = isObject ? openObjects | bit : openObjects & ~bit
                } else {
                    deepOpenObjects.append(isObject)
                }
                if isObject {
                    if depth == 1 {
                        topLevelMembers &+= 1
                    }
                    try self.transferKey(into: &sink, expectation: "expected a string key or '}'")
                }
                continue valueLoop
            case UInt8(ascii: "\""):
                let token = try self.scanString()
                sink.append(self.quotedBytes(of: token))
            case UInt8(ascii: "t"):
                try self.scanLiteral("true")
                sink.append(UnsafeBufferPointer(start: self.base + (self.index &- 4), count: 4))
            case UInt8(ascii: "f"):
                try self.scanLiteral("false")
                sink.append(UnsafeBufferPointer(start: self.base + (self.index &- 5), count: 5))
            case UInt8(ascii: "n"):
                try self.scanLiteral("null")
                sink.append(UnsafeBufferPointer(start: self.base + (self.index &- 4), count: 4))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let token = try self.scanNumber()
                sink.append(self.bytes(of: token))
            default:
                throw JSONSyntaxError(offset: self.index, reason: "expected a value")
            }

            // A value is complete: continue or close the enclosing containers.
            while depth > 0 {
                let isObject =
                    depth <= 64
                    ? openObjects & (1 &<< UInt64(depth &- 1)) != 0
                    : deepOpenObjects.last ?? false
                self.skipWhitespace()
                switch self.currentByte {
                case UInt8(ascii: ","):
                    self.index &+= 1
                    sink.append(UInt8(ascii: ","))
                    if isObject {
                        if depth == 1 {
                            topLevelMembers &+= 1
                        }
                        self.skipWhitespace()
                        try self.transferKey(into: &sink, expectation: "expected a string key")
                    }
                    continue valueLoop
                case UInt8(ascii: "}") where isObject, UInt8(ascii: "]") where !isObject:
                    sink.append(self.base[self.index])
                    self.index &+= 1
                    if depth > 64 {
                        deepOpenObjects.removeLast()
                    }
                    depth &-= 1
                default:
                    throw self.unexpectedByte(isObject ? "expected ',' or '}'" : "expected ',' or ']'")
                }
            }
            return .transferred(topLevelMembers: topLevelMembers)
        }
    }

    /// Transfers an object key and its colon; the cursor must be at the key's opening quote.
    private mutating func transferKey<Sink: JSONByteSink>(
        into sink: inout Sink,
        expectation: String
    ) throws(JSONSyntaxError) {
        guard self.currentByte == UInt8(ascii: "\"") else {
            throw self.unexpectedByte(expectation)
        }
        let token = try self.scanString()
        sink.append(self.quotedBytes(of: token))
        self.skipWhitespace()
        guard self.currentByte == UInt8(ascii: ":") else {
            throw self.unexpectedByte("expected ':'")
        }
        self.index &+= 1
        sink.append(UInt8(ascii: ":"))
    }
}

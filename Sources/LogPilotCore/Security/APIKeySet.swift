/// The API keys a server accepts. Empty means authentication is off. Keys are compared in constant time (for a
/// given key length), and the set never reveals which key matched or how close a guess was.
public struct APIKeySet: Sendable, Equatable {
    private let keys: [[UInt8]]

    public init(_ keys: [String]) {
        self.keys = keys.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    /// Whether any key is configured (authentication on).
    public var isEnabled: Bool { !keys.isEmpty }

    public var count: Int { keys.count }

    /// True when `candidate` equals one of the keys. Every key is compared in full, whatever matched earlier.
    public func accepts(_ candidate: some StringProtocol) -> Bool {
        let bytes = Array(candidate.utf8)
        var matched: UInt8 = 0
        for key in keys {
            matched |= Self.constantTimeEquals(key, bytes)
        }
        return matched != 0
    }

    /// 1 when equal, 0 otherwise, touching every byte of `key` regardless of where a difference is.
    private static func constantTimeEquals(_ key: [UInt8], _ candidate: [UInt8]) -> UInt8 {
        var difference: UInt8 = key.count == candidate.count ? 0 : 1
        for index in 0..<key.count {
            let other = index < candidate.count ? candidate[index] : 0
            difference |= key[index] ^ other
        }
        return difference == 0 ? 1 : 0
    }
}

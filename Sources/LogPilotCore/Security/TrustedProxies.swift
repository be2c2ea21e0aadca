#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or a single address).
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6), masked to the prefix.
    let bytes: [UInt8]
    let prefixLength: Int

    /// Parses `address[/prefix]`; nil when it is not an IP address or the prefix is out of range.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPNetwork.parseAddress(parts[0]) else { return nil }
        let bits = address.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...bits).contains(parsed) else { return nil }
            prefix = parsed
        }
        self.bytes = IPNetwork.mask(address, prefix)
        self.prefixLength = prefix
    }

    /// Whether `address` (already parsed) lies in this network.
    func contains(_ address: [UInt8]) -> Bool {
        address.count == bytes.count && IPNetwork.mask(address, prefixLength) == bytes
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let text = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
                ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        }
        return "\(text)/\(prefixLength)"
    }

    /// The bytes of an IPv4 or IPv6 address (an IPv4-mapped IPv6 address becomes IPv4), or nil.
    static func parseAddress(_ text: some StringProtocol) -> [UInt8]? {
        var string = String(text).trimmingASCIIWhitespace()
        if string.hasPrefix("["), let close = string.firstIndex(of: "]") {  // [v6]:port
            string = String(string[string.index(after: string.startIndex)..<close])
        }
        if let zone = string.firstIndex(of: "%") { string = String(string[..<zone]) }
        var v4 = in_addr()
        if inet_pton(AF_INET, string, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, string, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                return Array(bytes[12..<16])
            }
            return bytes
        }
        return nil
    }

    private static func mask(_ address: [UInt8], _ prefix: Int) -> [UInt8] {
        var result = address
        for index in result.indices {
            let bitsHere = max(0, min(8, prefix - index * 8))
            result[index] &= bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bitsHere))
        }
        return result
    }
}

/// The proxies (load balancers, ingress controllers) whose `X-Forwarded-For` header is believed. A request from any
/// other peer is charged to the peer's own address, so a client cannot pick its rate-limit bucket by sending the
/// header itself.
public struct TrustedProxies: Sendable, Equatable {
    public let networks: [IPNetwork]

    public init(_ networks: [IPNetwork]) { self.networks = networks }

    /// Parses a list of CIDRs; returns the first entry that is not one.
    public static func parse(_ entries: [String]) -> Result<TrustedProxies, InvalidEntry> {
        var networks: [IPNetwork] = []
        for entry in entries where !entry.trimmingASCIIWhitespace().isEmpty {
            guard let network = IPNetwork(entry.trimmingASCIIWhitespace()) else { return .failure(InvalidEntry(entry: entry)) }
            networks.append(network)
        }
        return .success(TrustedProxies(networks))
    }

    public struct InvalidEntry: Error, Sendable {
        public var entry: String
    }

    func trusts(_ address: [UInt8]) -> Bool { networks.contains { $0.contains(address) } }

    /// The client a request comes from: the peer itself, unless the peer is a trusted proxy; then the right-most
    /// `X-Forwarded-For` entry that is not a trusted proxy (entries further left are whatever the client claimed).
    /// Unparseable entries stop the walk at the last trustworthy hop.
    public func clientAddress(peer: String?, forwardedFor: [String]) -> String {
        guard let peer, let peerBytes = IPNetwork.parseAddress(Self.host(of: peer)) else { return peer ?? "unknown" }
        let normalizedPeer = Self.format(peerBytes)
        guard !networks.isEmpty, trusts(peerBytes), !forwardedFor.isEmpty else { return normalizedPeer }
        var client = normalizedPeer
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingASCIIWhitespace() }
        for hop in hops.reversed() {
            guard let bytes = IPNetwork.parseAddress(hop) else { break }
            client = Self.format(bytes)
            if !trusts(bytes) { break }
        }
        return client
    }

    /// A peer address without its port, in one canonical form (an IPv4-mapped IPv6 address as IPv4): the client of
    /// a connection that no proxy fronts (gRPC).
    public static func address(ofPeer peer: String?) -> String {
        TrustedProxies([]).clientAddress(peer: peer, forwardedFor: [])
    }

    /// `1.2.3.4:5678` → `1.2.3.4`, `[::1]:80` → `::1`, an address without a port unchanged.
    static func host(of address: String) -> Substring {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            return address[address.index(after: address.startIndex)..<close]
        }
        if address.filter({ $0 == ":" }).count == 1, let colon = address.firstIndex(of: ":") {
            return address[..<colon]
        }
        return address[...]
    }

    static func format(_ bytes: [UInt8]) -> String {
        IPNetwork(bytes: bytes).description.split(separator: "/").first.map(String.init) ?? "unknown"
    }
}

extension IPNetwork {
    fileprivate init(bytes: [UInt8]) {
        self.bytes = bytes
        self.prefixLength = bytes.count * 8
    }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> String {
        let scalars = unicodeScalars.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }
        return String(String.UnicodeScalarView(scalars.reversed()))
    }
}

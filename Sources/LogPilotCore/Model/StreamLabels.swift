/// The label set that names a stream: the records of one stream are stored together, in blocks of their own.
///
/// Today a record's stream is its channel (`{"channel": "orders"}`); protocols with richer stream identities (a Loki
/// stream, OTLP resource attributes) add labels. The canonical form — a compact JSON object with the names sorted —
/// is what the `streams` table interns, so equal label sets always map to one stream.
public struct StreamLabels: Sendable, Hashable, CustomStringConvertible {
    /// The label that carries the channel of the REST/gRPC API.
    public static let channelLabel = "channel"

    /// Name/value pairs, sorted by name, names unique.
    public let pairs: [(name: String, value: String)]

    /// The labels of a channel's stream.
    public init(channel: String) {
        self.pairs = [(Self.channelLabel, channel)]
    }

    /// Any label set; a later duplicate name replaces an earlier one.
    public init(_ labels: [(name: String, value: String)]) {
        var byName: [String: String] = [:]
        for (name, value) in labels { byName[name] = value }
        self.pairs = byName.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
    }

    /// The value of a label.
    public subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// The `channel` label, if the stream has one.
    public var channel: String? { self[Self.channelLabel] }

    /// `{"channel":"orders"}`: names sorted, compact, JSON-escaped. Stable: it is the stream's key in storage.
    public var canonical: String {
        var writer = JSONWriter(reservingCapacity: 16 + pairs.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 6 })
        writer.beginObject()
        for (name, value) in pairs {
            writer.writeKey(name)
            writer.writeString(value)
        }
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// 64-bit FNV-1a of `canonical`: a stable, backend-independent fingerprint of the stream.
    public var fingerprint: Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in canonical.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    public var description: String { canonical }

    public static func == (lhs: StreamLabels, rhs: StreamLabels) -> Bool {
        lhs.pairs.count == rhs.pairs.count && zip(lhs.pairs, rhs.pairs).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for (name, value) in pairs {
            hasher.combine(name)
            hasher.combine(value)
        }
    }
}

extension StreamLabels {
    /// Parses the canonical form back (`{"channel":"orders"}`); nil if it is not a JSON object of strings.
    init?(parsingCanonical text: String) {
        guard case .object(let members)? = try? JSONParser.parse(text) else { return nil }
        var pairs: [(name: String, value: String)] = []
        for member in members {
            guard case .string(let value) = member.value else { return nil }
            pairs.append((member.key, value))
        }
        self.init(pairs)
    }
}

// The varied corpus of bench/wrk/corpus.lua, in Swift, for measuring the block format without a server.
//
// Same ten templates, eight channels, level mix (70 % INFO, 15 % DEBUG, 10 % WARN, 5 % ERROR), meta keys (host,
// trace_id, span_id, user, region) and rates ("timed out" one record in 10). What the server adds is simulated:
// ids are global and contiguous per request of BATCH records, every record of a request has the request's receipt
// timestamp (the server stamps it), requests arrive every ~3.3 ms (300k records/s), and each record goes to one of
// the eight channels, so one channel's block sees id gaps of about 8 and runs of equal timestamps.

/// splitmix64: small, seedable, good enough for a corpus.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct CorpusRecord {
    var id: Int64
    var timestamp: Int64
    var channel: Int
    var level: LogLevel
    var message: String
    var meta: String
}

struct Corpus {
    static let channels = ["api", "auth", "billing", "db", "frontend", "payments", "search", "worker"]
    static let tables = ["orders", "events", "sessions", "invoices", "users", "audit_log"]
    static let queues = ["emails", "exports", "webhooks", "thumbnails"]
    static let providers = ["stripe", "adyen", "paypal", "braintree"]
    static let currencies = ["EUR", "USD", "GBP", "CHF"]
    static let mfa = ["totp", "sms", "none", "webauthn"]

    var rng: SplitMix64
    var nextId: Int64 = 1
    var clock: Int64 = 1_795_000_000_000_000
    let batch: Int
    let rare: Int
    var built = 0

    init(seed: UInt64, batch: Int = 1000, rare: Int = 1_000_000) {
        rng = SplitMix64(seed: seed)
        self.batch = batch
        self.rare = rare
    }

    mutating func r(_ low: Int, _ high: Int) -> Int { Int.random(in: low...high, using: &rng) }
    mutating func pick<T>(_ items: [T]) -> T { items[r(0, items.count - 1)] }
    mutating func hex8() -> String {
        let value = UInt32.random(in: 0...UInt32.max, using: &rng)
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 8 - text.count) + text
    }
    mutating func ip() -> String { "10.\(r(0, 31)).\(r(0, 255)).\(r(1, 254))" }
    mutating func uuid() -> String {
        "\(hex8())-\(hex8().prefix(4))-4\(hex8().prefix(3))-a\(hex8().prefix(3))-\(hex8())\(hex8().prefix(4))"
    }
    func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    mutating func template(_ n: Int) -> String {
        switch n {
        case 1:
            return "GET /api/v1/orders/\(r(1, 9_999_999)) status=\(pick([200, 200, 200, 201, 204, 304, 404, 500])) bytes=\(r(80, 90000)) duration_ms=\(r(1, 900)) client=\(ip())"
        case 2:
            return "user u\(pad(r(1, 400_000), 6)) signed in from \(ip()) session=\(hex8())\(hex8()) mfa=\(pick(Self.mfa))"
        case 3:
            return "invoice INV-\(pad(r(1, 9_999_999), 7)) generated for customer c\(pad(r(1, 60000), 5)) amount=\(r(1, 9999)).\(pad(r(0, 99), 2)) currency=\(pick(Self.currencies))"
        case 4:
            return "slow query on table \(pick(Self.tables)) rows_examined=\(r(1000, 5_000_000)) took \(r(200, 30000)) ms plan=\(pick(["index", "seq"]))-scan"
        case 5:
            return "upstream \(pick(Self.channels)) timed out after \(r(1000, 30000)) ms retry=\(r(0, 5)) path=/internal/\(pick(Self.channels))/\(r(1, 999_999))"
        case 6:
            return "payment \(hex8())\(hex8().prefix(4)) captured provider=\(pick(Self.providers)) amount=\(r(1, 4999)).\(pad(r(0, 99), 2)) attempt=\(r(1, 3))"
        case 7:
            return "cache miss key=sess:\(hex8())\(hex8()) node=cache-\(r(1, 24)) ttl=\(r(30, 86400))s"
        case 8:
            return "job \(uuid()) picked from queue=\(pick(Self.queues)) attempt=\(r(1, 5)) worker=w-\(r(1, 64))"
        case 9:
            return "connection reset by peer \(ip()):\(r(1024, 65535)) after \(r(0, 10_000_000)) bytes"
        default:
            return "rendered /dashboard/\(r(1, 99999))/widgets in \(r(1, 2500)) ms components=\(r(1, 80)) cache=\(pick(["hit", "miss"]))"
        }
    }

    mutating func level() -> LogLevel {
        let x = r(1, 100)
        if x <= 70 { return .info }
        if x <= 85 { return .debug }
        if x <= 95 { return .warn }
        return .error
    }

    /// The next record of the global stream.
    mutating func next() -> CorpusRecord {
        if built % batch == 0 {
            clock += Int64(r(2800, 3800))
        }
        built += 1
        let channel = r(0, Self.channels.count - 1)
        let n = r(1, 10) == 1 ? 5 : pick([1, 2, 3, 4, 6, 7, 8, 9, 10])
        var message = template(n)
        if built % rare == 0 { message += " canary" }
        let name = Self.channels[channel]
        let level = level()
        let meta = "{\"host\":\"\(name)-\(r(1, 24))\",\"trace_id\":\"\(hex8())\(hex8())\(hex8())\(hex8())\",\"span_id\":\"\(hex8())\(hex8())\",\"user\":\"u\(pad(r(1, 400_000), 6))\",\"region\":\"eu-\(r(1, 3))\"}"
        defer { nextId += 1 }
        return CorpusRecord(id: nextId, timestamp: clock, channel: channel, level: level, message: message, meta: meta)
    }

    /// Per-channel runs of `perChannel` records each (the global stream split by channel, as the writer does).
    static func streams(perChannel: Int, seed: UInt64 = 1) -> [[BlockRecord]] {
        var corpus = Corpus(seed: seed)
        var streams = [[BlockRecord]](repeating: [], count: channels.count)
        while streams.contains(where: { $0.count < perChannel }) {
            let record = corpus.next()
            if streams[record.channel].count < perChannel {
                streams[record.channel].append(
                    BlockRecord(id: record.id, timestamp: record.timestamp, level: record.level, message: record.message, metaJSON: record.meta)
                )
            }
        }
        return streams
    }
}

// Conversions between the protobuf messages of logpilot.proto and the core's record types.

import LogPilotCore

extension IncomingLogRecord {
    /// The unvalidated record a `LogRequest` carries; `Ingestor` validates it exactly as it validates REST input.
    ///
    /// - `channel`: proto3 cannot tell an unset string from an empty one, so an empty channel is "missing"
    ///   (`channel: is required`, as in REST).
    /// - `level`: passed through; the Ingestor's rule applies (case-insensitive, `WARNING` = `WARN`, empty = `INFO`,
    ///   anything else is INVALID_ARGUMENT). Deliberate change from the Java gRPC server, which turned an unknown
    ///   level into `INFO` while its REST API refused it: one rule for both fronts now.
    /// - `message`: an empty message is allowed (as in REST and in the Java server).
    /// - `timestamp`: epoch milliseconds; 0 (unset) = the server's receive time.
    /// - `meta`: compact JSON object text with keys sorted (deterministic bytes); an empty map is no meta.
    /// - `storage` is ignored.
    init(_ request: LogRequestMessage) {
        let metaJSON = MetaConversion.json(request.meta)
        self.init(
            channel: request.channel.isEmpty ? nil : request.channel,
            level: request.level,
            message: request.message,
            timestamp: request.timestamp == 0 ? nil : TimeConversion.microseconds(milliseconds: request.timestamp),
            metaJSON: metaJSON,
            metaKeyCount: metaJSON == nil ? 0 : request.meta.count
        )
    }

    /// What the record costs while it waits in a stream's buffers: its text plus a fixed per-record overhead
    /// (the same estimate the storage engine's queue uses).
    var approximateBytes: Int {
        (channel?.utf8.count ?? 0) + (message?.utf8.count ?? 0) + (metaJSON?.utf8.count ?? 0) + 64
    }
}

extension LogEntryMessage {
    /// A stored record as a `LogEntry`: `timestamp` in epoch milliseconds (UTC, rounded down), `timestamp_micros`
    /// with the full stored precision, `meta` as a string map (see `MetaConversion.map(json:)`).
    init(_ stored: StoredLogRecord) {
        let record = stored.record
        self.init(
            channel: record.channel,
            level: record.level.name,
            message: record.message,
            meta: MetaConversion.map(json: record.metaJSON),
            timestamp: TimeConversion.milliseconds(microseconds: record.timestamp),
            id: stored.id,
            timestampMicros: record.timestamp
        )
    }
}

/// `map<string, string>` meta ⇄ the stored compact JSON object text.
enum MetaConversion {
    /// A compact JSON object with the keys in sorted order, or nil for an empty map.
    static func json(_ meta: [String: String]) -> String? {
        if meta.isEmpty { return nil }
        var size = 2
        for (key, value) in meta { size += key.utf8.count + value.utf8.count + 6 }
        var writer = JSONWriter(reservingCapacity: size)
        writer.beginObject()
        for (key, value) in meta.sorted(by: { $0.key < $1.key }) {
            writer.writeKey(key)
            writer.writeString(value)
        }
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The stored meta object as a string map: string values as they are, any other value (number, boolean, null,
    /// array, object; REST clients can store those) as its compact JSON text. For a key that occurs twice the first
    /// value wins. No meta, or text that is not a JSON object (never written by LogPilot), gives an empty map.
    static func map(json: String?) -> [String: String] {
        guard let json, case .object(let members)? = try? JSONParser.parse(json) else { return [:] }
        var result: [String: String] = [:]
        result.reserveCapacity(members.count)
        for member in members where result[member.key] == nil {
            if case .string(let text) = member.value {
                result[member.key] = text
            } else {
                result[member.key] = JSONWriter.serialize(member.value)
            }
        }
        return result
    }
}

/// Epoch milliseconds (the proto's unit) ⇄ epoch microseconds (the core's unit).
enum TimeConversion {
    /// Milliseconds to microseconds. Values too large for microseconds saturate at `Int64.min`/`Int64.max`, which
    /// the Ingestor's range check (years 0001–9999) then refuses with a message naming the field.
    static func microseconds(milliseconds: Int64) -> Int64 {
        let (product, overflow) = milliseconds.multipliedReportingOverflow(by: 1_000)
        if overflow { return milliseconds < 0 ? .min : .max }
        return product
    }

    /// Microseconds to milliseconds, rounded down (towards the past, also before 1970).
    static func milliseconds(microseconds: Int64) -> Int64 {
        let (quotient, remainder) = microseconds.quotientAndRemainder(dividingBy: 1_000)
        return remainder < 0 ? quotient - 1 : quotient
    }
}

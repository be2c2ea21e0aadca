import LogPilotCore

/// Writes stored records in the Java-compatible `LogEntry` JSON shape:
/// `{"channel", "level", "message", "meta"?, "id", "timestamp"}` (meta omitted when there is none).
enum LogEntryJSON {
    static func write(_ stored: StoredLogRecord, into writer: inout JSONWriter) {
        let record = stored.record
        writer.beginObject()
        writer.writeKey("channel")
        writer.writeString(record.channel)
        writer.writeKey("level")
        writer.writeString(record.level.name)
        writer.writeKey("message")
        writer.writeString(record.message)
        if let meta = record.metaJSON {
            writer.writeKey("meta")
            writer.writeRaw(meta)
        }
        writer.writeKey("id")
        writer.writeInt64(stored.id)
        writer.writeKey("timestamp")
        writer.writeTimestamp(microseconds: record.timestamp)
        writer.endObject()
    }

    static func writeArray(_ records: [StoredLogRecord], into writer: inout JSONWriter) {
        writer.beginArray()
        for record in records {
            write(record, into: &writer)
        }
        writer.endArray()
    }

    /// A rough size hint so the writer allocates once.
    static func estimatedBytes(_ records: [StoredLogRecord]) -> Int {
        var total = 2
        for stored in records {
            total += 120 + stored.record.message.utf8.count + stored.record.channel.utf8.count
                + (stored.record.metaJSON?.utf8.count ?? 0)
        }
        return total
    }
}

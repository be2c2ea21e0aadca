#if canImport(Glibc)
import Glibc
#endif
public import Logging
import LogPilotCore
import Synchronization

/// A swift-log handler that writes one JSON object per line to standard output:
/// `{"timestamp","level","logger","message","service","version", ...metadata}`. For log collectors in production;
/// `LOGPILOT_LOG_FORMAT=text` keeps the readable format for development.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let service: String

    /// Serialises whole lines so concurrent writers never interleave.
    private static let outputLock = Mutex(())

    public init(label: String, service: String, logLevel: Logger.Level) {
        self.label = label
        self.service = service
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var writer = JSONWriter(reservingCapacity: 256)
        writer.beginObject()
        writer.writeKey("timestamp")
        writer.writeTimestamp(microseconds: WallClock.nowMicroseconds())
        writer.writeKey("level")
        writer.writeString(event.level.rawValue)
        writer.writeKey("logger")
        writer.writeString(label)
        writer.writeKey("message")
        writer.writeString("\(event.message)")
        writer.writeKey("service")
        writer.writeString(service)
        writer.writeKey("version")
        writer.writeString(LogPilotVersion.current)
        writer.writeKey("source")
        writer.writeString(event.source)
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) where !Self.reserved.contains(key) {
            writer.writeKey(key)
            Self.write(value, into: &writer)
        }
        writer.endObject()
        var line = writer.bytes
        line.append(UInt8(ascii: "\n"))
        Self.outputLock.withLock { _ in
            line.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                    if written <= 0 {
                        if written < 0 && Glibc.errno == EINTR { continue }
                        return  // stdout is gone; dropping a log line beats blocking the server
                    }
                    offset += written
                }
            }
        }
    }

    private static let reserved: Set<String> = ["timestamp", "level", "logger", "message", "service", "version", "source"]

    private static func write(_ value: Logger.Metadata.Value, into writer: inout JSONWriter) {
        switch value {
        case .string(let text): writer.writeString(text)
        case .stringConvertible(let convertible): writer.writeString(convertible.description)
        case .array(let values):
            writer.beginArray()
            for element in values { write(element, into: &writer) }
            writer.endArray()
        case .dictionary(let dictionary):
            writer.beginObject()
            for (key, element) in dictionary.sorted(by: { $0.key < $1.key }) {
                writer.writeKey(key)
                write(element, into: &writer)
            }
            writer.endObject()
        }
    }
}

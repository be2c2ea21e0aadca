public import LogPilotCore

/// Spring-actuator-shaped health documents: `{"status": "UP"|"DOWN", "components": {...}}`.
public struct HealthReport: Sendable {
    public enum Probe: String, Sendable {
        /// Everything: storage, readiness, liveness.
        case overall
        /// The process is not wedged (the writer is not stuck). Fails only when a restart would help.
        case liveness
        /// The server can take traffic: storage open and writable, not draining, queue below its high-water mark.
        case readiness
        /// Startup finished (migrations done).
        case startup
    }

    /// A writer stuck in one transaction for longer than this makes liveness fail.
    public static let writerStuckSeconds: Double = 60
    /// An event loop silent for longer than this makes liveness fail (its heartbeat runs every second).
    public static let eventLoopStuckSeconds: Double = 30
    /// Readiness fails while the write queue is fuller than this fraction.
    public static let queueHighWater = 0.9

    public var isUp: Bool
    public var body: [UInt8]

    public init(
        probe: Probe,
        storage: StorageEngine.Status,
        state: ServerState,
        freeBytes: Int64?,
        eventLoopSilenceSeconds: Double = 0
    ) {
        let storageUp = storage.isWritable
        let queueFill = storage.maxQueuedRecords > 0 ? Double(storage.queuedRecords) / Double(storage.maxQueuedRecords) : 0
        let live = storage.writerBusySeconds < Self.writerStuckSeconds && eventLoopSilenceSeconds < Self.eventLoopStuckSeconds
        let started = storage.phase != .starting && storage.phase != .migrating
        let ready = storageUp && !state.isDraining && queueFill < Self.queueHighWater && live

        var readinessReason: String?
        if state.isDraining {
            readinessReason = "shutting down"
        } else if storage.phase != .ready {
            readinessReason = "storage is \(storage.phase.rawValue)"
        } else if let failure = storage.writeFailure {
            readinessReason = "storage writes fail: \(failure)"
        } else if queueFill >= Self.queueHighWater {
            readinessReason = "write queue above \(Int(Self.queueHighWater * 100))% of its bound"
        } else if !live {
            readinessReason = storage.writerBusySeconds >= Self.writerStuckSeconds ? "writer stuck" : "event loop stuck"
        }

        switch probe {
        case .overall: isUp = ready
        case .liveness: isUp = live
        case .readiness: isUp = ready
        case .startup: isUp = started
        }

        var writer = JSONWriter(reservingCapacity: 512)
        writer.beginObject()
        writer.writeKey("status")
        writer.writeString(isUp ? "UP" : "DOWN")
        writer.writeKey("components")
        writer.beginObject()
        if probe == .overall || probe == .readiness || probe == .startup {
            writer.writeKey("storage")
            writer.beginObject()
            writer.writeKey("status")
            writer.writeString(storageUp ? "UP" : "DOWN")
            writer.writeKey("details")
            writer.beginObject()
            writer.writeKey("phase")
            writer.writeString(storage.phase.rawValue)
            writer.writeKey("path")
            writer.writeString(storage.path)
            if let freeBytes {
                writer.writeKey("freeBytes")
                writer.writeInt64(freeBytes)
            }
            writer.writeKey("queuedRecords")
            writer.writeInt64(Int64(storage.queuedRecords))
            writer.writeKey("queuedBytes")
            writer.writeInt64(Int64(storage.queuedBytes))
            if let last = storage.lastCommitAt {
                writer.writeKey("lastCommitAgeSeconds")
                writer.writeRaw(String(Double(max(WallClock.nowMicroseconds() - last, 0) / 1000) / 1000))
            }
            if let failure = storage.writeFailure ?? storage.openFailure {
                writer.writeKey("error")
                writer.writeString(failure)
            }
            writer.endObject()
            writer.endObject()
        }
        if probe == .overall || probe == .readiness {
            writer.writeKey("readiness")
            writer.beginObject()
            writer.writeKey("status")
            writer.writeString(ready ? "UP" : "DOWN")
            if let readinessReason {
                writer.writeKey("details")
                writer.beginObject()
                writer.writeKey("reason")
                writer.writeString(readinessReason)
                writer.endObject()
            }
            writer.endObject()
        }
        if probe == .overall || probe == .liveness {
            writer.writeKey("liveness")
            writer.beginObject()
            writer.writeKey("status")
            writer.writeString(live ? "UP" : "DOWN")
            writer.writeKey("details")
            writer.beginObject()
            writer.writeKey("writerBusySeconds")
            writer.writeRaw(String(storage.writerBusySeconds))
            writer.writeKey("eventLoopSilenceSeconds")
            writer.writeRaw(String((eventLoopSilenceSeconds * 1000).rounded() / 1000))
            writer.endObject()
            writer.endObject()
        }
        writer.endObject()
        writer.endObject()
        body = writer.bytes
    }
}

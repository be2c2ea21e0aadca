public import NIOCore
public import NIOPosix
import Synchronization

/// Tells whether the process's event loops still run: a repeated task on every loop of the shared group records a
/// heartbeat; a loop whose heartbeat is late by more than a bound is wedged (a blocking call on it, a busy loop),
/// and `/health/live` fails so that Kubernetes restarts the pod.
public final class EventLoopWatchdog: Sendable {
    private let beats: Mutex<[NIODeadline]>
    private let loops: [any EventLoop]
    private let tasks = Mutex<[RepeatedTask]>([])

    /// Watches the loops of `group` (the shared group that Hummingbird and the gRPC front use by default).
    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.loops = Array(group.makeIterator())
        self.beats = Mutex(Array(repeating: .now(), count: loops.count))
    }

    /// Starts the heartbeats (idempotent enough: call once at startup).
    public func start(interval: TimeAmount = .seconds(1)) {
        let scheduled = loops.enumerated().map { index, loop in
            loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak self] _ in
                self?.beats.withLock { $0[index] = .now() }
            }
        }
        tasks.withLock { $0 = scheduled }
    }

    public func stop() {
        tasks.withLock { tasks in
            for task in tasks { task.cancel() }
            tasks.removeAll()
        }
    }

    /// Seconds since the most overdue loop last ran its heartbeat (about the interval when all is well).
    public var longestSilenceSeconds: Double {
        let now = NIODeadline.now()
        let oldest = beats.withLock { $0.min() } ?? now
        return Double((now - oldest).nanoseconds) / 1e9
    }
}

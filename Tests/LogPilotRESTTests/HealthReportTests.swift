import Foundation
@testable import LogPilotCore
@testable import LogPilotManagement
import NIOCore
import Testing

/// Probe semantics as values: every transition of startup, readiness and liveness, without a server.
struct HealthReportTests {
    func status(
        phase: StorageEngine.Phase = .ready,
        writeFailure: String? = nil,
        writerBusySeconds: Double = 0,
        queued: Int = 0
    ) -> StorageEngine.Status {
        StorageEngine.Status(
            phase: phase, path: "/data/logpilot.db", writeFailure: writeFailure, openFailure: nil,
            lastCommitAt: nil, writerBusySeconds: writerBusySeconds, queuedRecords: queued, queuedBytes: 0,
            maxQueuedRecords: 100
        )
    }

    func up(_ probe: HealthReport.Probe, _ status: StorageEngine.Status, draining: Bool = false, silence: Double = 0) -> Bool {
        let state = ServerState()
        if draining { state.beginDraining() }
        return HealthReport(probe: probe, storage: status, state: state, freeBytes: 1, eventLoopSilenceSeconds: silence).isUp
    }

    @Test(arguments: [StorageEngine.Phase.starting, .migrating])
    func startingOrMigratingIsNotStartedNorReadyButAlive(phase: StorageEngine.Phase) {
        #expect(!up(.startup, status(phase: phase)))
        #expect(!up(.readiness, status(phase: phase)))
        #expect(up(.liveness, status(phase: phase)))
    }

    @Test func readyWhenStorageIsWritable() {
        #expect(up(.startup, status()))
        #expect(up(.readiness, status()))
        #expect(up(.liveness, status()))
        #expect(up(.overall, status()))
    }

    @Test func failingWritesMakeItNotReadyButAlive() {
        let failing = status(writeFailure: "SQLITE_FULL: database or disk is full")
        #expect(!up(.readiness, failing))
        #expect(up(.liveness, failing))
        #expect(up(.startup, failing))
        let body = String(decoding: HealthReport(probe: .readiness, storage: failing, state: ServerState(), freeBytes: 0).body, as: UTF8.self)
        #expect(body.contains("SQLITE_FULL"))
        #expect(body.contains(#""freeBytes":0"#))
    }

    @Test func aQueueAboveTheHighWaterMarkMakesItNotReady() {
        #expect(up(.readiness, status(queued: 89)))
        #expect(!up(.readiness, status(queued: 90)))
        #expect(up(.liveness, status(queued: 100)))
    }

    @Test func drainingMakesItNotReadyButAlive() {
        #expect(!up(.readiness, status(), draining: true))
        #expect(up(.liveness, status(), draining: true))
    }

    @Test func aStuckWriterOrASilentEventLoopFailsLiveness() {
        #expect(up(.liveness, status(writerBusySeconds: 59)))
        #expect(!up(.liveness, status(writerBusySeconds: 61)))
        #expect(!up(.readiness, status(writerBusySeconds: 61)))
        #expect(up(.liveness, status(), silence: 29))
        #expect(!up(.liveness, status(), silence: 31))
        let body = String(decoding: HealthReport(probe: .readiness, storage: status(), state: ServerState(), freeBytes: nil, eventLoopSilenceSeconds: 31).body, as: UTF8.self)
        #expect(body.contains("event loop stuck"))
    }

    @Test func theWatchdogSeesItsLoopsBeat() async throws {
        let watchdog = EventLoopWatchdog()
        watchdog.start(interval: .milliseconds(20))
        defer { watchdog.stop() }
        try await Task.sleep(for: .milliseconds(1200))
        // Without heartbeats the silence would be the whole 1.2 s since the watchdog was made.
        #expect(watchdog.longestSilenceSeconds < 0.6)
    }
}

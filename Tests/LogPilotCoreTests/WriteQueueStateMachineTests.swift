import Testing
@testable import LogPilotCore

struct WriteQueueStateMachineTests {
    typealias Machine = WriteQueueStateMachine<String>

    @Test func acceptsUntilRecordBoundThenOverloads() {
        var queue = Machine(limits: .init(maxRecords: 10, maxBytes: 1_000, maxJobs: 100))
        #expect(queue.enqueue("a", records: 6, bytes: 100) == .accepted)
        #expect(queue.enqueue("b", records: 4, bytes: 100) == .accepted)
        #expect(queue.enqueue("c", records: 1, bytes: 10) == .overloaded)
        #expect(queue.queuedRecords == 10)
        #expect(queue.queuedBytes == 200)
    }

    @Test func overloadsOnBytesToo() {
        var queue = Machine(limits: .init(maxRecords: 1_000, maxBytes: 100, maxJobs: 100))
        #expect(queue.enqueue("a", records: 1, bytes: 90) == .accepted)
        #expect(queue.enqueue("b", records: 1, bytes: 20) == .overloaded)
    }

    @Test func emptyQueueAcceptsAnOversizedJob() {
        var queue = Machine(limits: .init(maxRecords: 10, maxBytes: 100, maxJobs: 100))
        #expect(queue.enqueue("huge", records: 50, bytes: 5_000) == .accepted)
        #expect(queue.enqueue("next", records: 1, bytes: 1) == .overloaded)
    }

    @Test func jobCountIsBoundedForRecordlessJobs() {
        var queue = Machine(limits: .init(maxRecords: 10, maxBytes: 100, maxJobs: 2))
        #expect(queue.enqueue("a", records: 0, bytes: 0) == .accepted)
        #expect(queue.enqueue("b", records: 0, bytes: 0) == .accepted)
        #expect(queue.enqueue("c", records: 0, bytes: 0) == .overloaded)
    }

    @Test func takeBatchGroupsJobsInOrderUpToTheCommitCap() {
        var queue = Machine(limits: .init(maxRecords: 100, maxBytes: 10_000, maxJobs: 100))
        for name in ["a", "b", "c", "d"] {
            #expect(queue.enqueue(name, records: 3, bytes: 10) == .accepted)
        }
        #expect(queue.takeBatch(maxRecords: 7, maxBytes: 1_000) == ["a", "b"])
        #expect(queue.queuedRecords == 6)
        #expect(queue.takeBatch(maxRecords: 100, maxBytes: 1_000) == ["c", "d"])
        #expect(queue.isEmpty)
        #expect(queue.queuedBytes == 0)
    }

    @Test func takeBatchAlwaysTakesAtLeastOneJob() {
        var queue = Machine(limits: .init(maxRecords: 100, maxBytes: 10_000, maxJobs: 100))
        _ = queue.enqueue("big", records: 50, bytes: 10)
        _ = queue.enqueue("small", records: 1, bytes: 10)
        #expect(queue.takeBatch(maxRecords: 10, maxBytes: 1_000) == ["big"])
        #expect(queue.takeBatch(maxRecords: 10, maxBytes: 1_000) == ["small"])
    }

    @Test func closedQueueRefusesButStillDrains() {
        var queue = Machine(limits: .init(maxRecords: 100, maxBytes: 10_000, maxJobs: 100))
        _ = queue.enqueue("a", records: 1, bytes: 1)
        queue.close()
        #expect(queue.enqueue("b", records: 1, bytes: 1) == .closed)
        #expect(queue.takeBatch(maxRecords: 10, maxBytes: 10) == ["a"])
        #expect(queue.isEmpty)
    }

    @Test func manyCyclesKeepCountsConsistent() {
        var queue = Machine(limits: .init(maxRecords: 1_000_000, maxBytes: 1_000_000_000, maxJobs: 1_000_000))
        var expected: [String] = []
        var taken: [String] = []
        for round in 0..<50 {
            for index in 0..<100 {
                let name = "\(round)-\(index)"
                expected.append(name)
                #expect(queue.enqueue(name, records: 1, bytes: 1) == .accepted)
            }
            taken += queue.takeBatch(maxRecords: 37, maxBytes: 1_000)
        }
        while !queue.isEmpty { taken += queue.takeBatch(maxRecords: 1_000, maxBytes: 1_000) }
        #expect(taken == expected)
        #expect(queue.queuedRecords == 0)
    }

    /// A job the test can watch being released.
    final class TrackedJob {
        let onRelease: () -> Void
        init(onRelease: @escaping () -> Void) { self.onRelease = onRelease }
        deinit { onRelease() }
    }

    @Test func takenJobsAreReleasedAtOnceEvenWhenTheQueueNeverEmpties() {
        var released = 0
        var queue = WriteQueueStateMachine<TrackedJob>(limits: .init(maxRecords: 1_000_000, maxBytes: 1 << 40, maxJobs: 1 << 20))
        // The writer always finds more queued than it takes, so the queue never drains completely.
        for _ in 0..<3 { _ = queue.enqueue(TrackedJob { released += 1 }, records: 10, bytes: 10) }
        for _ in 0..<500 {
            for _ in 0..<2 { _ = queue.enqueue(TrackedJob { released += 1 }, records: 10, bytes: 10) }
            var batch = queue.takeBatch(maxRecords: 20, maxBytes: 1 << 30)
            #expect(batch.count == 2)
            batch.removeAll()
        }
        // Every taken job is gone; only the 3 still queued remain alive.
        #expect(released == 1_000)
        #expect(queue.queuedJobs == 3)
    }
}

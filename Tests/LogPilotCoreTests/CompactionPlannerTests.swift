import Testing
@testable import LogPilotCore

/// Which runs of a stream's blocks the compactor merges, as values.
struct CompactionPlannerTests {
    static let policy = CompactionPolicy(targetRecords: 1_000, targetRawBytes: 1 << 30, minAgeSeconds: 10)
    static let now: Int64 = 1_000_000_000_000

    /// Blocks of the given sizes, consecutive ids, created `age` seconds before `now`.
    func blocks(_ counts: [Int], age: Int64 = 60) -> [CompactionCandidate] {
        var next: Int64 = 1
        return counts.map { count in
            defer { next += Int64(count) }
            return CompactionCandidate(
                ref: BlockRef(minId: next, streamId: 1, maxId: next + Int64(count) - 1, minTimestamp: 0, maxTimestamp: 0,
                              count: count, levelMask: 1, filter: nil),
                rawBytes: count * 100, dataBytes: count * 10, createdAt: Self.now - age * 1_000_000, generation: 0
            )
        }
    }

    func sizes(_ runs: [[CompactionCandidate]]) -> [[Int]] { runs.map { $0.map(\.ref.count) } }

    @Test func smallOldBlocksMergeUpToTheTarget() {
        let planner = CompactionPlanner(policy: Self.policy)
        #expect(sizes(planner.runs(blocks([100, 100, 100, 100, 100, 100, 100]), now: Self.now)) == [[100, 100, 100, 100, 100, 100, 100]])
        #expect(sizes(planner.runs(blocks([300, 300, 300, 300]), now: Self.now)) == [[300, 300, 300]])
    }

    @Test func youngBlocksAndLargeBlocksBreakRuns() {
        let planner = CompactionPlanner(policy: Self.policy)
        var list = blocks([100, 100, 600, 100, 100, 100])
        #expect(sizes(planner.runs(list, now: Self.now)) == [[100, 100], [100, 100, 100]])
        list[5].createdAt = Self.now  // still being written around
        #expect(sizes(planner.runs(list, now: Self.now)) == [[100, 100], [100, 100]])
    }

    @Test func lopsidedRunsWaitUntilTheyDoubleTheirLargestBlock() {
        let planner = CompactionPlanner(policy: Self.policy)
        // 400 + 10 + 10 is not worth re-encoding the 400; the small ones alone are.
        #expect(sizes(planner.runs(blocks([400, 10, 10]), now: Self.now)) == [[10, 10]])
        #expect(sizes(planner.runs(blocks([400, 200, 200]), now: Self.now)) == [[400, 200, 200]])
    }

    @Test func aTrickleStreamIsMergedLogarithmically() {
        // One record per block, merged whenever the planner allows: every record is re-encoded O(log n) times.
        let planner = CompactionPlanner(policy: CompactionPolicy(targetRecords: 1 << 20, targetRawBytes: 1 << 30, minAgeSeconds: 0))
        var stream: [Int] = []
        var rewritten = 0
        for _ in 0..<4_096 {
            stream.append(1)
            while let run = planner.runs(blocks(stream, age: 1), now: Self.now).first {
                let candidates = blocks(stream, age: 1)
                let first = candidates.firstIndex { $0.ref.minId == run[0].ref.minId }!
                let merged = run.reduce(0) { $0 + $1.ref.count }
                rewritten += merged
                stream.replaceSubrange(first..<first + run.count, with: [merged])
            }
        }
        #expect(stream.reduce(0, +) == 4_096)
        #expect(rewritten <= 4_096 * 14, "each record re-encoded \(Double(rewritten) / 4_096) times")
    }
}

import Testing

@testable import LogPilotGRPC

/// `StreamInbox` and `LatestValueMailbox`, the hand-offs behind StreamLogs.
struct StreamPrimitivesTests {
    enum End: Sendable, Equatable {
        case done
        case other
    }

    @Test func inboxHandsOutElementsInOrderThenTheEnding() async throws {
        let inbox = StreamInbox<Int, End>(maxCount: 10, maxCost: 100)
        for value in 0..<5 { #expect(await inbox.push(value, cost: 1)) }
        inbox.finish(.done)
        inbox.finish(.other)  // the first ending wins
        #expect(await inbox.push(99, cost: 1) == false)
        let first = try await inbox.take(maxCount: 3, maxCost: 100)
        #expect(first.elements == [0, 1, 2])
        #expect(first.ending == nil)
        let second = try await inbox.take(maxCount: 3, maxCost: 100)
        #expect(second.elements == [3, 4])
        #expect(second.ending == .done)
    }

    @Test func takeRespectsTheCostBoundButAlwaysTakesOne() async throws {
        let inbox = StreamInbox<Int, End>(maxCount: 10, maxCost: 1_000)
        for cost in [60, 50, 10, 500] { #expect(await inbox.push(cost, cost: cost)) }
        #expect(try await inbox.take(maxCount: 10, maxCost: 100).elements == [60])
        #expect(try await inbox.take(maxCount: 10, maxCost: 100).elements == [50, 10])
        let last = try await inbox.take(maxCount: 10, maxCost: 100)
        #expect(last.elements == [500])
        #expect(last.cost == 500)
    }

    @Test func aFullInboxHoldsTheProducerUntilTheConsumerTakes() async throws {
        let inbox = StreamInbox<Int, End>(maxCount: 2, maxCost: 100)
        let producer = Task {
            var pushed = 0
            for value in 0..<6 where await inbox.push(value, cost: 1) { pushed += 1 }
            inbox.finish(.done)
            return pushed
        }
        var received: [Int] = []
        while true {
            let batch = try await inbox.take(maxCount: 10, maxCost: 100)
            #expect(batch.elements.count <= 2)
            received += batch.elements
            if batch.ending != nil { break }
        }
        #expect(received == Array(0..<6))
        #expect(await producer.value == 6)
    }

    @Test func closingRefusesAndReleasesTheProducer() async {
        let inbox = StreamInbox<Int, End>(maxCount: 1, maxCost: 100)
        #expect(await inbox.push(1, cost: 1))
        let blocked = Task { await inbox.push(2, cost: 1) }
        try? await Task.sleep(for: .milliseconds(20))
        inbox.close()
        #expect(await blocked.value == false)
        #expect(await inbox.push(3, cost: 1) == false)
    }

    @Test func takeThrowsWhenCancelled() async {
        let inbox = StreamInbox<Int, End>(maxCount: 1, maxCost: 100)
        let consumer = Task { () -> Bool in
            do {
                _ = try await inbox.take(maxCount: 1, maxCost: 100)
                return false
            } catch {
                return true
            }
        }
        try? await Task.sleep(for: .milliseconds(20))
        consumer.cancel()
        #expect(await consumer.value)
    }

    @Test func mailboxKeepsOnlyTheNewestValue() async {
        let mailbox = LatestValueMailbox<Int>()
        mailbox.post(1)
        mailbox.post(2)
        #expect(await mailbox.next() == 2)
        mailbox.post(3)
        mailbox.close()
        mailbox.post(4)  // ignored after close
        #expect(await mailbox.next() == 3)
        #expect(await mailbox.next() == nil)
    }

    @Test func mailboxWakesAWaitingReceiver() async {
        let mailbox = LatestValueMailbox<Int>()
        let receiver = Task { await mailbox.next() }
        try? await Task.sleep(for: .milliseconds(20))
        mailbox.post(7)
        #expect(await receiver.value == 7)
        let cancelled = Task { await mailbox.next() }
        cancelled.cancel()
        #expect(await cancelled.value == nil)
    }
}

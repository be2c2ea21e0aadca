import Synchronization
import Testing
@testable import LogPilotCore

/// The bound on concurrent searches: a slot per search, a bounded queue of waiters, refusal beyond it.
struct SearchSlotsTests {
    final class Events: Sendable {
        private let list = Mutex<[String]>([])
        func append(_ event: String) { list.withLock { $0.append(event) } }
        var all: [String] { list.withLock { $0 } }
    }

    @Test func aWaiterRunsOnlyAfterARelease() async {
        let slots = SearchSlots(slots: 1, maxWaiting: 4)
        #expect(await slots.acquire())
        let order = Events()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                #expect(await slots.acquire())
                order.append("waiter ran")
                slots.release()
            }
            try? await Task.sleep(for: .milliseconds(100))
            order.append("released")
            slots.release()
        }
        #expect(order.all == ["released", "waiter ran"])
    }

    @Test func callersBeyondTheQueueAreRefusedAtOnce() async {
        let slots = SearchSlots(slots: 1, maxWaiting: 1)
        #expect(await slots.acquire())
        await withTaskGroup(of: Void.self) { group in
            group.addTask { #expect(await slots.acquire()); slots.release() }  // waits
            try? await Task.sleep(for: .milliseconds(100))
            #expect(await slots.acquire() == false)  // the queue holds one: refused
            slots.release()
        }
        #expect(await slots.acquire())  // everything released: free again
    }
}

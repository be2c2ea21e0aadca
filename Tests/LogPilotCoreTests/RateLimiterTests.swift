import Synchronization
import Testing
@testable import LogPilotCore

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let now = Mutex(1000.0)
    var seconds: Double { now.withLock { $0 } }
    func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
}

struct TokenBucketTests {
    @Test func takesWhileTokensLastThenReportsTheWait() {
        var bucket = TokenBucket(tokens: 2, updatedAt: 0)
        #expect(bucket.take(1, capacity: 2, perSecond: 1, now: 0) == nil)
        #expect(bucket.take(1, capacity: 2, perSecond: 1, now: 0) == nil)
        #expect(bucket.take(1, capacity: 2, perSecond: 1, now: 0) == 1.0)
        #expect(bucket.take(1, capacity: 2, perSecond: 1, now: 0.5) == 0.5)
        #expect(bucket.take(1, capacity: 2, perSecond: 1, now: 1.0) == nil)
    }

    @Test func refillStopsAtCapacity() {
        var bucket = TokenBucket(tokens: 0, updatedAt: 0)
        bucket.refill(capacity: 5, perSecond: 1, now: 100)
        #expect(bucket.tokens == 5)
        #expect(bucket.isFull(capacity: 5, perSecond: 1, now: 100))
    }

    @Test func aFailedTakeSpendsNothing() {
        var bucket = TokenBucket(tokens: 3, updatedAt: 0)
        #expect(bucket.take(5, capacity: 10, perSecond: 1, now: 0) == 2.0)
        #expect(bucket.tokens == 3)
    }
}

struct RateLimiterTests {
    func policy(requests: Int = 2, records: Int = 10, period: Int = 10, maxClients: Int = 100) -> RateLimitPolicy {
        var policy = RateLimitPolicy()
        policy.isEnabled = true
        policy.requestCapacity = requests
        policy.requestRefillTokens = requests
        policy.recordCapacity = records
        policy.recordRefillTokens = records
        policy.refillPeriodSeconds = period
        policy.maxClients = maxClients
        return policy
    }

    @Test func disabledPolicyAllowsEverythingAndKeepsNoState() {
        let limiter = RateLimiter(policy: RateLimitPolicy())
        for _ in 0..<1000 { #expect(limiter.admitRequest(.address("10.0.0.1")) == .allowed) }
        #expect(limiter.admitRecords(1_000_000, for: .address("10.0.0.1")) == .allowed)
        #expect(limiter.trackedClients == 0)
    }

    @Test func requestsAreLimitedPerClientWithARetryHint() {
        let clock = ManualClock()
        let limiter = RateLimiter(policy: policy(requests: 2, period: 10)) { clock.seconds }
        let a = RateLimitClient.apiKey("key-a")
        let b = RateLimitClient.apiKey("key-b")
        #expect(limiter.admitRequest(a) == .allowed)
        #expect(limiter.admitRequest(a) == .allowed)
        #expect(limiter.admitRequest(a) == .limited(retryAfterSeconds: 5))  // 2 per 10 s: one token every 5 s
        #expect(limiter.admitRequest(b) == .allowed)  // another key has its own bucket
        clock.advance(5)
        #expect(limiter.admitRequest(a) == .allowed)
    }

    @Test func recordsAreCountedSeparatelyFromRequests() {
        let clock = ManualClock()
        let limiter = RateLimiter(policy: policy(requests: 100, records: 10, period: 10)) { clock.seconds }
        let client = RateLimitClient.address("192.0.2.1")
        #expect(limiter.admitRecords(8, for: client) == .allowed)
        #expect(limiter.admitRecords(5, for: client) == .limited(retryAfterSeconds: 3))
        #expect(limiter.admitRecords(2, for: client) == .allowed)
        #expect(limiter.admitRequest(client) == .allowed)
    }

    @Test func aKeyAndAnAddressWithTheSameTextAreDifferentClients() {
        let limiter = RateLimiter(policy: policy(requests: 1), clock: { 0 })
        #expect(limiter.admitRequest(.apiKey("x")) == .allowed)
        #expect(limiter.admitRequest(.address("x")) == .allowed)
        #expect(limiter.admitRequest(.apiKey("x")) != .allowed)
    }

    @Test func theClientTableIsBounded() {
        let clock = ManualClock()
        let limiter = RateLimiter(policy: policy(requests: 5, maxClients: 50)) { clock.seconds }
        for index in 0..<10_000 {
            _ = limiter.admitRequest(.address("10.0.\(index / 256).\(index % 256)"))
            clock.advance(0.001)
        }
        #expect(limiter.trackedClients <= 50)
    }

    @Test func idleClientsAreForgottenBeforeActiveOnes() {
        let clock = ManualClock()
        let limiter = RateLimiter(policy: policy(requests: 2, period: 10, maxClients: 2)) { clock.seconds }
        let busy = RateLimitClient.apiKey("busy")
        _ = limiter.admitRequest(busy)
        _ = limiter.admitRequest(busy)  // empty now
        _ = limiter.admitRequest(.apiKey("idle"))
        clock.advance(8)  // "idle" refilled to full; "busy" has 1.6 of 2 tokens
        _ = limiter.admitRequest(.apiKey("new"))
        #expect(limiter.trackedClients == 2)
        // "busy" kept its state: one token left, not a fresh bucket of two.
        #expect(limiter.admitRequest(busy) == .allowed)
        #expect(limiter.admitRequest(busy) != .allowed)
    }

    @Test func anUpdateAppliesAtOnce() {
        let limiter = RateLimiter(policy: policy(requests: 1), clock: { 0 })
        let client = RateLimitClient.apiKey("k")
        #expect(limiter.admitRequest(client) == .allowed)
        #expect(limiter.admitRequest(client) != .allowed)
        limiter.update(RateLimitPolicy())
        #expect(limiter.admitRequest(client) == .allowed)
        #expect(limiter.trackedClients == 0)
    }
}

struct TrustedProxiesTests {
    @Test func parsesNetworksAndRejectsGarbage() throws {
        #expect(IPNetwork("10.0.0.0/8") != nil)
        #expect(IPNetwork("fd00::/8") != nil)
        #expect(IPNetwork("192.168.1.7") != nil)
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("example.com") == nil)
        #expect(IPNetwork("") == nil)
        #expect(IPNetwork("10.1.2.3/8")?.description == "10.0.0.0/8")
        if case .failure(let bad) = TrustedProxies.parse(["10.0.0.0/8", "nope"]) {
            #expect(bad.entry == "nope")
        } else {
            Issue.record("a bad entry must fail")
        }
    }

    @Test func anUntrustedPeerIsTheClientWhateverItClaims() {
        let proxies = TrustedProxies([IPNetwork("10.0.0.0/8")!])
        #expect(proxies.clientAddress(peer: "203.0.113.9", forwardedFor: ["1.2.3.4"]) == "203.0.113.9")
        #expect(TrustedProxies([]).clientAddress(peer: "127.0.0.1", forwardedFor: ["1.2.3.4"]) == "127.0.0.1")
    }

    @Test func aTrustedProxyForwardsTheRightmostUntrustedHop() {
        let proxies = TrustedProxies([IPNetwork("10.0.0.0/8")!])
        // The client sent a forged "6.6.6.6"; the ingress appended the real client, then an internal hop.
        #expect(proxies.clientAddress(peer: "10.0.0.5", forwardedFor: ["6.6.6.6, 198.51.100.7", "10.1.1.1"]) == "198.51.100.7")
        #expect(proxies.clientAddress(peer: "10.0.0.5", forwardedFor: []) == "10.0.0.5")
        #expect(proxies.clientAddress(peer: "10.0.0.5", forwardedFor: ["garbage"]) == "10.0.0.5")
        #expect(proxies.clientAddress(peer: "10.0.0.5", forwardedFor: ["10.2.2.2"]) == "10.2.2.2")
    }

    @Test func peerAddressesWithPortsAndMappedIPv6AreNormalised() {
        let proxies = TrustedProxies([IPNetwork("127.0.0.0/8")!])
        #expect(proxies.clientAddress(peer: "127.0.0.1:5000", forwardedFor: ["2001:db8::1"]) == "2001:db8::1")
        #expect(proxies.clientAddress(peer: "[::ffff:127.0.0.1]:80", forwardedFor: ["192.0.2.1"]) == "192.0.2.1")
        #expect(proxies.clientAddress(peer: "[::1]:80", forwardedFor: ["192.0.2.1"]) == "::1")
    }
}

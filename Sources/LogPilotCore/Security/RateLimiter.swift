import Synchronization

/// How clients are rate limited: two token buckets per client, one counting requests and one counting records, both
/// refilled continuously (`refillTokens` per `refillPeriodSeconds`, up to the capacity).
public struct RateLimitPolicy: Sendable, Equatable {
    /// Off by default: a server without a policy only sheds load by its queue bound (429 when full).
    public var isEnabled = false
    /// Requests a client may send in a burst.
    public var requestCapacity = 100
    /// Requests added back per `refillPeriodSeconds`.
    public var requestRefillTokens = 100
    /// Records a client may send in a burst; at least the largest batch, or that batch could never pass.
    public var recordCapacity = 100_000
    /// Records added back per `refillPeriodSeconds`.
    public var recordRefillTokens = 100_000
    public var refillPeriodSeconds = 60
    /// Clients tracked at once; beyond it, idle clients (full buckets) are forgotten first, then the least recent.
    public var maxClients = 10_000
    /// Proxies whose `X-Forwarded-For` is believed (REST). Empty: the peer address is the client.
    public var trustedProxies = TrustedProxies([])

    public init() {}

    var requestsPerSecond: Double { Double(requestRefillTokens) / Double(refillPeriodSeconds) }
    var recordsPerSecond: Double { Double(recordRefillTokens) / Double(refillPeriodSeconds) }
}

/// A token bucket as a value: `tokens` at time `updatedAt`, refilled lazily on the next `take`.
struct TokenBucket: Sendable, Equatable {
    var tokens: Double
    var updatedAt: Double

    /// Takes `count` tokens, or leaves the bucket as it is and returns the seconds until `count` tokens will be there.
    mutating func take(_ count: Double, capacity: Double, perSecond rate: Double, now: Double) -> Double? {
        refill(capacity: capacity, perSecond: rate, now: now)
        if tokens >= count {
            tokens -= count
            return nil
        }
        guard rate > 0 else { return .infinity }
        return (count - tokens) / rate
    }

    mutating func refill(capacity: Double, perSecond rate: Double, now: Double) {
        if now > updatedAt {
            tokens = min(capacity, tokens + (now - updatedAt) * rate)
            updatedAt = now
        }
        tokens = min(tokens, capacity)
    }

    func isFull(capacity: Double, perSecond rate: Double, now: Double) -> Bool {
        tokens + max(now - updatedAt, 0) * rate >= capacity
    }
}

/// Who a request is charged to: its API key when authentication is on, else its client address.
public struct RateLimitClient: Hashable, Sendable {
    let key: String

    /// A client known by its API key (the key itself is never logged or exported).
    public static func apiKey(_ key: some StringProtocol) -> RateLimitClient { RateLimitClient(key: "k\u{0}" + key) }
    /// A client known by its network address.
    public static func address(_ address: some StringProtocol) -> RateLimitClient {
        RateLimitClient(key: "a\u{0}" + address)
    }
}

/// Per-client token buckets with a bounded table. Thread-safe; one short lock per decision.
public final class RateLimiter: Sendable {
    /// The answer to a request for tokens.
    public enum Decision: Equatable, Sendable {
        case allowed
        /// Try again after this many seconds (rounded up, at least 1).
        case limited(retryAfterSeconds: Int)
    }

    struct Entry {
        var requests: TokenBucket
        var records: TokenBucket
        var lastSeen: Double
    }

    struct State {
        var policy: RateLimitPolicy
        var clients: [RateLimitClient: Entry] = [:]
    }

    private let state: Mutex<State>
    private let clock: @Sendable () -> Double

    /// - Parameter clock: monotonic seconds; injectable for tests.
    public init(policy: RateLimitPolicy, clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds) {
        self.state = Mutex(State(policy: policy))
        self.clock = clock
    }

    public var policy: RateLimitPolicy { state.withLock { $0.policy } }

    /// Whether the policy is on (read on every request: no copy of the policy).
    public var isEnabled: Bool { state.withLock { $0.policy.isEnabled } }

    /// Clients with a bucket right now (bounded by `maxClients`).
    public var trackedClients: Int { state.withLock { $0.clients.count } }

    /// Replaces the policy (a configuration reload). Buckets are kept and clamped to the new capacities.
    public func update(_ policy: RateLimitPolicy) {
        state.withLock { state in
            state.policy = policy
            if !policy.isEnabled { state.clients.removeAll() }
        }
    }

    /// Charges one request to `client`.
    public func admitRequest(_ client: RateLimitClient) -> Decision {
        take(client, requests: 1, records: 0)
    }

    /// Charges `count` records to `client`.
    public func admitRecords(_ count: Int, for client: RateLimitClient) -> Decision {
        take(client, requests: 0, records: count)
    }

    private func take(_ client: RateLimitClient, requests: Int, records: Int) -> Decision {
        let now = clock()
        return state.withLock { state -> Decision in
            let policy = state.policy
            guard policy.isEnabled else { return .allowed }
            let requestCapacity = Double(policy.requestCapacity)
            let recordCapacity = Double(policy.recordCapacity)
            var entry: Entry
            if let existing = state.clients[client] {
                entry = existing
            } else {
                if state.clients.count >= policy.maxClients {
                    Self.makeRoom(in: &state, now: now)
                }
                entry = Entry(
                    requests: TokenBucket(tokens: requestCapacity, updatedAt: now),
                    records: TokenBucket(tokens: recordCapacity, updatedAt: now),
                    lastSeen: now
                )
            }
            entry.lastSeen = now
            var wait: Double?
            if requests > 0 {
                wait = entry.requests.take(Double(requests), capacity: requestCapacity, perSecond: policy.requestsPerSecond, now: now)
            }
            if wait == nil, records > 0 {
                wait = entry.records.take(Double(records), capacity: recordCapacity, perSecond: policy.recordsPerSecond, now: now)
            }
            state.clients[client] = entry
            guard let wait else { return .allowed }
            let seconds = wait.isFinite ? Int(wait.rounded(.up)) : policy.refillPeriodSeconds
            return .limited(retryAfterSeconds: min(max(seconds, 1), 86_400))
        }
    }

    /// Frees at least one slot: forgets every idle client (both buckets full: no state worth keeping); when no client
    /// is idle, the least recently seen one.
    private static func makeRoom(in state: inout State, now: Double) {
        let policy = state.policy
        let requestCapacity = Double(policy.requestCapacity)
        let recordCapacity = Double(policy.recordCapacity)
        let before = state.clients.count
        state.clients = state.clients.filter { _, entry in
            !(entry.requests.isFull(capacity: requestCapacity, perSecond: policy.requestsPerSecond, now: now)
                && entry.records.isFull(capacity: recordCapacity, perSecond: policy.recordsPerSecond, now: now))
        }
        if state.clients.count < before, state.clients.count < policy.maxClients { return }
        while state.clients.count >= policy.maxClients,
            let oldest = state.clients.min(by: { $0.value.lastSeen < $1.value.lastSeen })?.key
        {
            state.clients[oldest] = nil
        }
    }

    /// Seconds on a monotonic clock.
    @Sendable public static func monotonicSeconds() -> Double {
        let elapsed = ContinuousClock.Instant.reference.duration(to: .now)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

extension ContinuousClock.Instant {
    /// A fixed instant to measure monotonic seconds from.
    fileprivate static let reference = ContinuousClock.now
}

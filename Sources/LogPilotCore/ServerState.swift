import Synchronization

/// Process-wide serving state shared by the fronts and the probes: flips to draining the moment a graceful
/// shutdown starts, so readiness turns 503 before any listener stops.
public final class ServerState: Sendable {
    private let draining = Atomic<Bool>(false)

    public init() {}

    /// True once shutdown has begun.
    public var isDraining: Bool { draining.load(ordering: .relaxed) }

    public func beginDraining() {
        draining.store(true, ordering: .relaxed)
    }
}

import Synchronization

/// A setting that may change while the server runs (a config reload): readers always see a whole value, writers
/// replace it at once. One short lock per read.
public final class LiveValue<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    public init(_ value: Value) {
        self.storage = Mutex(value)
    }

    /// The current value.
    public var value: Value {
        storage.withLock { $0 }
    }

    /// Replaces the value.
    public func set(_ value: Value) {
        storage.withLock { $0 = value }
    }
}

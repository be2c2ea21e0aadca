import Foundation
import Logging
@testable import LogPilotCore

/// A scratch directory removed when the test ends.
struct TemporaryDirectory: ~Copyable {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "logpilot-tests-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs `body` with a started engine on a fresh database, and shuts it down afterwards.
func withEngine<T>(
    _ configure: (inout StorageConfiguration) -> Void = { _ in },
    at directory: String? = nil,
    _ body: (StorageEngine) async throws -> T
) async throws -> T {
    let scratch = TemporaryDirectory()
    var configuration = StorageConfiguration(path: (directory ?? scratch.path) + "/logpilot.db", synchronous: .normal)
    configure(&configuration)
    let engine = StorageEngine(configuration: configuration, logger: Logger.quiet)
    try await engine.start()
    do {
        let result = try await body(engine)
        await engine.shutdown()
        return result
    } catch {
        await engine.shutdown()
        throw error
    }
}

func record(
    _ channel: String = "orders",
    _ message: String = "hello",
    level: LogLevel = .info,
    timestamp: Int64 = WallClock.nowMicroseconds(),
    meta: String? = nil
) -> LogRecord {
    LogRecord(timestamp: timestamp, channel: channel, level: level, message: message, metaJSON: meta)
}

extension Logger {
    /// A logger that discards everything, so test output stays readable.
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// Random hex text: blocks compress it no smaller than its entropy, so size limits are reached as with real logs.
func incompressible(_ count: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    let digits = Array("0123456789abcdef")
    return String((0..<count).map { _ in digits[Int(generator.next() % 16)] })
}

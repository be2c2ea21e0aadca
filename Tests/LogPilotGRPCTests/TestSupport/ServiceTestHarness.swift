import Foundation
import LogPilotCore
import Logging
import Testing

@testable import LogPilotGRPC

/// A started storage engine on a fresh database in a scratch directory, with the gRPC services over it.
struct ServiceTestHarness: Sendable {
    let engine: StorageEngine
    let ingestor: Ingestor
    let state: ServerState
    let logService: LogService
    let healthService: HealthService

    /// Runs `body` with a fresh harness; shuts the engine down and removes the directory afterwards.
    static func with(
        limits: IngestLimits = IngestLimits(),
        streamSettings: StreamSettings = .fastForTests,
        configure: (inout StorageConfiguration) -> Void = { _ in },
        _ body: (ServiceTestHarness) async throws -> Void
    ) async throws {
        let directory = NSTemporaryDirectory() + "logpilot-grpc-tests-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = StorageConfiguration(path: directory + "/logpilot.db", synchronous: .normal)
        configure(&configuration)
        let engine = StorageEngine(
            configuration: configuration,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        try await engine.start()
        let ingestor = Ingestor(engine: engine, limits: limits)
        let state = ServerState()
        let harness = ServiceTestHarness(
            engine: engine,
            ingestor: ingestor,
            state: state,
            logService: LogService(ingestor: ingestor, state: state, streamSettings: streamSettings),
            healthService: HealthService(engine: engine, state: state, pollInterval: .milliseconds(10))
        )
        do {
            try await body(harness)
            await engine.shutdown()
        } catch {
            await engine.shutdown()
            throw error
        }
    }

    /// The LogService method `name` (`SendLog`, `StreamLogs`, ...).
    func log(_ name: String) throws -> GRPCMethod {
        try #require(logService.methods.first { $0.path == "/logpilot.LogService/\(name)" })
    }

    /// The Health method `name` (`Check`, `Watch`).
    func health(_ name: String) throws -> GRPCMethod {
        try #require(healthService.methods.first { $0.path == "/grpc.health.v1.Health/\(name)" })
    }

    /// Every stored record, oldest first.
    func storedRecords() async throws -> [StoredLogRecord] {
        try await engine.search(LogSearchQuery(limit: ingestor.limits.maxReadLimit)).records.reversed()
    }
}

extension StreamSettings {
    /// Short intervals so that tests of backoff and draining run quickly.
    static var fastForTests: StreamSettings {
        var settings = StreamSettings()
        settings.initialBackoff = .milliseconds(1)
        settings.maxBackoff = .milliseconds(20)
        settings.drainPollInterval = .milliseconds(5)
        return settings
    }
}

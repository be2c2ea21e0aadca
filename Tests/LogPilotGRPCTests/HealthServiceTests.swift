import LogPilotCore
import Testing

@testable import LogPilotGRPC

/// `grpc.health.v1.Health`: Check and Watch over the engine's writability and the server's draining state.
struct HealthServiceTests {
    static func check(
        _ harness: ServiceTestHarness,
        _ service: String
    ) async throws -> Result<HealthCheckResponseMessage, GRPCStatus> {
        try await unaryCall(
            harness.health("Check"),
            HealthCheckRequestMessage(service: service),
            as: HealthCheckResponseMessage.self
        )
    }

    static func statuses(_ responses: RecordingResponses) throws -> [HealthCheckResponseMessage.ServingStatus] {
        try responses.decoded(as: HealthCheckResponseMessage.self).map(\.status)
    }

    @Test func methodTable() async throws {
        try await ServiceTestHarness.with { harness in
            #expect(
                harness.healthService.methods.map(\.path) == [
                    "/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch",
                ]
            )
            #expect(harness.healthService.methods.allSatisfy { !$0.requiresAuthentication })
        }
    }

    @Test func checkReportsTheServerAndLogService() async throws {
        try await ServiceTestHarness.with { (harness) async throws in
            #expect(try await Self.check(harness, "").get().status == .serving)
            #expect(try await Self.check(harness, "logpilot.LogService").get().status == .serving)
            #expect(
                try await Self.check(harness, "logpilot.Nope").failure
                    == GRPCStatus(.notFound, "unknown service 'logpilot.Nope'")
            )
            harness.state.beginDraining()
            #expect(try await Self.check(harness, "").get().status == .notServing)
            #expect(try await Self.check(harness, "logpilot.LogService").get().status == .notServing)
        }
    }

    @Test func checkIsNotServingWhenStorageStopped() async throws {
        try await ServiceTestHarness.with { (harness) async throws in
            await harness.engine.shutdown()
            #expect(try await Self.check(harness, "").get().status == .notServing)
        }
    }

    @Test func watchSendsTheStatusThenChangesAndEndsOnDrain() async throws {
        try await ServiceTestHarness.with { harness in
            let responses = RecordingResponses()
            let requests = ScriptedRequests([HealthCheckRequestMessage(service: "")])
            let method = try harness.health("Watch")
            async let status = runCall(method, requests: requests, responses: responses)
            try await responses.waitForMessages(1)
            #expect(try Self.statuses(responses) == [.serving])
            // Storage stops accepting writes: NOT_SERVING, once.
            await harness.engine.shutdown()
            try await responses.waitForMessages(2)
            try await Task.sleep(for: .milliseconds(50))
            #expect(try Self.statuses(responses) == [.serving, .notServing])
            // Draining ends the call (the status is already NOT_SERVING, so nothing new is sent).
            harness.state.beginDraining()
            #expect(await status == .ok)
            #expect(try Self.statuses(responses) == [.serving, .notServing])
        }
    }

    @Test func watchSendsNotServingWhenTheServerDrains() async throws {
        try await ServiceTestHarness.with { harness in
            let responses = RecordingResponses()
            let method = try harness.health("Watch")
            async let status = runCall(
                method,
                requests: ScriptedRequests([HealthCheckRequestMessage(service: "logpilot.LogService")]),
                responses: responses
            )
            try await responses.waitForMessages(1)
            harness.state.beginDraining()
            #expect(await status == .ok)
            #expect(try Self.statuses(responses) == [.serving, .notServing])
        }
    }

    @Test func watchOfAnUnknownServiceStaysOpen() async throws {
        try await ServiceTestHarness.with { harness in
            let responses = RecordingResponses()
            let method = try harness.health("Watch")
            async let status = runCall(
                method,
                requests: ScriptedRequests([HealthCheckRequestMessage(service: "other.Service")]),
                responses: responses
            )
            try await responses.waitForMessages(1)
            try await Task.sleep(for: .milliseconds(50))
            #expect(try Self.statuses(responses) == [.serviceUnknown])
            harness.state.beginDraining()
            #expect(await status == .ok)
            #expect(try Self.statuses(responses) == [.serviceUnknown])
        }
    }

    @Test func watchEndsWhenTheClientCancels() async throws {
        try await ServiceTestHarness.with { harness in
            let responses = RecordingResponses()
            let method = try harness.health("Watch")
            let call = Task {
                await runCall(method, requests: ScriptedRequests([HealthCheckRequestMessage()]), responses: responses)
            }
            try await responses.waitForMessages(1)
            call.cancel()
            #expect(await call.value.code == .cancelled)
        }
    }

    @Test func watchWithoutARequestIsAnError() async throws {
        try await ServiceTestHarness.with { harness in
            let status = await runCall(
                try harness.health("Watch"),
                requests: ScriptedRequests([[UInt8]]()),
                responses: RecordingResponses()
            )
            #expect(status.code == .internalError)
        }
    }
}

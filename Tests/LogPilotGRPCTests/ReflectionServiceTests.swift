import Testing

@testable import LogPilotGRPC

/// Server reflection (v1 and v1alpha): one response per request, echoing the request and host.
struct ReflectionServiceTests {
    static let v1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
    static let v1alpha = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"

    static func method(_ path: String) throws -> GRPCMethod {
        try #require(ReflectionService().methods.first { $0.path == path })
    }

    /// Runs one reflection call with `requests`; returns the responses and the final status.
    static func call(
        _ requests: [ServerReflectionRequestMessage],
        path: String = v1
    ) async throws -> ([ServerReflectionResponseMessage], GRPCStatus) {
        let responses = RecordingResponses()
        let status = await runCall(try method(path), requests: ScriptedRequests(requests), responses: responses)
        return (try responses.decoded(as: ServerReflectionResponseMessage.self), status)
    }

    static func single(
        _ request: ServerReflectionRequestMessage.Request?
    ) async throws -> ServerReflectionResponseMessage.Response? {
        let (responses, status) = try await call([
            ServerReflectionRequestMessage(host: "localhost:50051", request: request)
        ])
        #expect(status == .ok)
        try #require(responses.count == 1)
        #expect(responses[0].validHost == "localhost:50051")
        #expect(
            responses[0].originalRequest == ServerReflectionRequestMessage(host: "localhost:50051", request: request)
        )
        return responses[0].response
    }

    @Test func methodTable() {
        #expect(ReflectionService().methods.map(\.path) == [Self.v1, Self.v1alpha])
        #expect(ReflectionService().methods.allSatisfy { !$0.requiresAuthentication })
    }

    @Test func listServices() async throws {
        #expect(
            try await Self.single(.listServices(""))
                == .listServicesResponse([
                    "grpc.health.v1.Health",
                    "grpc.reflection.v1.ServerReflection",
                    "grpc.reflection.v1alpha.ServerReflection",
                    "logpilot.LogService",
                ])
        )
    }

    @Test func fileContainingSymbolReturnsTheDeclaringFile() async throws {
        let logpilot = try #require(DescriptorSet.serializedFiles["logpilot.proto"])
        #expect(
            try await Self.single(.fileContainingSymbol("logpilot.LogService")) == .fileDescriptorResponse([logpilot])
        )
        #expect(
            try await Self.single(.fileContainingSymbol(".logpilot.LogRequest")) == .fileDescriptorResponse([logpilot])
        )
        #expect(
            try await Self.single(.fileContainingSymbol("logpilot.LogService.StreamLogs"))
                == .fileDescriptorResponse([logpilot])
        )
        let health = try #require(DescriptorSet.serializedFiles["grpc/health/v1/health.proto"])
        #expect(
            try await Self.single(.fileContainingSymbol("grpc.health.v1.HealthCheckResponse.ServingStatus"))
                == .fileDescriptorResponse([health])
        )
        #expect(
            try await Self.single(.fileContainingSymbol("logpilot.Nope"))
                == .errorResponse(errorCode: 5, errorMessage: "symbol not found: logpilot.Nope")
        )
    }

    @Test func fileByFilename() async throws {
        let logpilot = try #require(DescriptorSet.serializedFiles["logpilot.proto"])
        #expect(try await Self.single(.fileByFilename("logpilot.proto")) == .fileDescriptorResponse([logpilot]))
        #expect(
            try await Self.single(.fileByFilename("nope.proto"))
                == .errorResponse(errorCode: 5, errorMessage: "file not found: nope.proto")
        )
    }

    @Test func extensionsAreNotFound() async throws {
        #expect(
            try await Self.single(.fileContainingExtension(containingType: "logpilot.LogRequest", extensionNumber: 100))
                == .errorResponse(errorCode: 5, errorMessage: "extension not found: logpilot.LogRequest field 100")
        )
        #expect(
            try await Self.single(.allExtensionNumbersOfType("logpilot.LogRequest"))
                == .errorResponse(errorCode: 5, errorMessage: "no extensions registered for type: logpilot.LogRequest")
        )
    }

    @Test func aRequestWithoutAKindIsInvalidArgument() async throws {
        guard case .errorResponse(let code, _)? = try await Self.single(nil) else {
            Issue.record("expected an error_response")
            return
        }
        #expect(code == 3)
    }

    @Test func manyRequestsOnOneStreamInBothVersions() async throws {
        for path in [Self.v1, Self.v1alpha] {
            let requests: [ServerReflectionRequestMessage] = [
                ServerReflectionRequestMessage(request: .listServices("*")),
                ServerReflectionRequestMessage(request: .fileByFilename("nope.proto")),
                ServerReflectionRequestMessage(
                    request: .fileContainingSymbol("grpc.reflection.v1alpha.ServerReflection")
                ),
            ]
            let (responses, status) = try await Self.call(requests, path: path)
            #expect(status == .ok)
            #expect(responses.map(\.originalRequest) == requests)
            guard responses.count == 3, case .fileDescriptorResponse(let files) = responses[2].response else {
                Issue.record("unexpected responses \(responses)")
                continue
            }
            #expect(files == [try #require(DescriptorSet.serializedFiles["grpc/reflection/v1alpha/reflection.proto"])])
        }
    }

    @Test func invalidProtobufEndsTheCall() async throws {
        let responses = RecordingResponses()
        let status = await runCall(
            try Self.method(Self.v1),
            requests: ScriptedRequests([[0xFF, 0xFF]]),
            responses: responses
        )
        #expect(status.code == .invalidArgument)
        #expect(responses.messages.isEmpty)
    }
}

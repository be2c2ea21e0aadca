import Testing

@testable import LogPilotGRPC

/// Request header validation and metadata extraction.
struct GRPCRequestHeadTests {
    private func headers(
        method: String = "POST",
        path: String = "/logpilot.LogService/SendLog",
        contentType: String? = "application/grpc",
        te: String? = "trailers",
        extra: [(name: String, value: String)] = []
    ) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            (":method", method), (":scheme", "http"), (":path", path), (":authority", "localhost:50051"),
        ]
        if let contentType { fields.append(("content-type", contentType)) }
        if let te { fields.append(("te", te)) }
        return fields + extra
    }

    private func rejection(_ fields: [(name: String, value: String)]) -> GRPCRequestHead.Rejection? {
        do {
            _ = try GRPCRequestHead(headers: fields)
            return nil
        } catch {
            return error
        }
    }

    @Test func minimalRequest() throws {
        let head = try GRPCRequestHead(headers: headers())
        #expect(head.path == "/logpilot.LogService/SendLog")
        #expect(head.timeout == nil)
        #expect(head.encoding == .identity)
        #expect(head.metadata.isEmpty)
        #expect(head.apiKey == nil)
    }

    @Test func metadataExcludesReservedHeaders() throws {
        let head = try GRPCRequestHead(headers: headers(extra: [
            ("user-agent", "grpc-python/1.66"),
            ("grpc-accept-encoding", "identity,deflate,gzip"),
            ("grpc-timeout", "5S"),
            ("x-api-key", "secret"),
            ("trace-bin", "AAEC"),
            ("x-api-key", "second"),
        ]))
        #expect(head.metadata.map(\.name) == ["user-agent", "x-api-key", "trace-bin", "x-api-key"])
        #expect(head.metadata.map(\.value) == ["grpc-python/1.66", "secret", "AAEC", "second"])
        #expect(head.apiKey == "secret")
        #expect(head.timeout == GRPCTimeout(duration: .seconds(5)))
    }

    @Test(arguments: ["application/grpc", "application/grpc+proto", "application/grpc; charset=utf-8", "Application/GRPC"])
    func acceptedContentTypes(contentType: String) {
        #expect(rejection(headers(contentType: contentType)) == nil)
    }

    @Test(arguments: ["application/json", "application/grpc+json", "application/grpc-web", "text/plain", "application/grpcx"])
    func otherContentTypesAre415(contentType: String) {
        #expect(rejection(headers(contentType: contentType))?.httpStatus == 415)
    }

    @Test func missingContentTypeIs415() {
        #expect(rejection(headers(contentType: nil))?.httpStatus == 415)
    }

    @Test func methodOtherThanPostIs405() {
        #expect(rejection(headers(method: "GET"))?.httpStatus == 405)
    }

    @Test(arguments: ["/", "//", "/service", "/service/", "//method", "/a/b/c", "noslash/x", "/a b/c"])
    func malformedPathIsUnimplemented(path: String) {
        let refused = rejection(headers(path: path))
        #expect(refused?.httpStatus == 200)
        #expect(refused?.status.code == .unimplemented)
    }

    @Test func missingTETrailersIsInternal() {
        #expect(rejection(headers(te: nil))?.status.code == .internalError)
        #expect(rejection(headers(te: "gzip"))?.status.code == .internalError)
    }

    @Test func malformedTimeoutIsInternal() {
        #expect(rejection(headers(extra: [("grpc-timeout", "soon")]))?.status.code == .internalError)
        #expect(rejection(headers(extra: [("grpc-timeout", "123456789n")]))?.status.code == .internalError)
    }

    @Test func gzipEncodingIsAccepted() throws {
        let head = try GRPCRequestHead(headers: headers(extra: [("grpc-encoding", "gzip")]))
        #expect(head.encoding == .gzip)
        let identity = try GRPCRequestHead(headers: headers(extra: [("grpc-encoding", "identity")]))
        #expect(identity.encoding == .identity)
    }

    @Test func unsupportedEncodingIsUnimplemented() {
        let refused = rejection(headers(extra: [("grpc-encoding", "snappy")]))
        #expect(refused?.httpStatus == 200)
        #expect(refused?.status.code == .unimplemented)
        #expect(refused?.status.message.contains("identity,gzip") == true)
    }
}

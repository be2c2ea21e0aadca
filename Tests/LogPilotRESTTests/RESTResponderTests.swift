import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import LogPilotCore
import NIOCore
import Testing
@testable import LogPilotREST

/// In-process tests of the REST front: requests go straight to the responder (no sockets), backed by a real engine
/// on a temporary database.
struct RESTResponderTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    func withApp(
        apiKeys: [String] = [],
        limits: IngestLimits = IngestLimits(),
        rateLimit: RateLimitPolicy = RateLimitPolicy(),
        corsAllowedOrigins: [String] = [],
        state: ServerState? = nil,
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let directory = NSTemporaryDirectory() + "logpilot-rest-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let engine = StorageEngine(
            configuration: StorageConfiguration(path: directory + "/db.sqlite", synchronous: .normal),
            logger: Self.quiet
        )
        try await engine.start()
        var configuration = RESTConfiguration(apiKeys: APIKeySet(apiKeys), corsAllowedOrigins: corsAllowedOrigins)
        configuration.serverState = state
        let responder = RESTResponder(
            ingestor: Ingestor(engine: engine, limits: limits, rateLimiter: RateLimiter(policy: rateLimit)),
            configuration: configuration
        )
        let app = Application(responder: responder, logger: Self.quiet)
        do {
            try await app.test(.router, body)
        } catch {
            await engine.shutdown()
            throw error
        }
        await engine.shutdown()
    }

    static let json: HTTPFields = [.contentType: "application/json"]

    /// The JSON object of a response body; empty when the body is not a JSON object (which fails the checks).
    func errorBody(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:]
    }

    @Test func routesMatchTheJavaPaths() {
        #expect(RESTResponder.route(for: "/api/logs") == .logs)
        #expect(RESTResponder.route(for: "/api/logs/") == .logs)
        #expect(RESTResponder.route(for: "/api/logs/batch") == .batch)
        #expect(RESTResponder.route(for: "/api/logs/commit") == .commit)
        #expect(RESTResponder.route(for: "/api/logs/seek") == .seek)
        #expect(RESTResponder.route(for: "/api/logs/orders") == .channel("orders"))
        #expect(RESTResponder.route(for: "/api/logs/a%2Fb%3Ac") == .channel("a/b:c"))
        #expect(RESTResponder.route(for: "/api/channels") == .channels)
        #expect(RESTResponder.route(for: "/api/logs/a/b") == nil)
        #expect(RESTResponder.route(for: "/api/logs/%zz") == nil)
        #expect(RESTResponder.route(for: "/other") == nil)
    }

    @Test func batchIsStoredAndReadBack() async throws {
        try await withApp { client in
            let body = #"[{"channel":"orders","level":"warning","message":"a","meta":{"n":[1,2]}},{"channel":"orders","message":"b"}]"#
            try await client.execute(uri: "/api/logs/batch", method: .post, headers: Self.json, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .created)
                #expect(String(buffer: response.body) == #"{"accepted":2,"firstId":1,"lastId":2}"#)
            }
            try await client.execute(uri: "/api/logs/orders?limit=1", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.hasPrefix(#"[{"channel":"orders","level":"INFO","message":"b","id":2,"timestamp":""#))
            }
            try await client.execute(uri: "/api/logs/orders?consumerId=c&limit=5", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#""level":"WARN","message":"a","meta":{"n":[1,2]},"id":1"#))
            }
        }
    }

    @Test func gzipBodiesAreInflated() async throws {
        try await withApp { client in
            var plain = ByteBuffer(string: #"[{"channel":"gz","message":"zipped"}]"#)
            let compressed = try plain.compress(with: .gzip)
            var headers = Self.json
            headers[.contentEncoding] = "gzip"
            try await client.execute(uri: "/api/logs/batch", method: .post, headers: headers, body: compressed) { response in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/api/logs/batch", method: .post, headers: headers, body: ByteBuffer(string: "not gzip")) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func inflatedBodiesAreBoundedToo() async throws {
        try await withApp(limits: IngestLimits(maxBodyBytes: 4_096)) { client in
            let message = String(repeating: "a", count: 10_000)
            var plain = ByteBuffer(string: #"[{"channel":"gz","message":"\#(message)"}]"#)
            let compressed = try plain.compress(with: .gzip)
            #expect(compressed.readableBytes < 4_096)
            var headers = Self.json
            headers[.contentEncoding] = "gzip"
            try await client.execute(uri: "/api/logs/batch", method: .post, headers: headers, body: compressed) { response in
                #expect(response.status == .contentTooLarge)
                #expect(errorBody(response)["errorCode"] as? String == "PAYLOAD_TOO_LARGE")
            }
        }
    }

    @Test func errorsAreJSONWithTheRightStatus() async throws {
        try await withApp(limits: IngestLimits(maxBatchRecords: 2)) { client in
            try await client.execute(uri: "/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(errorBody(response)["errorCode"] as? String == "NOT_FOUND")
            }
            try await client.execute(uri: "/api/logs/batch", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD, POST")
            }
            try await client.execute(uri: "/api/channels", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD")
            }
            try await client.execute(uri: "/api/logs/batch", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: "[]")) { response in
                #expect(response.status == .unsupportedMediaType)
            }
            try await client.execute(uri: "/api/logs/batch", method: .post, headers: Self.json, body: ByteBuffer(string: "[{")) { response in
                #expect(response.status == .badRequest)
                #expect(errorBody(response)["errorCode"] as? String == "BAD_REQUEST")
            }
            try await client.execute(uri: "/api/logs/batch", method: .post, headers: Self.json, body: ByteBuffer(string: #"[{"channel":"a","message":"m"},{"channel":"a","level":7,"message":"m"}]"#)) { response in
                #expect(response.status == .badRequest)
                let body = errorBody(response)
                #expect(body["errorCode"] as? String == "VALIDATION_ERROR")
                #expect(body["field"] as? String == "records[1].level")
                #expect(body["timestamp"] as? String != nil)
            }
            try await client.execute(uri: "/api/logs", method: .post, headers: Self.json, body: ByteBuffer(string: #"{"channel":"a"}"#)) { response in
                #expect(errorBody(response)["field"] as? String == "message")
            }
            try await client.execute(uri: "/api/logs/batch", method: .post, headers: Self.json, body: ByteBuffer(string: #"[{"channel":"a","message":"m"},{"channel":"a","message":"m"},{"channel":"a","message":"m"}]"#)) { response in
                #expect(response.status == .contentTooLarge)
            }
            try await client.execute(uri: "/api/logs/a?limit=abc", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(errorBody(response)["field"] as? String == "limit")
            }
            try await client.execute(uri: "/api/logs/seek", method: .post, headers: Self.json, body: ByteBuffer(string: #"{"channel":"a","consumerId":"c","operation":"SPECIFIC"}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(errorBody(response)["field"] as? String == "logId")
            }
            // Nothing of the rejected requests was stored.
            try await client.execute(uri: "/api/channels", method: .get) { response in
                #expect(String(buffer: response.body) == #"{"channels":[]}"#)
            }
        }
    }

    @Test func apiKeysAreRequiredWhenConfigured() async throws {
        try await withApp(apiKeys: ["s3cret"]) { client in
            try await client.execute(uri: "/api/channels", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/channels", method: .get, headers: [HTTPField.Name("X-API-KEY")!: "wrong-key"]) { response in
                #expect(response.status == .unauthorized)
                #expect(!String(buffer: response.body).contains("wrong-key"))
            }
            try await client.execute(uri: "/api/channels", method: .get, headers: [HTTPField.Name("X-API-KEY")!: "s3cret"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/channels", method: .get, headers: [.authorization: "Bearer s3cret"]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func commitAndSeekAnswerWithThePosition() async throws {
        try await withApp { client in
            try await client.execute(uri: "/api/logs/batch", method: .post, headers: Self.json, body: ByteBuffer(string: #"[{"channel":"q","message":"1"},{"channel":"q","message":"2"}]"#)) { _ in }
            try await client.execute(uri: "/api/logs/seek", method: .post, headers: Self.json, body: ByteBuffer(string: #"{"channel":"q","consumerId":"c","operation":"latest"}"#)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"channel":"q","consumerId":"c","offset":2}"#)
            }
            try await client.execute(uri: "/api/logs/commit", method: .post, headers: Self.json, body: ByteBuffer(string: #"{"channel":"q","consumerId":"c","lastLogId":1}"#)) { response in
                #expect(String(buffer: response.body) == #"{"channel":"q","consumerId":"c","offset":1}"#)
            }
            try await client.execute(uri: "/api/logs/q?consumerId=c", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""message":"2","id":2"#))
            }
        }
    }

    // MARK: Rate limits and CORS

    @Test func rateLimitedKeysGet429WithBothRetryHeaders() async throws {
        var policy = RateLimitPolicy()
        policy.isEnabled = true
        policy.requestCapacity = 2
        policy.requestRefillTokens = 1
        policy.refillPeriodSeconds = 600
        try await withApp(apiKeys: ["k1", "k2"], rateLimit: policy) { client in
            let body = ByteBuffer(string: #"[{"channel":"c","message":"m"}]"#)
            var headers = Self.json
            headers[HTTPField.Name("X-API-KEY")!] = "k1"
            for expected in [HTTPResponse.Status.created, .created, .tooManyRequests] {
                try await client.execute(uri: "/api/logs/batch", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == expected)
                    if expected == .tooManyRequests {
                        // One token per 600 s, refilled continuously: the wait is 600 s less the time the requests
                        // took (a second or more on a loaded machine).
                        let retry = Int(response.headers[.retryAfter] ?? "") ?? 0
                        #expect((590...600).contains(retry))
                        #expect(response.headers[HTTPField.Name("X-Rate-Limit-Retry-After-Seconds")!] == String(retry))
                        #expect(errorBody(response)["errorCode"] as? String == "RATE_LIMITED")
                    }
                }
            }
            headers[HTTPField.Name("X-API-KEY")!] = "k2"
            try await client.execute(uri: "/api/logs/batch", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .created)
            }
        }
    }

    @Test func corsPreflightNeedsNoKeyAndOnlyAllowedOriginsGetHeaders() async throws {
        try await withApp(apiKeys: ["k"], corsAllowedOrigins: ["https://app.example.com"]) { client in
            let preflight: HTTPFields = [
                .origin: "https://app.example.com", .accessControlRequestMethod: "POST",
            ]
            try await client.execute(uri: "/api/logs/batch", method: .options, headers: preflight) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == "https://app.example.com")
                #expect(response.headers[.accessControlAllowHeaders]?.contains("X-API-KEY") == true)
            }
            let other: HTTPFields = [.origin: "https://other.example.com", .accessControlRequestMethod: "POST"]
            try await client.execute(uri: "/api/logs/batch", method: .options, headers: other) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
            // An unauthenticated request from an allowed origin still gets the CORS header, so the browser app
            // can read the 401.
            try await client.execute(uri: "/api/channels", method: .get, headers: [.origin: "https://app.example.com"]) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.accessControlAllowOrigin] == "https://app.example.com")
                #expect(response.headers[.vary] == "Origin")
            }
        }
    }

    @Test func corsPolicyMatchesOrigins() {
        let policy = CORSPolicy(allowedOrigins: ["https://a.example"])
        #expect(policy.allowOriginValue(for: "https://a.example") == "https://a.example")
        #expect(policy.allowOriginValue(for: "HTTPS://A.EXAMPLE") == "HTTPS://A.EXAMPLE")
        #expect(policy.allowOriginValue(for: "https://a.example.evil") == nil)
        #expect(policy.allowOriginValue(for: nil) == nil)
        #expect(CORSPolicy(allowedOrigins: ["*"]).allowOriginValue(for: "https://x") == "*")
        #expect(CORSPolicy(allowedOrigins: []).allowOriginValue(for: "https://x") == nil)
    }

    @Test func responsesAskClientsToReconnectWhileTheServerDrains() async throws {
        let state = ServerState()
        try await withApp(state: state) { client in
            try await client.execute(uri: "/api/channels", method: .get) { response in
                #expect(response.headers[.connection] == nil)
            }
            state.beginDraining()
            try await client.execute(uri: "/api/channels", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.connection] == "close")
            }
        }
    }
}

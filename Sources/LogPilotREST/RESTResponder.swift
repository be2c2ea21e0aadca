import CompressNIO
public import Hummingbird
import HTTPTypes
import Logging
public import LogPilotCore
import NIOCore

/// The REST API as one `HTTPResponder`: decodes the wire format, calls the core (`Ingestor` / `StorageEngine`) and
/// encodes the answer. Routing is a small explicit table so that a wrong method is a 405 with `Allow`, an unknown
/// path a 404, and every error a JSON body — never Hummingbird's empty 500.
public struct RESTResponder: HTTPResponder {
    public typealias Context = RESTRequestContext

    let ingestor: Ingestor
    let configuration: RESTConfiguration
    let decoder: LogBatchJSONDecoder
    let bodyBudget: IngestBodyBudget
    let httpMetrics = HTTPMetrics(exporting: Self.usualAnswers)

    public init(ingestor: Ingestor, configuration: RESTConfiguration) {
        self.ingestor = ingestor
        self.configuration = configuration
        self.decoder = LogBatchJSONDecoder(maxRecords: ingestor.limits.maxBatchRecords)
        self.bodyBudget = IngestBodyBudget(capacity: max(configuration.maxInflightBodyBytes, 1))
    }

    var engine: StorageEngine { ingestor.engine }
    var limits: IngestLimits { ingestor.limits }

    /// The routes, by path shape.
    enum Route: Equatable {
        case logs  // /api/logs: GET search, POST one record
        case batch  // /api/logs/batch
        case commit  // /api/logs/commit
        case seek  // /api/logs/seek
        case channel(String)  // /api/logs/{channel}
        case channels  // /api/channels

        /// The route template, for logs and metrics (never the raw path).
        var template: String {
            switch self {
            case .logs: "/api/logs"
            case .batch: "/api/logs/batch"
            case .commit: "/api/logs/commit"
            case .seek: "/api/logs/seek"
            case .channel: "/api/logs/{channel}"
            case .channels: "/api/channels"
            }
        }
    }

    /// Each route's usual method and success status: the HTTP series that exist from the first scrape.
    static let usualAnswers: [(method: String, route: String, code: Int)] = [
        ("POST", Route.logs.template, 201), ("GET", Route.logs.template, 200), ("POST", Route.batch.template, 201),
        ("POST", Route.commit.template, 200), ("POST", Route.seek.template, 200),
        ("GET", Route.channel("").template, 200), ("GET", Route.channels.template, 200),
    ]

    static func route(for path: String) -> Route? {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.first == "" { parts.removeFirst() }
        if parts.count > 1, parts.last == "" { parts.removeLast() }  // tolerate one trailing slash
        guard parts.count >= 2, parts[0] == "api" else { return nil }
        switch (parts.count, parts[1]) {
        case (2, "logs"): return .logs
        case (2, "channels"): return .channels
        case (3, "logs"):
            switch parts[2] {
            case "batch": return .batch
            case "commit": return .commit
            case "seek": return .seek
            default:
                guard let channel = percentDecoded(parts[2]) else { return nil }
                return .channel(channel)
            }
        default: return nil
        }
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let route = Self.route(for: request.uri.path)
        let cors = CORSPolicy(allowedOrigins: configuration.corsAllowedOrigins.value)
        let origin = request.headers[.origin]
        var response: Response
        if request.method == .options, origin != nil, request.headers[.accessControlRequestMethod] != nil, route != nil {
            response = Self.preflight(cors: cors, origin: origin)
        } else {
            response = await handle(request, route: route, context: context)
            if origin != nil {
                for field in cors.responseHeaders(origin: origin) { response.headers.append(field) }
            }
        }
        if configuration.serverState?.isDraining == true {
            response.headers[.connection] = "close"
        }
        let duration = started.duration(to: .now)
        let template = route?.template ?? "other"
        httpMetrics.record(method: request.method.rawValue, route: template, code: response.status.code, duration: duration)
        // Route template, never the raw path or query (they may carry consumer ids); never headers or bodies.
        context.logger.debug("request", metadata: [
            "http.method": "\(request.method.rawValue)", "http.route": "\(template)",
            "http.status": "\(response.status.code)",
            "http.duration_ms": "\(Double(duration.components.attoseconds / 1_000_000_000_000) / 1000 + Double(duration.components.seconds) * 1000)",
        ])
        return response
    }

    /// A CORS preflight: 204 with the allowed methods and headers, or 403 for an origin that is not allowed.
    private static func preflight(cors: CORSPolicy, origin: String?) -> Response {
        guard let headers = cors.preflightHeaders(origin: origin) else {
            return response(for: RESTError(
                status: .forbidden,
                errorCode: "CORS_ORIGIN_NOT_ALLOWED",
                message: "origin \((origin ?? "").prefix(200)) is not allowed (LOGPILOT_CORS_ALLOWED_ORIGINS)",
                field: "Origin"
            ))
        }
        return Response(status: .noContent, headers: headers)
    }

    private func handle(_ request: Request, route: Route?, context: Context) async -> Response {
        do {
            // Authenticate before routing, so that an unauthenticated client cannot even learn which paths exist.
            let client = try authenticate(request, context: context)
            guard let route else {
                throw RESTError(status: .notFound, errorCode: "NOT_FOUND", message: "no such path: \(request.uri.path.prefix(200))")
            }
            if let client { try ingestor.admitRequest(from: client, protocol: .rest) }
            if request.method == .head {
                // HEAD is GET without the body; Content-Length still describes the GET body.
                var response = try await dispatch(route, method: .get, request: request, context: context, client: client)
                let length = response.body.contentLength ?? 0
                response.body = ResponseBody()
                response.headers[.contentLength] = String(length)
                return response
            }
            return try await dispatch(route, method: request.method, request: request, context: context, client: client)
        } catch let error as RESTError {
            return Self.response(for: error)
        } catch let error as LogPilotError {
            if error.code == .internalError {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
            }
            return Self.response(for: RESTError(error))
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(error)"])
            return Self.response(for: RESTError(
                status: .internalServerError,
                errorCode: "INTERNAL_SERVER_ERROR",
                message: "an unexpected error occurred"
            ))
        }
    }

    private func dispatch(
        _ route: Route,
        method: HTTPRequest.Method,
        request: Request,
        context: Context,
        client: RateLimitClient?
    ) async throws -> Response {
        switch (route, method) {
        case (.logs, .post):
            return try await ingestBody(request, single: true, client: client)
        case (.batch, .post):
            return try await ingestBody(request, single: false, client: client)
        case (.logs, .get):
            return try await search(request)
        case (.channel(let channel), .get):
            return try await read(channel: channel, request: request)
        case (.batch, .get), (.commit, .get), (.seek, .get):
            // As in the Java version, only POST is mapped on these paths: a GET reads a channel of that name.
            let name = route == .batch ? "batch" : route == .commit ? "commit" : "seek"
            return try await read(channel: name, request: request)
        case (.commit, .post):
            return try await commit(try await readJSONBody(request))
        case (.seek, .post):
            return try await seek(try await readJSONBody(request))
        case (.channels, .get):
            return try await channels()
        default:
            let allowed: String =
                switch route {
                case .logs: "GET, HEAD, POST"
                case .batch, .commit, .seek: "GET, HEAD, POST"
                case .channel, .channels: "GET, HEAD"
                }
            var error = RESTError(
                status: .methodNotAllowed,
                errorCode: "METHOD_NOT_ALLOWED",
                message: "\(method) is not allowed on \(route.template); allowed: \(allowed)"
            )
            error.headers[.allow] = allowed
            throw error
        }
    }

    // MARK: Authentication

    /// Checks the API key when authentication is on, and returns who the request is charged to for rate limiting:
    /// the key, or (authentication off) the client address — nil when rate limiting is off.
    private func authenticate(_ request: Request, context: Context) throws(RESTError) -> RateLimitClient? {
        let keys = configuration.apiKeys.value
        let rateLimited = ingestor.rateLimiter.isEnabled
        guard keys.isEnabled else {
            guard rateLimited else { return nil }
            let peer = context.remoteAddress?.ipAddress
            let forwarded = request.headers[values: Self.forwardedFor]
            let proxies = ingestor.rateLimiter.policy.trustedProxies
            return .address(proxies.clientAddress(peer: peer, forwardedFor: forwarded))
        }
        var presented: Substring?
        if let key = request.headers[Self.apiKeyHeader] {
            presented = key[...]
        } else if let authorization = request.headers[.authorization],
            authorization.count > 7, authorization.prefix(7).lowercased() == "bearer "
        {
            presented = authorization.dropFirst(7)
        }
        guard let presented, keys.accepts(presented) else {
            ingestor.countRefusedRequest(protocol: .rest, reason: .unauthorized)
            var error = RESTError(
                status: .unauthorized,
                errorCode: "UNAUTHORIZED",
                message: presented == nil
                    ? "an API key is required (X-API-KEY header or Authorization: Bearer)"
                    : "the API key is not valid"
            )
            error.headers[.wwwAuthenticate] = "Bearer"
            throw error
        }
        return rateLimited ? .apiKey(presented) : nil
    }

    static let apiKeyHeader = HTTPField.Name("X-API-KEY")!
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    // MARK: Writes

    /// Admission, then body → records → commit. The body buffer is released before waiting for the commit, and the
    /// bytes held while receiving and decoding are bounded by `bodyBudget`.
    private func ingestBody(_ request: Request, single: Bool, client: RateLimitClient?) async throws -> Response {
        try ingestor.admitWrite(protocol: .rest)
        let declared = request.headers[.contentLength].flatMap { Int($0) } ?? limits.maxBodyBytes
        guard let reserved = bodyBudget.reserve(min(declared, limits.maxBodyBytes)) else {
            ingestor.countRefusedRequest(protocol: .rest, reason: .overloaded)
            throw LogPilotError(
                code: .overloaded,
                message: "too many ingest requests are being received at once; retry later",
                retryAfterSeconds: 1
            )
        }
        let records: [IncomingLogRecord]
        let bytes: Int
        do {
            (records, bytes) = try await decodedRecords(request, single: single)
        } catch {
            bodyBudget.release(reserved)
            throw error
        }
        bodyBudget.release(reserved)
        return try await ingest(records, single: single, client: client, bytes: bytes)
    }

    /// The records and the body's size as received (compressed when gzip).
    private func decodedRecords(_ request: Request, single: Bool) async throws -> ([IncomingLogRecord], Int) {
        let wireBytes = request.headers[.contentLength].flatMap { Int($0) }
        let body = try await readJSONBody(request)
        let records = single ? [try decodeSingle(body)] : try decodeBatch(body)
        return (records, wireBytes ?? body.readableBytes)
    }

    private func ingest(
        _ records: [IncomingLogRecord],
        single: Bool,
        client: RateLimitClient?,
        bytes: Int
    ) async throws -> Response {
        let result = try await ingestor.ingest(records, protocol: .rest, single: single, client: client, bytes: bytes)
        var writer = JSONWriter(reservingCapacity: 64)
        writer.beginObject()
        writer.writeKey("accepted")
        writer.writeInt64(Int64(result.count))
        if let first = result.firstId, let last = result.lastId {
            writer.writeKey("firstId")
            writer.writeInt64(first)
            writer.writeKey("lastId")
            writer.writeInt64(last)
        }
        writer.endObject()
        return Self.json(writer.bytes, status: .created)
    }

    private func decodeBatch(_ body: ByteBuffer) throws(RESTError) -> [IncomingLogRecord] {
        let result: Result<[DecodedLogRecord], LogBatchDecodingError> = body.withUnsafeReadableBytes { bytes in
            Result { () throws(LogBatchDecodingError) in try decoder.decodeBatch(bytes) }
        }
        switch result {
        case .success(let decoded): return decoded
        case .failure(let error): throw Self.restError(error, single: false)
        }
    }

    private func decodeSingle(_ body: ByteBuffer) throws(RESTError) -> IncomingLogRecord {
        let result: Result<DecodedLogRecord, LogBatchDecodingError> = body.withUnsafeReadableBytes { bytes in
            Result { () throws(LogBatchDecodingError) in try decoder.decodeSingle(bytes) }
        }
        switch result {
        case .success(let decoded): return decoded
        case .failure(let error): throw Self.restError(error, single: true)
        }
    }

    private static func restError(_ error: LogBatchDecodingError, single: Bool) -> RESTError {
        switch error.kind {
        case .syntax:
            return .badRequest("malformed JSON: \(error.description)")
        case .tooManyRecords:
            return RESTError(status: .contentTooLarge, errorCode: "PAYLOAD_TOO_LARGE", message: error.description, field: "records")
        case .invalidField:
            var field = error.field ?? ""
            if !single, let index = error.index {
                field = field.isEmpty ? "records[\(index)]" : "records[\(index)].\(field)"
            }
            return .validation(field.isEmpty ? "body" : field, error.reason)
        }
    }

    // MARK: Consumer offsets

    private func commit(_ body: ByteBuffer) async throws -> Response {
        let object = try Self.parseObject(body)
        let channel = try requiredChannel(object, "channel")
        let consumerId = try requiredConsumerId(object)
        guard let value = object["lastLogId"], !value.isNull else {
            throw RESTError.validation("lastLogId", "is required")
        }
        guard let offset = value.int64Value else { throw RESTError.validation("lastLogId", "must be an integer") }
        guard offset >= 0 else { throw RESTError.validation("lastLogId", "must not be negative") }
        let position = try await engine.commitOffset(channel: channel, consumerId: consumerId, offset: offset)
        return Self.json(Self.positionJSON(position), status: .ok)
    }

    private func seek(_ body: ByteBuffer) async throws -> Response {
        let object = try Self.parseObject(body)
        let channel = try requiredChannel(object, "channel")
        let consumerId = try requiredConsumerId(object)
        guard let operation = object["operation"]?.stringValue else {
            throw RESTError.validation("operation", "is required (EARLIEST, LATEST or SPECIFIC)")
        }
        let target: SeekTarget
        switch operation.uppercased() {
        case "EARLIEST": target = .earliest
        case "LATEST": target = .latest
        case "SPECIFIC":
            guard let value = object["logId"], !value.isNull else {
                throw RESTError.validation("logId", "is required when operation is SPECIFIC")
            }
            guard let id = value.int64Value, id >= 1 else {
                throw RESTError.validation("logId", "must be a positive integer")
            }
            target = .specific(id)
        default:
            throw RESTError.validation("operation", "must be EARLIEST, LATEST or SPECIFIC (got '\(operation.prefix(32))')")
        }
        let position = try await engine.seek(channel: channel, consumerId: consumerId, to: target)
        return Self.json(Self.positionJSON(position), status: .ok)
    }

    private static func positionJSON(_ position: ConsumerPosition) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 96)
        writer.beginObject()
        writer.writeKey("channel")
        writer.writeString(position.channel)
        writer.writeKey("consumerId")
        writer.writeString(position.consumerId)
        writer.writeKey("offset")
        writer.writeInt64(position.offset)
        writer.endObject()
        return writer.bytes
    }

    private func requiredChannel(_ object: JSONValue, _ name: String) throws(RESTError) -> String {
        guard let value = object[name], !value.isNull else { throw RESTError.validation(name, "is required") }
        guard let channel = value.stringValue else { throw RESTError.validation(name, "must be a string") }
        if let problem = limits.channelProblem(channel) { throw RESTError.validation(name, problem) }
        return channel
    }

    private func requiredConsumerId(_ object: JSONValue) throws(RESTError) -> String {
        guard let value = object["consumerId"], !value.isNull else {
            throw RESTError.validation("consumerId", "is required")
        }
        guard let consumerId = value.stringValue else { throw RESTError.validation("consumerId", "must be a string") }
        try Self.checkConsumerId(consumerId)
        return consumerId
    }

    static func checkConsumerId(_ consumerId: String) throws(RESTError) {
        if consumerId.trimmingASCIIWhitespace().isEmpty { throw RESTError.validation("consumerId", "must not be blank") }
        if consumerId.utf8.count > 256 { throw RESTError.validation("consumerId", "must be at most 256 bytes") }
    }

    private static func parseObject(_ body: ByteBuffer) throws(RESTError) -> JSONValue {
        let result: Result<JSONValue, JSONSyntaxError> = body.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONSyntaxError) in try JSONParser.parse(bytes) }
        }
        switch result {
        case .success(let value):
            guard case .object = value else { throw RESTError.badRequest("the body must be a JSON object") }
            return value
        case .failure(let error):
            throw RESTError.badRequest("malformed JSON: \(error.description)")
        }
    }

    // MARK: Reads

    private func read(channel: String, request: Request) async throws -> Response {
        if let problem = limits.channelProblem(channel) { throw RESTError.validation("channel", problem) }
        let query = QueryParameters(request.uri.query)
        let limit = try intParameter(query["limit"], name: "limit") ?? 100
        try ingestor.checkReadLimit(limit)
        let records: [StoredLogRecord]
        // Java: a present consumerId (even empty) selects the consumer read; an empty one is refused here.
        if query.contains("consumerId") {
            let consumerId = query["consumerId"] ?? ""
            try Self.checkConsumerId(consumerId)
            let autoCommit = try boolParameter(query["autoCommit"], name: "autoCommit") ?? true
            records = try await engine.fetch(channel: channel, consumerId: consumerId, limit: limit, autoCommit: autoCommit)
        } else {
            records = try await engine.latest(channel: channel, limit: limit)
        }
        var writer = JSONWriter(reservingCapacity: LogEntryJSON.estimatedBytes(records))
        LogEntryJSON.writeArray(records, into: &writer)
        return Self.json(writer.bytes, status: .ok)
    }

    private func search(_ request: Request) async throws -> Response {
        let query = QueryParameters(request.uri.query)
        var search = LogSearchQuery()
        if let channel = query["channel"] {
            if let problem = limits.channelProblem(channel) { throw RESTError.validation("channel", problem) }
            search.channel = channel
        }
        for value in query.all("level") {
            for name in value.split(separator: ",") where !name.isEmpty {
                guard let level = LogLevel(parsing: String(name)) else {
                    throw RESTError.validation("level", "unknown level '\(name.prefix(32))' (expected \(LogLevel.acceptedNames))")
                }
                search.levels.insert(level)
            }
        }
        search.from = try timeParameter(query["from"], name: "from")
        search.to = try timeParameter(query["to"], name: "to")
        if let text = query["q"] {
            if text.utf8.count > 1024 { throw RESTError.validation("q", "must be at most 1024 bytes") }
            search.text = text
        }
        search.limit = try intParameter(query["limit"], name: "limit") ?? 100
        try ingestor.checkReadLimit(search.limit)
        if let cursor = query["cursor"] {
            guard let id = Int64(cursor), id > 0 else {
                throw RESTError.validation("cursor", "is not a cursor returned by this API")
            }
            search.beforeId = id
        }
        let page = try await engine.search(search)
        var writer = JSONWriter(reservingCapacity: LogEntryJSON.estimatedBytes(page.records) + 32)
        writer.beginObject()
        writer.writeKey("logs")
        LogEntryJSON.writeArray(page.records, into: &writer)
        writer.writeKey("nextCursor")
        if let next = page.nextCursor { writer.writeString(String(next)) } else { writer.writeNull() }
        writer.writeKey("truncated")
        if let truncated = page.truncated { writer.writeString(truncated.rawValue) } else { writer.writeNull() }
        writer.writeKey("scanned")
        writer.writeInt64(Int64(page.scannedRecords))
        writer.endObject()
        return Self.json(writer.bytes, status: .ok)
    }

    private func channels() async throws -> Response {
        let channels = try await engine.channels()
        var writer = JSONWriter(reservingCapacity: 64 + channels.count * 64)
        writer.beginObject()
        writer.writeKey("channels")
        writer.beginArray()
        for summary in channels {
            writer.beginObject()
            writer.writeKey("channel")
            writer.writeString(summary.channel)
            writer.writeKey("count")
            writer.writeInt64(summary.count)
            writer.writeKey("lastId")
            writer.writeInt64(summary.lastId)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return Self.json(writer.bytes, status: .ok)
    }

    private func intParameter(_ value: String?, name: String) throws(RESTError) -> Int? {
        guard let value, !value.isEmpty else { return nil }
        guard let number = Int(value) else { throw RESTError.badRequest("query parameter '\(name)' must be an integer", field: name) }
        return number
    }

    private func boolParameter(_ value: String?, name: String) throws(RESTError) -> Bool? {
        guard let value, !value.isEmpty else { return nil }
        switch value.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw RESTError.badRequest("query parameter '\(name)' must be true or false", field: name)
        }
    }

    private func timeParameter(_ value: String?, name: String) throws(RESTError) -> Int64? {
        guard let value, !value.isEmpty else { return nil }
        if let millis = Int64(value) {
            let (micros, overflow) = millis.multipliedReportingOverflow(by: 1000)
            if !overflow { return micros }
        }
        guard let micros = ISO8601Timestamp.parseMicroseconds(value) else {
            throw RESTError.badRequest(
                "query parameter '\(name)' must be an ISO-8601 timestamp or epoch milliseconds",
                field: name
            )
        }
        return micros
    }

    // MARK: Bodies

    /// Reads a JSON request body within `maxBodyBytes`, inflating `Content-Encoding: gzip` (also bounded).
    private func readJSONBody(_ request: Request) async throws -> ByteBuffer {
        if let contentType = request.headers[.contentType], !Self.isJSON(contentType) {
            throw RESTError(
                status: .unsupportedMediaType,
                errorCode: "UNSUPPORTED_MEDIA_TYPE",
                message: "Content-Type must be application/json (got '\(contentType.prefix(64))')"
            )
        }
        var gzip = false
        if let encoding = request.headers[.contentEncoding]?.lowercased() {
            switch encoding.trimmingASCIIWhitespace() {
            case "", "identity": break
            case "gzip", "x-gzip": gzip = true
            default:
                throw RESTError(
                    status: .unsupportedMediaType,
                    errorCode: "UNSUPPORTED_MEDIA_TYPE",
                    message: "Content-Encoding '\(encoding.prefix(32))' is not supported (use gzip or none)"
                )
            }
        }
        let maxBytes = limits.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBytes {
            throw Self.tooLarge(maxBytes)
        }
        var body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBytes)
        } catch is NIOTooManyBytesError {
            throw Self.tooLarge(maxBytes)
        }
        guard gzip else { return Self.droppingByteOrderMark(body) }
        do {
            let inflated = try body.decompress(with: .gzip, maxSize: maxBytes)
            // The inflater's bound is approximate (it grows its buffer in steps): enforce the exact one here.
            guard inflated.readableBytes <= maxBytes else {
                throw CompressNIOError.bufferOverflow
            }
            return Self.droppingByteOrderMark(inflated)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw RESTError(
                status: .contentTooLarge,
                errorCode: "PAYLOAD_TOO_LARGE",
                message: "the decompressed body exceeds \(maxBytes) bytes"
            )
        } catch {
            throw RESTError.badRequest("the body is not valid gzip data")
        }
    }

    /// Skips a UTF-8 byte-order mark, which some Windows tools put in front of JSON.
    private static func droppingByteOrderMark(_ body: ByteBuffer) -> ByteBuffer {
        var body = body
        if body.readableBytesView.starts(with: [0xEF, 0xBB, 0xBF]) { body.moveReaderIndex(forwardBy: 3) }
        return body
    }

    private static func tooLarge(_ maxBytes: Int) -> RESTError {
        RESTError(status: .contentTooLarge, errorCode: "PAYLOAD_TOO_LARGE", message: "the body exceeds \(maxBytes) bytes")
    }

    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingASCIIWhitespace().lowercased() } ?? ""
        return mediaType == "application/json" || mediaType == "text/json"
            || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }

    // MARK: Responses

    static func json(_ bytes: [UInt8], status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func response(for error: RESTError) -> Response {
        var response = json(error.body(), status: error.status)
        response.headers.append(contentsOf: error.headers)
        return response
    }

    /// Decodes `%XX` escapes of a path segment; nil for malformed escapes or invalid UTF-8.
    static func percentDecoded(_ segment: Substring) -> String? {
        guard segment.utf8.contains(UInt8(ascii: "%")) else { return String(segment) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(segment.utf8.count)
        var iterator = segment.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(ASCIIHex.value), let low = iterator.next().flatMap(ASCIIHex.value) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return slice
    }
}

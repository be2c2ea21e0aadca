public import LogPilotCore

/// `logpilot.LogService`: the Java LogPilot's gRPC API (wire-compatible) plus the additions of logpilot.proto,
/// as plain handlers over `Ingestor` and `StorageEngine`.
///
/// Every method needs the API key. The service is a thin adapter: validation, limits and level parsing are the
/// Ingestor's (the same as REST's), consumer semantics the engine's.
///
/// Differences from the Java server, all deliberate:
/// - Failures end the call with a real gRPC status (INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE, ...; see
///   `GRPCStatus.init(_:)`) instead of OK with `status: "error"`. Success keeps `status: "success"` and the Java
///   messages.
/// - Records are validated like REST records; an unknown level is INVALID_ARGUMENT, not `INFO`.
/// - `FetchLogs` with an unset `limit` returns up to 100 records (Java returned none), a negative limit is refused
///   (Java returned the whole channel), and an empty channel is INVALID_ARGUMENT (Java: UNKNOWN).
/// - `Seek` accepts the operation in any case and answers with the new offset.
/// - `ListLogs` is implemented (Java: UNIMPLEMENTED); `CommitOffset`, `FetchLogsRequest.auto_commit` and
///   `StreamLogs` are new.
///
/// ```swift
/// let methods = LogService(ingestor: ingestor, state: state).methods
///     + HealthService(engine: ingestor.engine, state: state).methods
///     + ReflectionService().methods
/// // hand `methods` to the gRPC transport, which routes each call by `path`
/// ```
public struct LogService: Sendable {
    /// The fully qualified service name.
    public static let serviceName = "logpilot.LogService"

    /// Page size of `FetchLogs` and `ListLogs` when the request leaves `limit` unset (0), as REST's default.
    static let defaultReadLimit = 100

    let ingestor: Ingestor
    let state: ServerState
    let streamSettings: StreamSettings
    /// Whether authentication is on decides who a call is charged to for rate limits (key or address).
    let apiKeys: LiveValue<APIKeySet>

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - ingestor: The ingest path shared with the REST front; its engine serves the reads.
    ///   - state: The process's serving state; `StreamLogs` ends open streams when it starts draining.
    ///   - apiKeys: the keys the transport checks; with authentication on, rate limits are per key, else per peer.
    public init(ingestor: Ingestor, state: ServerState, apiKeys: LiveValue<APIKeySet> = LiveValue(APIKeySet([]))) {
        self.init(ingestor: ingestor, state: state, streamSettings: StreamSettings(), apiKeys: apiKeys)
    }

    init(
        ingestor: Ingestor,
        state: ServerState,
        streamSettings: StreamSettings,
        apiKeys: LiveValue<APIKeySet> = LiveValue(APIKeySet([]))
    ) {
        self.ingestor = ingestor
        self.state = state
        self.streamSettings = streamSettings
        self.apiKeys = apiKeys
    }

    /// Who a call is charged to when rate limiting is on: its API key (already checked by the transport) when
    /// authentication is on, else the peer's address. Nil when rate limiting is off.
    func rateLimitClient(_ context: GRPCRequestContext) -> RateLimitClient? {
        guard ingestor.rateLimiter.isEnabled else { return nil }
        if apiKeys.value.isEnabled, let key = context.metadata("x-api-key") { return .apiKey(key) }
        return .address(TrustedProxies.address(ofPeer: context.remoteAddress))
    }

    /// Charges the call to its client's request bucket; RESOURCE_EXHAUSTED with `retry-after-seconds` when empty.
    func admit(_ context: GRPCRequestContext) throws(LogPilotError) -> RateLimitClient? {
        let client = rateLimitClient(context)
        if let client { try ingestor.admitRequest(from: client, protocol: .grpc) }
        return client
    }

    var engine: StorageEngine { ingestor.engine }

    /// The service's methods, all requiring authentication: `SendLog`, `SendLogs`, `ListLogs`, `FetchLogs`, `Seek`,
    /// `CommitOffset` (unary) and `StreamLogs` (bidirectional streaming).
    public var methods: [GRPCMethod] {
        [
            unary("SendLog") { service, request, call in try await service.sendLog(request, call: call) },
            unary("SendLogs") { service, request, call in try await service.sendLogs(request, call: call) },
            unary("ListLogs") { service, request, _ in try await service.listLogs(request) },
            unary("FetchLogs") { service, request, _ in try await service.fetchLogs(request) },
            unary("Seek") { service, request, _ in try await service.seek(request) },
            unary("CommitOffset") { service, request, _ in try await service.commitOffset(request) },
            GRPCMethod(path: Self.path("StreamLogs"), requiresAuthentication: true, type: .bidiStream) { requests, responses, context in
                let client: RateLimitClient?
                do {
                    client = try self.admit(context)
                } catch let error as LogPilotError {
                    throw GRPCStatus(error)
                }
                try await self.streamLogs(requests: requests, responses: responses, client: client)
            },
        ]
    }

    static func path(_ method: String) -> String { "/\(serviceName)/\(method)" }

    /// A unary method: decodes the request (INVALID_ARGUMENT if it is not valid protobuf), runs `body` and maps a
    /// core error to its status in one place.
    private func unary<Request: ProtobufMessage, Response: ProtobufMessage>(
        _ name: String,
        _ body: @escaping @Sendable (LogService, Request, CallInfo) async throws -> Response
    ) -> GRPCMethod {
        let service = self
        return GRPCMethod(
            path: Self.path(name),
            requiresAuthentication: true,
            handler: GRPCHandlers.unary { bytes, context in
                let request = try ProtobufCodec.decodeRequest(bytes, as: Request.self)
                do {
                    let call = CallInfo(client: try service.admit(context), requestBytes: bytes.count)
                    return ProtobufCodec.encode(try await body(service, request, call))
                } catch let error as LogPilotError {
                    throw GRPCStatus(error)
                }
            }
        )
    }

    // MARK: Writes

    /// `SendLog`: stores one record; answers with its id once it is committed.
    /// What a unary handler knows about its call besides the request.
    struct CallInfo: Sendable {
        /// Who the call is charged to (rate limits); nil when rate limiting is off.
        var client: RateLimitClient?
        /// The request message's size, for `logpilot_ingest_bytes_total`.
        var requestBytes: Int

        static let none = CallInfo(client: nil, requestBytes: 0)
    }

    func sendLog(_ request: LogRequestMessage, call: CallInfo = .none) async throws(LogPilotError) -> LogResponseMessage {
        // As REST: refuse early while the write queue is nearly full.
        try ingestor.admitWrite(protocol: .grpc)
        let result = try await ingestor.ingest(
            [IncomingLogRecord(request)], protocol: .grpc, single: true, client: call.client, bytes: call.requestBytes
        )
        return LogResponseMessage(status: "success", message: "Log stored successfully", id: result.firstId ?? 0)
    }

    /// `SendLogs`: stores a batch in one transaction, all or nothing; a bad record is named
    /// `log_requests[i].field`. An empty batch succeeds with `accepted = 0`.
    func sendLogs(
        _ request: SendLogsRequestMessage,
        call: CallInfo = .none
    ) async throws(LogPilotError) -> SendLogsResponseMessage {
        try ingestor.admitWrite(protocol: .grpc)
        let result: AppendResult
        do {
            result = try await ingestor.ingest(
                request.logRequests.map(IncomingLogRecord.init), protocol: .grpc, client: call.client, bytes: call.requestBytes
            )
        } catch {
            throw error.renamingRecords(to: "log_requests")
        }
        return SendLogsResponseMessage(
            status: "success",
            message: "Logs stored successfully",
            accepted: Int64(result.count),
            firstId: result.firstId ?? 0,
            lastId: result.lastId ?? 0
        )
    }

    // MARK: Reads

    /// `FetchLogs`, routed as in Java: `since` (the legacy consumer id) if set, else `consumerId` if set, selects a
    /// consumer fetch (ascending from the consumer's offset; `auto_commit`, default true, moves the offset in the
    /// same transaction); otherwise the newest `limit` records of the channel, newest first.
    func fetchLogs(_ request: FetchLogsRequestMessage) async throws(LogPilotError) -> FetchLogsResponseMessage {
        let channel = try RequestValidation.channel(request.channel, limits: ingestor.limits)
        let limit = try RequestValidation.readLimit(
            request.limit,
            ingestor: ingestor,
            defaultLimit: Self.defaultReadLimit
        )
        let records: [StoredLogRecord]
        if !request.since.isEmpty || !request.consumerId.isEmpty {
            let consumerId =
                request.since.isEmpty
                ? try RequestValidation.consumerId(request.consumerId)
                : try RequestValidation.consumerId(request.since, field: "since")
            records = try await engine.fetch(
                channel: channel,
                consumerId: consumerId,
                limit: limit,
                autoCommit: request.autoCommit ?? true
            )
        } else {
            records = try await engine.latest(channel: channel, limit: limit)
        }
        return FetchLogsResponseMessage(logs: records.map(LogEntryMessage.init))
    }

    /// `ListLogs`: a filtered search, newest first, one page at a time. Every filter is optional: `channel`, the
    /// levels of `level` and `levels` (either may hold comma-separated names), `fromTimestamp` and `toTimestamp`
    /// (epoch milliseconds, both inclusive as logpilot.proto documents, 0 = unbounded), `query` (a case-sensitive
    /// substring of the message), `limit` (0 = 100) and `cursor` (the previous page's `next_cursor`).
    func listLogs(_ request: ListLogsRequestMessage) async throws(LogPilotError) -> ListLogsResponseMessage {
        var query = LogSearchQuery()
        if !request.channel.isEmpty {
            query.channel = try RequestValidation.channel(request.channel, limits: ingestor.limits)
        }
        query.levels = try RequestValidation.levels(
            [(request.level, "level")] + request.levels.enumerated().map { ($1, "levels[\($0)]") }
        )
        if request.fromTimestamp != 0 {
            query.from = TimeConversion.microseconds(milliseconds: request.fromTimestamp)
        }
        if request.toTimestamp != 0 {
            // Inclusive, as logpilot.proto documents: every record of that millisecond. The engine's bound is
            // exclusive, in microseconds: the start of the next millisecond. (REST's `to` is exclusive.)
            let (next, overflow) = request.toTimestamp.addingReportingOverflow(1)
            query.to = overflow ? .max : TimeConversion.microseconds(milliseconds: next)
        }
        if !request.query.isEmpty {
            if request.query.utf8.count > 1_024 { throw LogPilotError.invalid("query", "must be at most 1024 bytes") }
            query.text = request.query
        }
        query.limit = try RequestValidation.readLimit(
            request.limit,
            ingestor: ingestor,
            defaultLimit: Self.defaultReadLimit
        )
        if !request.cursor.isEmpty {
            guard let id = Int64(request.cursor), id > 0 else {
                throw LogPilotError.invalid("cursor", "is not a cursor returned by this API")
            }
            query.beforeId = id
        }
        let page = try await engine.search(query)
        return ListLogsResponseMessage(
            logs: page.records.map(LogEntryMessage.init),
            nextCursor: page.nextCursor.map { String($0) } ?? "",
            truncated: page.truncated?.rawValue ?? ""
        )
    }

    // MARK: Consumer offsets

    /// `Seek`: EARLIEST → offset 0, LATEST → the channel's newest id, SPECIFIC → `logId − 1` (so the next fetch
    /// starts at `logId`). The operation is matched case-insensitively.
    func seek(_ request: SeekRequestMessage) async throws(LogPilotError) -> SeekResponseMessage {
        let channel = try RequestValidation.channel(request.channel, limits: ingestor.limits)
        let consumerId = try RequestValidation.consumerId(request.consumerId)
        let target: SeekTarget
        switch request.operation.uppercased() {
        case "EARLIEST":
            target = .earliest
        case "LATEST":
            target = .latest
        case "SPECIFIC":
            if request.logId == 0 { throw LogPilotError.invalid("logId", "is required when operation is SPECIFIC") }
            if request.logId < 0 { throw LogPilotError.invalid("logId", "must be a positive integer") }
            target = .specific(request.logId)
        case "":
            throw LogPilotError.invalid("operation", "is required (EARLIEST, LATEST or SPECIFIC)")
        default:
            throw LogPilotError.invalid(
                "operation",
                "must be EARLIEST, LATEST or SPECIFIC (got '\(request.operation.prefix(32))')"
            )
        }
        let position = try await engine.seek(channel: channel, consumerId: consumerId, to: target)
        return SeekResponseMessage(status: "success", message: "Seek operation successful", offset: position.offset)
    }

    /// `CommitOffset`: sets the consumer's offset to `lastLogId` exactly (manual acknowledgement after a fetch with
    /// `auto_commit = false`).
    func commitOffset(
        _ request: CommitOffsetRequestMessage
    ) async throws(LogPilotError) -> CommitOffsetResponseMessage {
        let channel = try RequestValidation.channel(request.channel, limits: ingestor.limits)
        let consumerId = try RequestValidation.consumerId(request.consumerId)
        if request.lastLogId < 0 { throw LogPilotError.invalid("lastLogId", "must not be negative") }
        let position = try await engine.commitOffset(
            channel: channel,
            consumerId: consumerId,
            offset: request.lastLogId
        )
        return CommitOffsetResponseMessage(
            status: "success",
            message: "Offset committed successfully",
            offset: position.offset
        )
    }
}

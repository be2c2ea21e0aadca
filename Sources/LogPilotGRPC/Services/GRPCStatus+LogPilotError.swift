public import LogPilotCore

extension GRPCStatus {
    /// Maps a core error to the gRPC status a call ends with. The one place where `LogPilotError` meets gRPC (the
    /// REST front's counterpart is `RESTError.init(_:)`), so both fronts answer the same failure the same way:
    ///
    /// | `LogPilotError.Code` | gRPC status        | REST |
    /// |----------------------|--------------------|------|
    /// | `invalidArgument`    | INVALID_ARGUMENT   | 400  |
    /// | `payloadTooLarge`    | RESOURCE_EXHAUSTED | 413  |
    /// | `overloaded`         | RESOURCE_EXHAUSTED | 429  |
    /// | `rateLimited`        | RESOURCE_EXHAUSTED | 429  |
    /// | `streamLimit`        | RESOURCE_EXHAUSTED | 429  |
    /// | `unavailable`        | UNAVAILABLE        | 503  |
    /// | `storageFull`        | RESOURCE_EXHAUSTED | 507  |
    /// | `storageFailure`     | UNAVAILABLE        | 503  |
    /// | `notFound`           | NOT_FOUND          | 404  |
    /// | anything else        | INTERNAL           | 500  |
    ///
    /// The message is the core's client-safe message (validation errors name the field, e.g.
    /// `log_requests[3].level: unknown level ...`). When the error carries a retry hint (`overloaded`, and
    /// `unavailable` while storage starts or is busy), it goes out as the `retry-after-seconds` trailer, the gRPC
    /// counterpart of REST's `Retry-After` header.
    ///
    /// Unlike the Java LogPilot, which answered application errors with gRPC OK and an in-band
    /// `status: "error"`, failures end the call with a real status code.
    public init(_ error: LogPilotError) {
        let code: GRPCStatusCode =
            switch error.code {
            case .invalidArgument: .invalidArgument
            case .payloadTooLarge, .overloaded, .rateLimited, .streamLimit, .storageFull: .resourceExhausted
            case .unavailable, .storageFailure: .unavailable
            case .notFound: .notFound
            default: .internalError
            }
        var trailers: [(name: String, value: String)] = []
        if let retryAfter = error.retryAfterSeconds {
            trailers.append((name: "retry-after-seconds", value: String(retryAfter)))
        }
        self.init(code, error.message, trailers: trailers)
    }
}

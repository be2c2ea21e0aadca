import LogPilotCore
import LogPilotGRPC
import Testing

/// `GRPCStatus.init(_ error: LogPilotError)`: the one mapping from core errors to gRPC statuses.
struct GRPCStatusMappingTests {
    @Test(arguments: [
        (LogPilotError.Code.invalidArgument, GRPCStatusCode.invalidArgument),
        (.payloadTooLarge, .resourceExhausted),
        (.overloaded, .resourceExhausted),
        (.unavailable, .unavailable),
        (.storageFull, .resourceExhausted),
        (.storageFailure, .unavailable),
        (.notFound, .notFound),
        (.internalError, .internalError),
    ])
    func codeMapping(code: LogPilotError.Code, expected: GRPCStatusCode) {
        let status = GRPCStatus(LogPilotError(code: code, message: "the message"))
        #expect(status.code == expected)
        #expect(status.message == "the message")
        #expect(status.trailers.isEmpty)
    }

    @Test func overloadedCarriesTheRetryHintAsATrailer() {
        let status = GRPCStatus(
            LogPilotError(code: .overloaded, message: "the write queue is full", retryAfterSeconds: 3)
        )
        #expect(
            status
                == GRPCStatus(.resourceExhausted, "the write queue is full", trailers: [("retry-after-seconds", "3")])
        )
    }

    @Test func unavailableWithARetryHintCarriesItToo() {
        let status = GRPCStatus(LogPilotError(code: .unavailable, message: "storage is starting", retryAfterSeconds: 1))
        #expect(status == GRPCStatus(.unavailable, "storage is starting", trailers: [("retry-after-seconds", "1")]))
    }

    @Test func validationErrorsKeepTheFieldInTheMessage() {
        let status = GRPCStatus(LogPilotError.invalid("log_requests[3].level", "unknown level 'X'"))
        #expect(status == GRPCStatus(.invalidArgument, "log_requests[3].level: unknown level 'X'"))
    }
}

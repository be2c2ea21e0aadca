import Testing

@testable import LogPilotGRPC

/// Per-stream lifecycle and "what to send when".
struct GRPCStreamStateMachineTests {
    typealias Machine = GRPCStream.StateMachine

    @Test func unaryCall() {
        var machine = Machine()
        #expect(machine.http2State == .idle)
        machine.receivedHeaders(endStream: false)
        #expect(machine.http2State == .open)
        #expect(machine.receivedData() == .deliver)
        #expect(machine.receivedEndStream() == .deliverEnd)
        #expect(machine.http2State == .halfClosedRemote)
        #expect(machine.sendMessage() == .sendHeadersAndMessage)
        #expect(machine.finish() == .sendTrailers)
        #expect(machine.isResponseEnded)
        #expect(machine.endStreamSent() == .none)
        #expect(machine.http2State == .closed)
        #expect(machine.streamClosed() == .none)
    }

    @Test func responseHeadersGoOutOnlyOnce() {
        var machine = Machine()
        machine.receivedHeaders(endStream: true)
        #expect(machine.sendMessage() == .sendHeadersAndMessage)
        #expect(machine.sendMessage() == .sendMessage)
        #expect(machine.sendMessage() == .sendMessage)
        #expect(machine.finish() == .sendTrailers)
    }

    @Test func errorBeforeAnyMessageIsTrailersOnly() {
        var machine = Machine()
        machine.receivedHeaders(endStream: true)
        #expect(machine.finish() == .sendTrailersOnly)
        #expect(machine.finish() == .none)
        #expect(machine.sendMessage() == .drop)
    }

    @Test func finishingWhileTheClientStillSendsResetsWithNoError() {
        var machine = Machine()
        machine.receivedHeaders(endStream: false)
        #expect(machine.finish() == .sendTrailersOnly)
        #expect(machine.receivedData() == .ignore)
        #expect(machine.endStreamSent() == .resetNoError)
        #expect(machine.http2State == .halfClosedLocal)
        #expect(machine.streamClosed() == .none)
        #expect(machine.http2State == .closed)
    }

    @Test func clientEndAfterServerFinishedIsIgnored() {
        var machine = Machine()
        machine.receivedHeaders(endStream: false)
        _ = machine.sendMessage()
        _ = machine.finish()
        #expect(machine.receivedEndStream() == .ignore)
        #expect(machine.endStreamSent() == .none)
    }

    @Test func clientResetBeforeTheEndCancelsTheCall() {
        var machine = Machine()
        machine.receivedHeaders(endStream: false)
        _ = machine.sendMessage()
        #expect(machine.streamClosed() == .cancelCall)
        #expect(machine.http2State == .closed)
        #expect(machine.sendMessage() == .drop)
        #expect(machine.finish() == .none)
    }

    @Test func resetAfterTrailersWereQueuedDoesNotCancel() {
        var machine = Machine()
        machine.receivedHeaders(endStream: true)
        _ = machine.finish()
        #expect(machine.streamClosed() == .none)
    }

    @Test func headersWithEndStreamMeanNoRequestMessages() {
        var machine = Machine()
        machine.receivedHeaders(endStream: true)
        #expect(machine.http2State == .halfClosedRemote)
        #expect(machine.receivedData() == .ignore)
        #expect(machine.receivedEndStream() == .ignore)
    }

    @Test func trailersCarryStatusAndPercentEncodedMessage() {
        let ok = Machine.trailers(for: .ok)
        #expect(ok.map(\.name) == ["grpc-status"])
        #expect(ok.map(\.value) == ["0"])

        let status = GRPCStatus(.resourceExhausted, "queue full: 100%", trailers: [("retry-after-seconds", "2")])
        let trailers = Machine.trailers(for: status)
        #expect(trailers.map(\.name) == ["grpc-status", "grpc-message", "retry-after-seconds"])
        #expect(trailers.map(\.value) == ["8", "queue full: 100%25", "2"])
    }

    @Test func trailersOnlyResponse() {
        let fields = Machine.trailersOnly(for: GRPCStatus(.unimplemented, "unknown method /a/b"), httpStatus: 200)
        #expect(fields.map(\.name) == [":status", "content-type", "grpc-accept-encoding", "grpc-status", "grpc-message"])
        #expect(fields.map(\.value) == ["200", "application/grpc", "identity,gzip", "12", "unknown method /a/b"])
        #expect(Machine.trailersOnly(for: GRPCStatus(.internalError), httpStatus: 415).first?.value == "415")
    }

    @Test func unsafeExtraTrailersAreDropped() {
        let status = GRPCStatus(.unavailable, "", trailers: [
            ("grpc-status", "0"), ("Upper", "x"), ("ok-name", "line\r\nbreak"), (":path", "/x"), ("", "v"),
            ("content-type", "text/plain"), ("retry-after-seconds", "1"),
        ])
        #expect(Machine.trailers(for: status).map(\.name) == ["grpc-status", "retry-after-seconds"])
        #expect(Machine.trailers(for: status).first?.value == "14")
    }

    @Test func responseHeaders() {
        #expect(Machine.responseHeaders().map(\.name) == [":status", "content-type", "grpc-accept-encoding"])
    }
}

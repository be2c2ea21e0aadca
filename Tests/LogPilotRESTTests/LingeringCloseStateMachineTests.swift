import Testing
@testable import LogPilotREST

/// The lingering-close decisions as values: which responses close the connection, when draining starts and ends.
struct LingeringCloseStateMachineTests {
    static let limits = LingeringClose.Limits(maxBytes: 100, maxDuration: .seconds(5))

    @Test func aResponseAfterTheWholeRequestKeepsTheConnection() {
        var machine = LingeringClose(limits: Self.limits)
        #expect(machine.requestHead() == .forward)
        #expect(machine.requestBody(bytes: 10) == .forward)
        #expect(machine.requestEnd() == .forward)
        #expect(machine.responseHead(status: 201) == .forward)
        #expect(machine.responseEnd() == .none)
        #expect(!machine.isDraining)
    }

    @Test func anEarlyResponseClosesAndDrainsUntilTheRequestEnds() {
        var machine = LingeringClose(limits: Self.limits)
        _ = machine.requestHead()
        #expect(machine.responseHead(status: 413) == .forwardClosing)
        #expect(machine.requestBody(bytes: 10) == .forward)  // the response is not finished yet
        #expect(machine.responseEnd() == .startDraining)
        #expect(machine.requestBody(bytes: 40) == .discard)
        #expect(machine.requestBody(bytes: 40) == .discard)
        #expect(machine.requestEnd() == .discardAndClose)
        #expect(machine.drainedBytes == 80)
    }

    @Test func drainingStopsAtTheByteBound() {
        var machine = LingeringClose(limits: Self.limits)
        _ = machine.requestHead()
        _ = machine.responseHead(status: 415)
        #expect(machine.responseEnd() == .startDraining)
        #expect(machine.requestBody(bytes: 100) == .discard)
        #expect(machine.requestBody(bytes: 1) == .discardAndClose)
    }

    @Test func interimResponsesDoNotCount() {
        var machine = LingeringClose(limits: Self.limits)
        _ = machine.requestHead()
        #expect(machine.responseHead(status: 100) == .forward)
        #expect(machine.responseEnd() == .none)
        #expect(machine.requestBody(bytes: 10) == .forward)
        #expect(machine.requestEnd() == .forward)
        #expect(machine.responseHead(status: 201) == .forward)
    }

    @Test func aRequestThatEndsWhileTheResponseIsWrittenClosesAtOnce() {
        var machine = LingeringClose(limits: Self.limits)
        _ = machine.requestHead()
        #expect(machine.responseHead(status: 401) == .forwardClosing)
        #expect(machine.requestEnd() == .forward)
        #expect(machine.responseEnd() == .close)
        #expect(!machine.isDraining)
    }

    @Test func pipelinedRequestsAreMatchedInOrder() {
        var machine = LingeringClose(limits: Self.limits)
        _ = machine.requestHead()
        _ = machine.requestEnd()
        _ = machine.requestHead()  // the second request's body is still arriving
        #expect(machine.responseHead(status: 200) == .forward)  // answers the first, complete request
        #expect(machine.responseEnd() == .none)
        #expect(machine.responseHead(status: 413) == .forwardClosing)  // answers the second, early
        #expect(machine.responseEnd() == .startDraining)
    }

    @Test func aParserErrorDrainsTheBytesThatFollow() {
        var machine = LingeringClose(limits: Self.limits)
        machine.parserError()
        #expect(machine.bytesAfterParserError(10) == .forward)  // not draining before the 400 is written
        #expect(machine.responseHead(status: 400) == .forwardClosing)
        #expect(machine.responseEnd() == .startDraining)
        #expect(machine.bytesAfterParserError(60) == .discard)
        #expect(machine.bytesAfterParserError(60) == .discardAndClose)
    }
}

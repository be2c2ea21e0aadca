import LogPilotCore
import Testing

@testable import LogPilotGRPC

/// `logpilot.LogService/StreamLogs`: batching, cumulative acks, errors by stream position, draining, backpressure.
struct StreamLogsTests {
    static func message(_ index: Int, channel: String = "stream", level: String = "info") -> LogRequestMessage {
        LogRequestMessage(channel: channel, level: level, message: "m\(index)", meta: ["i": "\(index)"])
    }

    /// Checks that acks are cumulative: strictly increasing counts and ids.
    static func expectMonotonic(_ acks: [StreamLogsAckMessage], sourceLocation: SourceLocation = #_sourceLocation) {
        for (previous, next) in zip(acks, acks.dropFirst()) {
            #expect(next.recordsCommitted > previous.recordsCommitted, sourceLocation: sourceLocation)
            #expect(next.lastId > previous.lastId, sourceLocation: sourceLocation)
        }
    }

    @Test func tenThousandMessages() async throws {
        try await ServiceTestHarness.with { harness in
            let requests = ScriptedRequests((0..<10_000).map { Self.message($0) })
            let responses = RecordingResponses()
            let status = await runCall(try harness.log("StreamLogs"), requests: requests, responses: responses)
            #expect(status == .ok)
            let acks = try responses.decoded(as: StreamLogsAckMessage.self)
            #expect(!acks.isEmpty)
            Self.expectMonotonic(acks)
            #expect(acks.last == StreamLogsAckMessage(recordsCommitted: 10_000, lastId: 10_000))
            let stored = try await harness.storedRecords()
            #expect(stored.count == 10_000)
            #expect(stored.map(\.id) == Array(1...10_000))
            #expect(stored.map(\.record.message) == (0..<10_000).map { "m\($0)" })
            #expect(stored.allSatisfy { $0.record.metaJSON == #"{"i":"\#($0.record.message.dropFirst())"}"# })
        }
    }

    @Test func aBadMessageEndsTheStreamNamingItsPosition() async throws {
        try await ServiceTestHarness.with { harness in
            var messages = (0..<1_000).map { Self.message($0) }
            messages[500].level = "LOUD"
            let responses = RecordingResponses()
            let status = await runCall(
                try harness.log("StreamLogs"),
                requests: ScriptedRequests(messages),
                responses: responses
            )
            #expect(status.code == .invalidArgument)
            #expect(status.message.hasPrefix("log_requests[500].level: unknown level 'LOUD'"))
            // Everything before the bad message is stored and acknowledged, whatever the batching was.
            let acks = try responses.decoded(as: StreamLogsAckMessage.self)
            Self.expectMonotonic(acks)
            #expect(acks.last == StreamLogsAckMessage(recordsCommitted: 500, lastId: 500))
            #expect(try await harness.storedRecords().map(\.record.message) == (0..<500).map { "m\($0)" })
        }
    }

    @Test func aBadMessageInALaterBatchKeepsItsStreamPosition() async throws {
        try await ServiceTestHarness.with { harness in
            let requests = ScriptedRequests(halfClose: false)
            let responses = RecordingResponses()
            let method = try harness.log("StreamLogs")
            async let status = runCall(method, requests: requests, responses: responses)
            for index in 0..<3 { requests.send(Self.message(index)) }
            try await responses.waitForMessages(1)
            while try responses.decoded(as: StreamLogsAckMessage.self).last?.recordsCommitted != 3 {
                try await Task.sleep(for: .milliseconds(1))
            }
            requests.send(Self.message(3))
            requests.send(LogRequestMessage(channel: "", message: "no channel"))
            requests.send(Self.message(5))
            #expect(await status == GRPCStatus(.invalidArgument, "log_requests[4].channel: is required"))
            #expect(
                try responses.decoded(as: StreamLogsAckMessage.self).last
                    == StreamLogsAckMessage(recordsCommitted: 4, lastId: 4)
            )
            #expect(try await harness.engine.count() == 4)
        }
    }

    @Test func invalidProtobufEndsTheStreamNamingItsPosition() async throws {
        try await ServiceTestHarness.with { harness in
            let requests = ScriptedRequests(
                (0..<3).map { Self.message($0).protobufBytes() } + [[0xFF, 0xFF, 0xFF]] + [
                    Self.message(4).protobufBytes()
                ]
            )
            let responses = RecordingResponses()
            let status = await runCall(try harness.log("StreamLogs"), requests: requests, responses: responses)
            #expect(status == GRPCStatus(.invalidArgument, "log_requests[3]: invalid protobuf in logpilot.LogRequest"))
            #expect(
                try responses.decoded(as: StreamLogsAckMessage.self).last
                    == StreamLogsAckMessage(recordsCommitted: 3, lastId: 3)
            )
            #expect(try await harness.engine.count() == 3)
        }
    }

    @Test func anEmptyStreamGetsOneFinalAck() async throws {
        try await ServiceTestHarness.with { harness in
            let responses = RecordingResponses()
            let status = await runCall(
                try harness.log("StreamLogs"),
                requests: ScriptedRequests([[UInt8]]()),
                responses: responses
            )
            #expect(status == .ok)
            #expect(
                try responses.decoded(as: StreamLogsAckMessage.self) == [
                    StreamLogsAckMessage(recordsCommitted: 0, lastId: 0)
                ]
            )
        }
    }

    @Test func aTrickleIsAcknowledgedMessageByMessage() async throws {
        try await ServiceTestHarness.with { harness in
            _ = try await harness.engine.append([LogRecord(timestamp: 1, channel: "other", level: .info, message: "x")])
            let requests = ScriptedRequests(halfClose: false)
            let responses = RecordingResponses()
            let method = try harness.log("StreamLogs")
            async let status = runCall(method, requests: requests, responses: responses)
            for index in 0..<5 {
                requests.send(Self.message(index))
                // No half-close and no more messages: the ack for this one still comes.
                try await responses.waitForMessages(index + 1)
                let acks = try responses.decoded(as: StreamLogsAckMessage.self)
                #expect(acks.last == StreamLogsAckMessage(recordsCommitted: Int64(index + 1), lastId: Int64(index + 2)))
            }
            requests.halfClose()
            #expect(await status == .ok)
            let acks = try responses.decoded(as: StreamLogsAckMessage.self)
            #expect(acks.count == 5)
            #expect(acks.last == StreamLogsAckMessage(recordsCommitted: 5, lastId: 6))
        }
    }

    @Test func drainingEndsTheStreamAfterCommittingWhatWasReceived() async throws {
        try await ServiceTestHarness.with { harness in
            let requests = ScriptedRequests(halfClose: false)
            let responses = RecordingResponses()
            let method = try harness.log("StreamLogs")
            async let status = runCall(method, requests: requests, responses: responses)
            for index in 0..<5 { requests.send(Self.message(index)) }
            while try responses.decoded(as: StreamLogsAckMessage.self).last?.recordsCommitted != 5 {
                try await Task.sleep(for: .milliseconds(1))
            }
            // The client stays idle (no half-close): the stream must still end.
            harness.state.beginDraining()
            #expect(await status == GRPCStatus(.unavailable, "server is shutting down"))
            #expect(
                try responses.decoded(as: StreamLogsAckMessage.self).last
                    == StreamLogsAckMessage(recordsCommitted: 5, lastId: 5)
            )
            #expect(try await harness.engine.count() == 5)
        }
    }

    @Test func drainingBeforeAnyMessageSendsAFinalAck() async throws {
        try await ServiceTestHarness.with { harness in
            harness.state.beginDraining()
            let responses = RecordingResponses()
            let status = await runCall(
                try harness.log("StreamLogs"),
                requests: ScriptedRequests(halfClose: false),
                responses: responses
            )
            #expect(status == GRPCStatus(.unavailable, "server is shutting down"))
            #expect(
                try responses.decoded(as: StreamLogsAckMessage.self) == [
                    StreamLogsAckMessage(recordsCommitted: 0, lastId: 0)
                ]
            )
        }
    }

    @Test func aBrokenCallEndsWithTheTransportStatus() async throws {
        try await ServiceTestHarness.with { harness in
            let requests = ScriptedRequests((0..<3).map { Self.message($0) }, halfClose: false)
            requests.fail(GRPCStatus(.resourceExhausted, "message larger than 4194304 bytes"))
            let responses = RecordingResponses()
            let status = await runCall(try harness.log("StreamLogs"), requests: requests, responses: responses)
            #expect(status == GRPCStatus(.resourceExhausted, "message larger than 4194304 bytes"))
            #expect(
                try responses.decoded(as: StreamLogsAckMessage.self).last
                    == StreamLogsAckMessage(recordsCommitted: 3, lastId: 3)
            )
        }
    }

    @Test func aClientThatReadsNothingUntilTheEndDoesNotStallCommits() async throws {
        try await ServiceTestHarness.with { harness in
            // Acks cannot be written until the client reads (its window is closed); commits go on, and the acks
            // that could not be written are replaced by newer ones.
            let responses = RecordingResponses(blocked: true)
            let requests = ScriptedRequests((0..<10_000).map { Self.message($0) })
            let method = try harness.log("StreamLogs")
            async let status = runCall(method, requests: requests, responses: responses)
            let deadline = ContinuousClock.now + .seconds(30)
            while try await harness.engine.count() < 10_000 {
                try #require(ContinuousClock.now < deadline)
                try await Task.sleep(for: .milliseconds(5))
            }
            responses.unblock()
            #expect(await status == .ok)
            let acks = try responses.decoded(as: StreamLogsAckMessage.self)
            #expect((1...2).contains(acks.count))
            Self.expectMonotonic(acks)
            #expect(acks.last == StreamLogsAckMessage(recordsCommitted: 10_000, lastId: 10_000))
        }
    }

    @Test func aFullWriteQueueSlowsStreamsDownInsteadOfFailingThem() async throws {
        try await ServiceTestHarness.with(configure: {
            $0.maxQueuedRecords = 100
            $0.maxCommitRecords = 100
        }) { harness in
            let method = try harness.log("StreamLogs")
            let results = await withTaskGroup(of: (GRPCStatus, StreamLogsAckMessage?).self) { group in
                for stream in 0..<5 {
                    group.addTask {
                        let responses = RecordingResponses()
                        let requests = ScriptedRequests((0..<2_000).map { Self.message($0, channel: "s\(stream)") })
                        let status = await runCall(method, requests: requests, responses: responses)
                        return (status, try? responses.decoded(as: StreamLogsAckMessage.self).last)
                    }
                }
                var results: [(GRPCStatus, StreamLogsAckMessage?)] = []
                for await result in group { results.append(result) }
                return results
            }
            #expect(results.allSatisfy { $0.0 == .ok && $0.1?.recordsCommitted == 2_000 })
            #expect(try await harness.engine.count() == 10_000)
            for stream in 0..<5 {
                let page = try await harness.engine.search(LogSearchQuery(channel: "s\(stream)", limit: 2_000))
                #expect(page.records.reversed().map(\.record.message) == (0..<2_000).map { "m\($0)" })
            }
        }
    }

    @Test func batchesRespectTheIngestorsBatchLimit() async throws {
        try await ServiceTestHarness.with(limits: IngestLimits(maxBatchRecords: 7)) { harness in
            let responses = RecordingResponses()
            let status = await runCall(
                try harness.log("StreamLogs"),
                requests: ScriptedRequests((0..<100).map { Self.message($0) }),
                responses: responses
            )
            #expect(status == .ok)
            #expect(
                try responses.decoded(as: StreamLogsAckMessage.self).last
                    == StreamLogsAckMessage(recordsCommitted: 100, lastId: 100)
            )
        }
    }

    @Test func cancellingTheCallEndsIt() async throws {
        try await ServiceTestHarness.with { harness in
            let requests = ScriptedRequests(halfClose: false)
            let responses = RecordingResponses()
            let method = try harness.log("StreamLogs")
            let call = Task { await runCall(method, requests: requests, responses: responses) }
            requests.send(Self.message(0))
            try await responses.waitForMessages(1)
            call.cancel()
            let status = await call.value
            #expect(status.code == .cancelled)
            #expect(try await harness.engine.count() == 1)
        }
    }
}

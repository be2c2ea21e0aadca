import LogPilotCore

/// Tuning of `StreamLogs`. Internal: the defaults are the product's; tests shorten the intervals.
struct StreamSettings: Sendable {
    /// Records per ingest batch, at most (and never more than the Ingestor's `maxBatchRecords`).
    var maxBatchRecords = 1_000
    /// Approximate bytes per ingest batch, at most (one record always fits).
    var maxBatchBytes = 1 << 20
    /// First wait after the write queue refused a batch as overloaded; doubles up to `maxBackoff`.
    var initialBackoff: Duration = .milliseconds(5)
    /// Longest wait between two attempts while the write queue stays overloaded.
    var maxBackoff: Duration = .milliseconds(500)
    /// How often an open stream looks at `ServerState.isDraining` while it waits for client messages.
    var drainPollInterval: Duration = .milliseconds(100)

    init() {}
}

extension LogService {
    /// How the input of a `StreamLogs` call ended.
    enum StreamEnding: Sendable {
        /// The client half-closed: commit the rest, send the final ack, end with OK.
        case halfClosed
        /// The server started draining: commit what was received, send the final ack, end with UNAVAILABLE.
        case draining
        /// A bad message (INVALID_ARGUMENT naming `log_requests[N]`), a broken call (the transport's status), or
        /// a storage failure: end with that status after acknowledging what was committed before it.
        case failed(GRPCStatus)

        var isFailure: Bool {
            if case .failed = self { return true }
            return false
        }
    }

    /// `StreamLogs`: the client streams `LogRequest`s; the server commits them in batches and answers each commit
    /// with a cumulative `StreamLogsAck {records_committed, last_id}`.
    ///
    /// Three tasks cooperate:
    /// - a reader takes messages from the transport, decodes them and pushes them into a bounded `StreamInbox`.
    ///   It waits while the inbox is full, so a slow commit slows the client down through HTTP/2 flow control
    ///   (the transport grants window only as messages are taken) instead of buffering without bound;
    /// - the committer (this task) takes whatever is in the inbox (up to 1000 records / 1 MiB), ingests it and
    ///   posts the ack. Batches therefore grow under load, while a slow trickle is acknowledged message by message.
    ///   When the write queue is overloaded it waits and retries with backoff instead of failing the stream: the
    ///   reader stops taking messages meanwhile, which is the backpressure for streams;
    /// - an ack writer sends the newest ack. Acks are cumulative, so one that could not be written yet is replaced
    ///   by the next: a client that reads nothing until it has sent everything (client-streaming style) never
    ///   stalls the commits, and gets the final ack when it finally reads.
    ///
    /// Records are validated as in `SendLogs`; the first bad message ends the stream with INVALID_ARGUMENT naming
    /// `log_requests[N]`, N being its position in the stream. Every record before it is committed and acknowledged
    /// first, however the stream was batched. When the server starts draining, what was received is committed and
    /// acknowledged and the call ends with UNAVAILABLE "server is shutting down".
    func streamLogs(
        requests: any GRPCRequestReceiver,
        responses: any GRPCResponseSender,
        client: RateLimitClient? = nil
    ) async throws {
        let batchRecords = max(1, min(streamSettings.maxBatchRecords, ingestor.limits.maxBatchRecords))
        let batchBytes = streamSettings.maxBatchBytes
        let inbox = StreamInbox<IncomingLogRecord, StreamEnding>(maxCount: batchRecords, maxCost: batchBytes)
        let acks = LatestValueMailbox<StreamLogsAckMessage>()
        try await withThrowingTaskGroup(of: Void.self) { writers in
            writers.addTask {
                while let ack = await acks.next() {
                    try await responses.write(ProtobufCodec.encode(ack))
                }
            }
            let ending = await withTaskGroup(of: Void.self) { readers in
                readers.addTask { await readStream(requests, into: inbox) }
                readers.addTask { await watchDraining(inbox) }
                let ending = await commitStream(
                    from: inbox,
                    acks: acks,
                    batchRecords: batchRecords,
                    batchBytes: batchBytes,
                    client: client
                )
                // Stops the watcher, and the reader if it still waits for a message the stream no longer needs.
                readers.cancelAll()
                return ending
            }
            // The writer sends the last ack posted, then finishes; its error (the client went away) ends the call.
            acks.close()
            try await writers.waitForAll()
            switch ending {
            case .halfClosed:
                return
            case .draining:
                throw GRPCStatus(.unavailable, "server is shutting down")
            case .failed(let status):
                throw status
            }
        }
    }

    /// Reads, decodes and pushes messages in stream order until the input ends or the inbox refuses.
    private func readStream(
        _ requests: any GRPCRequestReceiver,
        into inbox: StreamInbox<IncomingLogRecord, StreamEnding>
    ) async {
        var index = 0
        while true {
            let bytes: [UInt8]?
            do {
                bytes = try await requests.next()
            } catch {
                inbox.finish(.failed(error))
                return
            }
            guard let bytes else {
                inbox.finish(.halfClosed)
                return
            }
            let request: LogRequestMessage
            do {
                request = try ProtobufCodec.decode(bytes, as: LogRequestMessage.self)
            } catch {
                inbox.finish(.failed(GRPCStatus(.invalidArgument, "log_requests[\(index)]: \(error.message)")))
                return
            }
            let record = IncomingLogRecord(request)
            guard await inbox.push(record, cost: record.approximateBytes) else { return }
            index += 1
        }
    }

    /// Ends the input with `.draining` once the server starts draining, so that a stream whose client is idle
    /// also ends promptly.
    private func watchDraining(_ inbox: StreamInbox<IncomingLogRecord, StreamEnding>) async {
        while !Task.isCancelled {
            if state.isDraining {
                inbox.finish(.draining)
                return
            }
            try? await Task.sleep(for: streamSettings.drainPollInterval)
        }
    }

    /// Takes batches from the inbox, commits them and posts the acks, until the input ends or a batch fails.
    private func commitStream(
        from inbox: StreamInbox<IncomingLogRecord, StreamEnding>,
        acks: LatestValueMailbox<StreamLogsAckMessage>,
        batchRecords: Int,
        batchBytes: Int,
        client: RateLimitClient?
    ) async -> StreamEnding {
        var committed: Int64 = 0
        var lastId: Int64 = 0
        var acknowledged = false
        /// Records taken from the inbox so far: the stream position of the next one.
        var taken = 0

        func record(_ result: AppendResult) {
            committed += Int64(result.count)
            lastId = result.lastId ?? lastId
            acks.post(StreamLogsAckMessage(recordsCommitted: committed, lastId: lastId))
            acknowledged = true
        }

        while true {
            let batch: StreamInbox<IncomingLogRecord, StreamEnding>.Batch
            do {
                batch = try await inbox.take(maxCount: batchRecords, maxCost: batchBytes)
            } catch {
                inbox.close()
                return .failed(GRPCStatus(.cancelled, "the call was cancelled"))
            }
            if !batch.elements.isEmpty {
                let first = taken
                taken += batch.elements.count
                do {
                    record(try await ingestWithBackoff(batch.elements, client: client))
                } catch let error as LogPilotError {
                    inbox.close()
                    guard error.code == .invalidArgument, let index = error.recordIndex, index > 0 else {
                        return .failed(GRPCStatus(error.renamingRecords(to: "log_requests", indexOffset: first)))
                    }
                    // Store the valid records before the bad one, so that what is committed does not depend on
                    // how the stream happened to be batched.
                    do {
                        record(try await ingestWithBackoff(Array(batch.elements[..<index]), client: client))
                    } catch let prefixError as LogPilotError {
                        return .failed(GRPCStatus(prefixError.renamingRecords(to: "log_requests", indexOffset: first)))
                    } catch {
                        return .failed(GRPCStatus(.cancelled, "the call was cancelled"))
                    }
                    return .failed(GRPCStatus(error.renamingRecords(to: "log_requests", indexOffset: first)))
                } catch {
                    inbox.close()
                    return .failed(GRPCStatus(.cancelled, "the call was cancelled"))
                }
            }
            if let ending = batch.ending {
                inbox.close()
                if !acknowledged, !ending.isFailure {
                    // A stream that ends without an error gets a final ack even when it carried no records.
                    acks.post(StreamLogsAckMessage(recordsCommitted: committed, lastId: lastId))
                }
                return ending
            }
            if state.isDraining { inbox.finish(.draining) }
        }
    }

    /// Ingests a batch, waiting and retrying while the write queue is overloaded. Throws the first other
    /// `LogPilotError`, or `CancellationError` when the call is cancelled while waiting.
    /// A rate-limited client is not waited for: the stream ends with RESOURCE_EXHAUSTED and `retry-after-seconds`
    /// after what came before was acknowledged, as a unary call would.
    private func ingestWithBackoff(_ records: [IncomingLogRecord], client: RateLimitClient?) async throws -> AppendResult {
        var delay = streamSettings.initialBackoff
        while true {
            switch await ingestOnce(records, client: client) {
            case .success(let result):
                return result
            case .failure(let error) where error.code == .overloaded:
                try await Task.sleep(for: delay)
                delay = min(delay * 2, streamSettings.maxBackoff)
            case .failure(let error):
                throw error
            }
        }
    }

    private func ingestOnce(_ records: [IncomingLogRecord], client: RateLimitClient?) async -> Result<AppendResult, LogPilotError> {
        do {
            // Wait below the admission threshold (90 % of the queue) rather than at the hard limit: this leaves room
            // for unary calls, and the engine refusing the batch outright would count its records as rejected in
            // the metrics at every retry.
            try engine.checkAdmission()
            return .success(try await ingestor.ingest(records, protocol: .grpc, client: client))
        } catch {
            return .failure(error)
        }
    }
}

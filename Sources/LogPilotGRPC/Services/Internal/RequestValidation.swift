// Request checks shared by the LogService RPCs. They apply the REST front's rules to the same fields, so a request
// is refused (or accepted) the same way on both fronts; proto3 cannot tell an unset string from an empty one, so
// an empty required string is "missing" (`channel: is required`).

import LogPilotCore

enum RequestValidation {
    /// A required channel: non-empty and valid under the ingest limits (length, no whitespace or control
    /// characters), as REST checks `channel` in bodies and paths.
    static func channel(
        _ channel: String,
        limits: IngestLimits,
        field: String = "channel"
    ) throws(LogPilotError) -> String {
        if channel.isEmpty { throw LogPilotError.invalid(field, "is required") }
        if let problem = limits.channelProblem(channel) { throw LogPilotError.invalid(field, problem) }
        return channel
    }

    /// A required consumer id: non-empty, not blank, at most 256 bytes (REST's rule).
    static func consumerId(_ consumerId: String, field: String = "consumerId") throws(LogPilotError) -> String {
        if consumerId.isEmpty { throw LogPilotError.invalid(field, "is required") }
        if consumerId.utf8.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
            throw LogPilotError.invalid(field, "must not be blank")
        }
        if consumerId.utf8.count > 256 { throw LogPilotError.invalid(field, "must be at most 256 bytes") }
        return consumerId
    }

    /// A read limit: 0 (unset) means `defaultLimit`; negative or above the configured `maxReadLimit` is refused.
    static func readLimit(_ limit: Int32, ingestor: Ingestor, defaultLimit: Int) throws(LogPilotError) -> Int {
        let value = limit == 0 ? defaultLimit : Int(limit)
        try ingestor.checkReadLimit(value)
        return value
    }

    /// Level names of a filter: each value may hold several names separated by commas (as REST's `level`
    /// parameter); empty values are skipped; an unknown name is refused naming `field`.
    static func levels(_ values: [(value: String, field: String)]) throws(LogPilotError) -> Set<LogLevel> {
        var levels: Set<LogLevel> = []
        for (value, field) in values {
            for name in value.split(separator: ",") where !name.isEmpty {
                guard let level = LogLevel(parsing: String(name)) else {
                    throw LogPilotError.invalid(
                        field,
                        "unknown level '\(name.prefix(32))' (expected \(LogLevel.acceptedNames))"
                    )
                }
                levels.insert(level)
            }
        }
        return levels
    }
}

extension LogPilotError {
    /// Re-roots a batch validation error of `Ingestor` on a gRPC list field: `records` becomes `list` and
    /// `records[i].x` becomes `list[i + indexOffset].x`, in `field` and in the message that starts with it.
    /// (REST names the JSON array `records`; `SendLogsRequest` calls it `log_requests`, and a `StreamLogs` record
    /// is named by its position in the whole stream.)
    func renamingRecords(to list: String, indexOffset: Int = 0) -> LogPilotError {
        guard let field else { return self }
        let renamed: String
        if field == "records" {
            renamed = list
        } else if let index = recordIndex {
            let rest = field.drop { $0 != "]" }.dropFirst()
            renamed = "\(list)[\(index + indexOffset)]\(rest)"
        } else {
            return self
        }
        var error = self
        error.field = renamed
        if message.hasPrefix(field) {
            error.message = renamed + message.dropFirst(field.count)
        }
        return error
    }

    /// The batch index of a validation error whose field is `records[i]...`; nil for any other error.
    var recordIndex: Int? {
        guard let field, field.hasPrefix("records[") else { return nil }
        let digits = field.dropFirst("records[".count).prefix { $0 != "]" }
        return Int(digits)
    }
}

extension ProtobufCodec {
    /// Decodes a request message; bytes that are not a valid `M` end the call with INVALID_ARGUMENT (the REST
    /// front answers malformed JSON with 400 the same way).
    static func decodeRequest<M: ProtobufMessage>(_ bytes: [UInt8], as type: M.Type) throws(GRPCStatus) -> M {
        do {
            return try decode(bytes, as: M.self)
        } catch {
            throw GRPCStatus(.invalidArgument, error.message)
        }
    }
}

// A deliberately simple re-statement of the LogBatchJSONDecoder field rules on top of the JSONValue
// tree. The fuzzer checks that the streaming decoder agrees with it on every well-formed input.

struct ReferenceRecord {
    var channel: String?
    var level: String?
    var message: String?
    var timestamp: Int64?
    var meta: JSONValue?
    var metaKeyCount = 0
}

struct ReferenceError: Error, CustomStringConvertible {
    var kind: LogBatchDecodingError.Kind
    var index: Int?
    var field: String?

    var description: String {
        "\(self.kind) index=\(String(describing: self.index)) field=\(String(describing: self.field))"
    }
}

struct ReferenceDecoder {
    var decoder: LogBatchJSONDecoder

    func decodeBatch(_ tree: JSONValue) -> Result<[ReferenceRecord], ReferenceError> {
        guard case .array(let elements) = tree else {
            return .failure(ReferenceError(kind: .syntax))
        }
        var records: [ReferenceRecord] = []
        for (index, element) in elements.enumerated() {
            guard index < self.decoder.maxRecords else {
                return .failure(ReferenceError(kind: .tooManyRecords, index: index))
            }
            switch self.decodeRecord(element, index: index) {
            case .success(let record):
                records.append(record)
            case .failure(let error):
                return .failure(error)
            }
        }
        return .success(records)
    }

    func decodeSingle(_ tree: JSONValue) -> Result<ReferenceRecord, ReferenceError> {
        guard case .object = tree else {
            return .failure(ReferenceError(kind: .syntax))
        }
        return self.decodeRecord(tree, index: nil)
    }

    private func decodeRecord(_ value: JSONValue, index: Int?) -> Result<ReferenceRecord, ReferenceError> {
        guard case .object(let members) = value else {
            return .failure(ReferenceError(kind: .invalidField, index: index))
        }
        func invalid(_ field: String?) -> Result<ReferenceRecord, ReferenceError> {
            .failure(ReferenceError(kind: .invalidField, index: index, field: field))
        }
        var record = ReferenceRecord()
        for member in members {
            switch member.key {
            case "channel", "level", "message":
                let string: String?
                switch member.value {
                case .string(let text): string = text
                case .null: string = nil
                default: return invalid(member.key)
                }
                if member.key == "channel" {
                    record.channel = string
                } else if member.key == "level" {
                    record.level = string
                } else {
                    record.message = string
                }
            case "timestamp":
                switch member.value {
                case .null:
                    record.timestamp = nil
                case .string(let text):
                    guard let microseconds = ISO8601Timestamp.parseMicroseconds(text) else {
                        return invalid("timestamp")
                    }
                    record.timestamp = microseconds
                case .number:
                    guard let milliseconds = member.value.int64Value else {
                        return invalid("timestamp")
                    }
                    let (microseconds, overflow) = milliseconds.multipliedReportingOverflow(by: 1000)
                    guard !overflow else {
                        return invalid("timestamp")
                    }
                    record.timestamp = microseconds
                default:
                    return invalid("timestamp")
                }
            case "meta":
                switch member.value {
                case .null:
                    record.meta = nil
                    record.metaKeyCount = 0
                case .object(let metaMembers):
                    guard FuzzChecks.depth(of: member.value) <= self.decoder.maxMetaDepth else {
                        return invalid("meta")
                    }
                    record.meta = metaMembers.isEmpty ? nil : member.value
                    record.metaKeyCount = metaMembers.count
                default:
                    return invalid("meta")
                }
            default:
                guard FuzzChecks.depth(of: member.value) <= self.decoder.maxMetaDepth else {
                    return invalid(nil)
                }
            }
        }
        return .success(record)
    }
}

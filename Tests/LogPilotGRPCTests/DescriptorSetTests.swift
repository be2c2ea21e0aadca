import Testing
@testable import LogPilotGRPC

/// The generated descriptor tables (Generated/DescriptorSet.swift) that back server reflection, and what they say
/// about the protos: Java wire compatibility of logpilot.proto, and v1/v1alpha reflection wire identity.
struct DescriptorSetTests {
    @Test func base64Decoder() {
        #expect(DescriptorSet.Base64.decode("") == [])
        #expect(DescriptorSet.Base64.decode("Zg==") == Array("f".utf8))
        #expect(DescriptorSet.Base64.decode("Zm8=") == Array("fo".utf8))
        #expect(DescriptorSet.Base64.decode("Zm9v") == Array("foo".utf8))
        #expect(DescriptorSet.Base64.decode("+/+/") == [0xfb, 0xff, 0xbf])
        #expect(DescriptorSet.Base64.decode("Zm9v!") == nil)
        #expect(DescriptorSet.Base64.decode("Zg=a") == nil)
        #expect(DescriptorSet.Base64.decode("Zg") == nil)
    }

    @Test func wholeSetIsTheFilesInOrder() throws {
        let set = try #require(DescriptorSet.Base64.decode(DescriptorSet.base64))
        var expected: [UInt8] = []
        for file in DescriptorSet.files {
            let bytes = try #require(DescriptorSet.serializedFiles[file.name])
            expected.append(0x0a)  // FileDescriptorSet.file = 1, length-delimited
            expected.append(contentsOf: Wire.varint(UInt64(bytes.count)))
            expected.append(contentsOf: bytes)
        }
        #expect(set == expected)
        #expect(
            DescriptorSet.files.map(\.name).sorted() == [
                "grpc/health/v1/health.proto", "grpc/reflection/v1/reflection.proto",
                "grpc/reflection/v1alpha/reflection.proto", "logpilot.proto",
            ]
        )
    }

    @Test func eachFileDescriptorNamesItself() throws {
        for file in DescriptorSet.files {
            let bytes = try #require(DescriptorSet.serializedFiles[file.name])
            #expect(Wire.strings(bytes, 1) == [file.name])
        }
    }

    @Test func symbolsAndServices() throws {
        #expect(
            DescriptorSet.services == [
                "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection", "logpilot.LogService",
            ]
        )
        let expected: [String: String] = [
            "logpilot.LogService": "logpilot.proto",
            "logpilot.LogService.StreamLogs": "logpilot.proto",
            "logpilot.LogService.CommitOffset": "logpilot.proto",
            "logpilot.LogRequest": "logpilot.proto",
            "logpilot.LogRequest.MetaEntry": "logpilot.proto",
            "logpilot.StreamLogsAck": "logpilot.proto",
            "grpc.health.v1.Health.Watch": "grpc/health/v1/health.proto",
            "grpc.health.v1.HealthCheckResponse.ServingStatus": "grpc/health/v1/health.proto",
            "grpc.reflection.v1.ServerReflection.ServerReflectionInfo": "grpc/reflection/v1/reflection.proto",
            "grpc.reflection.v1alpha.ServerReflectionResponse": "grpc/reflection/v1alpha/reflection.proto",
        ]
        for (symbol, file) in expected {
            #expect(DescriptorSet.symbols[symbol] == file, "\(symbol)")
        }
        let logpilot = try #require(DescriptorSet.serializedFiles["logpilot.proto"])
        #expect(DescriptorSet.fileDescriptorProtos(containingSymbol: "logpilot.LogService") == [logpilot])
        #expect(DescriptorSet.fileDescriptorProtos(containingSymbol: ".logpilot.LogEntry") == [logpilot])
        #expect(DescriptorSet.fileDescriptorProtos(forFile: "logpilot.proto") == [logpilot])
        #expect(DescriptorSet.fileDescriptorProtos(containingSymbol: "logpilot.Nope") == nil)
        #expect(DescriptorSet.fileDescriptorProtos(forFile: "nope.proto") == nil)
    }

    /// Every message, field name, number, type and label of the Java LogPilot proto (java-logpilot-interface.md §2),
    /// and every RPC, must still be in logpilot.proto unchanged.
    @Test func logpilotProtoKeepsTheJavaInterface() throws {
        let file = try #require(DescriptorSet.serializedFiles["logpilot.proto"])
        #expect(Wire.strings(file, 2) == ["logpilot"])
        let messages = Wire.messages(of: file, package: "logpilot")

        let string = Wire.FieldType.string, int64 = Wire.FieldType.int64, int32 = Wire.FieldType.int32
        let javaFields: [String: [Wire.Field]] = [
            "LogRequest": [
                .init("channel", 1, string), .init("level", 2, string), .init("message", 3, string),
                .init("meta", 4, .message, repeated: true, typeName: "LogRequest.MetaEntry"),
                .init("storage", 5, string),
            ],
            "LogResponse": [.init("status", 1, string), .init("message", 2, string)],
            "SendLogsRequest": [.init("log_requests", 1, .message, repeated: true, typeName: "LogRequest")],
            "SendLogsResponse": [.init("status", 1, string), .init("message", 2, string)],
            "ListLogsRequest": [
                .init("storage", 1, string), .init("channel", 2, string), .init("level", 3, string),
                .init("fromTimestamp", 4, int64), .init("toTimestamp", 5, int64),
            ],
            "ListLogsResponse": [.init("logs", 1, .message, repeated: true, typeName: "LogEntry")],
            "FetchLogsRequest": [
                .init("since", 1, string), .init("channel", 2, string), .init("limit", 3, int32),
                .init("storage", 4, string), .init("consumerId", 5, string),
            ],
            "FetchLogsResponse": [.init("logs", 1, .message, repeated: true, typeName: "LogEntry")],
            "SeekRequest": [
                .init("channel", 1, string), .init("consumerId", 2, string), .init("operation", 3, string),
                .init("logId", 4, int64), .init("storage", 5, string),
            ],
            "SeekResponse": [.init("status", 1, string), .init("message", 2, string)],
            "LogEntry": [
                .init("channel", 1, string), .init("level", 2, string), .init("message", 3, string),
                .init("meta", 4, .message, repeated: true, typeName: "LogEntry.MetaEntry"),
                .init("timestamp", 5, int64), .init("id", 6, int64),
            ],
        ]
        for (name, fields) in javaFields {
            let actual = try #require(messages[name], "message \(name) missing")
            for field in fields {
                #expect(actual.contains(field), "logpilot.\(name): \(field) missing or changed")
            }
            // Additions never reuse a Java field number.
            let javaNumbers = Set(fields.map(\.number))
            for extra in actual where !fields.contains(extra) {
                #expect(!javaNumbers.contains(extra.number), "logpilot.\(name).\(extra.name) reuses a Java number")
            }
        }
        // The one optional field has presence (proto3_optional).
        let autoCommit = try #require(messages["FetchLogsRequest"]?.first { $0.name == "auto_commit" })
        #expect(autoCommit.number == 6 && autoCommit.type == .bool && autoCommit.proto3Optional)

        let methods = Wire.methods(of: file, package: "logpilot")
        #expect(
            methods == [
                .init(service: "LogService", name: "SendLog", input: "LogRequest", output: "LogResponse"),
                .init(service: "LogService", name: "SendLogs", input: "SendLogsRequest", output: "SendLogsResponse"),
                .init(service: "LogService", name: "ListLogs", input: "ListLogsRequest", output: "ListLogsResponse"),
                .init(
                    service: "LogService", name: "FetchLogs", input: "FetchLogsRequest", output: "FetchLogsResponse"
                ),
                .init(service: "LogService", name: "Seek", input: "SeekRequest", output: "SeekResponse"),
                .init(
                    service: "LogService", name: "CommitOffset", input: "CommitOffsetRequest",
                    output: "CommitOffsetResponse"
                ),
                .init(
                    service: "LogService", name: "StreamLogs", input: "LogRequest", output: "StreamLogsAck",
                    clientStreaming: true, serverStreaming: true
                ),
            ]
        )
    }

    /// grpc.reflection.v1 and v1alpha declare the same messages, fields (names, numbers, types, labels, oneofs)
    /// and methods, so one codec serves both.
    @Test func reflectionV1AndV1alphaAreWireIdentical() throws {
        let v1 = try #require(DescriptorSet.serializedFiles["grpc/reflection/v1/reflection.proto"])
        let v1alpha = try #require(DescriptorSet.serializedFiles["grpc/reflection/v1alpha/reflection.proto"])
        let v1Messages = Wire.messages(of: v1, package: "grpc.reflection.v1")
        let v1alphaMessages = Wire.messages(of: v1alpha, package: "grpc.reflection.v1alpha")
        #expect(v1Messages.count == 8)
        #expect(v1Messages == v1alphaMessages)
        #expect(
            Wire.methods(of: v1, package: "grpc.reflection.v1")
                == Wire.methods(of: v1alpha, package: "grpc.reflection.v1alpha")
        )
    }
}

/// Just enough of the protobuf wire format to read descriptors in tests.
enum Wire {
    enum FieldType: UInt64, Sendable {
        case int64 = 3, int32 = 5, bool = 8, string = 9, message = 11, bytes = 12, enumeration = 14
    }

    struct Field: Hashable, CustomStringConvertible {
        var name: String
        var number: UInt64
        var type: FieldType?
        var repeated: Bool
        var typeName: String
        var oneofIndex: UInt64?
        var proto3Optional: Bool

        init(
            _ name: String,
            _ number: UInt64,
            _ type: FieldType?,
            repeated: Bool = false,
            typeName: String = "",
            oneofIndex: UInt64? = nil,
            proto3Optional: Bool = false
        ) {
            self.name = name
            self.number = number
            self.type = type
            self.repeated = repeated
            self.typeName = typeName
            self.oneofIndex = oneofIndex
            self.proto3Optional = proto3Optional
        }

        var description: String { "\(name) = \(number) (\(type.map { "\($0)" } ?? "?"))" }
    }

    struct Method: Hashable {
        var service: String
        var name: String
        var input: String
        var output: String
        var clientStreaming = false
        var serverStreaming = false
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
        return bytes
    }

    /// (field number, varint value or nil, length-delimited payload or nil) for every field.
    static func fields(_ bytes: [UInt8]) -> [(number: UInt64, varint: UInt64?, payload: [UInt8]?)] {
        var result: [(UInt64, UInt64?, [UInt8]?)] = []
        var index = 0
        func readVarint() -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 { break }
                shift += 7
            }
            return value
        }
        while index < bytes.count {
            let key = readVarint()
            switch key & 7 {
            case 0: result.append((key >> 3, readVarint(), nil))
            case 1: index += 8
            case 2:
                let length = Int(readVarint())
                result.append((key >> 3, nil, Array(bytes[index..<min(index + length, bytes.count)])))
                index += length
            case 5: index += 4
            default: return result
            }
        }
        return result
    }

    static func strings(_ bytes: [UInt8], _ number: UInt64) -> [String] {
        submessages(bytes, number).map { String(decoding: $0, as: UTF8.self) }
    }

    static func submessages(_ bytes: [UInt8], _ number: UInt64) -> [[UInt8]] {
        fields(bytes).filter { $0.number == number }.compactMap(\.payload)
    }

    static func varint(_ bytes: [UInt8], _ number: UInt64) -> UInt64? {
        fields(bytes).last { $0.number == number }?.varint
    }

    static func relative(_ typeName: String, _ package: String) -> String {
        let prefix = ".\(package)."
        return typeName.hasPrefix(prefix) ? String(typeName.dropFirst(prefix.count)) : typeName
    }

    /// Message name (nested as `Outer.Inner`) → fields, for every message of a FileDescriptorProto.
    static func messages(of file: [UInt8], package: String) -> [String: [Field]] {
        var result: [String: [Field]] = [:]
        func visit(_ message: [UInt8], scope: String) {
            let name = scope + (strings(message, 1).first ?? "")
            result[name] = submessages(message, 2).map { field in
                Field(
                    strings(field, 1).first ?? "",
                    varint(field, 3) ?? 0,
                    varint(field, 5).flatMap(FieldType.init(rawValue:)),
                    repeated: varint(field, 4) == 3,
                    typeName: relative(strings(field, 6).first ?? "", package),
                    oneofIndex: varint(field, 9),
                    proto3Optional: varint(field, 17) == 1
                )
            }
            for nested in submessages(message, 3) {
                visit(nested, scope: name + ".")
            }
        }
        for message in submessages(file, 4) {
            visit(message, scope: "")
        }
        return result
    }

    static func methods(of file: [UInt8], package: String) -> [Method] {
        submessages(file, 6).flatMap { service in
            submessages(service, 2).map { method in
                Method(
                    service: strings(service, 1).first ?? "",
                    name: strings(method, 1).first ?? "",
                    input: relative(strings(method, 2).first ?? "", package),
                    output: relative(strings(method, 3).first ?? "", package),
                    clientStreaming: varint(method, 5) == 1,
                    serverStreaming: varint(method, 6) == 1
                )
            }
        }
    }
}

// The only file with unsafe protobuf-c code. Everything else sees the plain Swift values of Messages.swift.
//
// Decoding: `<message>__unpack(nil, len, ptr)` parses into a malloc'ed C tree, the tree is copied into Swift values
// (validating every string as UTF-8, which protobuf-c does not do), then `<message>__free_unpacked` frees it.
// Encoding: the C structs, strings and arrays are built in an `Arena` that owns every byte it hands out, the
// message is sized and packed while the arena is alive, and the arena frees everything afterwards. Fields left at
// their `__init` defaults keep pointing at protobuf-c's static `protobuf_c_empty_string`, which is never freed.
//
// `grpc.reflection.v1alpha` messages are encoded and decoded with the `grpc.reflection.v1` C code: the two protos
// declare the same messages with the same field numbers and types, so the bytes are identical.
//
// `FetchLogsRequest.auto_commit` is a proto3 `optional` field, which protoc-c 1.4.1 cannot generate; the C code is
// generated with the field wrapped in `oneof auto_commit_presence` instead (scripts/gen-proto.sh), which has the same
// wire format and tracks presence in `auto_commit_presence_case`.

private import CLogPilotProto
private import CProtobufC

/// A message could not be decoded: the bytes are not valid protobuf for the expected message, or a string field
/// is not valid UTF-8 (proto3 requires valid UTF-8 in `string` fields).
public struct ProtobufDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, naming the message and, for invalid UTF-8, the field: for example
    /// `invalid protobuf in logpilot.LogRequest` or
    /// `invalid UTF-8 in string field logpilot.SendLogsRequest.log_requests[2].meta.value`.
    public var message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// A message type that `ProtobufCodec` can encode and decode.
public protocol ProtobufMessage: Sendable {
    /// The fully qualified protobuf name, such as `logpilot.LogRequest`.
    static var protobufMessageName: String { get }

    /// Decodes a serialized message.
    init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError)

    /// Serializes the message.
    func protobufBytes() -> [UInt8]
}

/// Protobuf encoding and decoding of the gRPC messages, on top of the protoc-c generated code (libprotobuf-c).
///
/// ```swift
/// let request = try ProtobufCodec.decode(body, as: LogRequestMessage.self)
/// let reply: [UInt8] = ProtobufCodec.encode(LogResponseMessage(status: "success", message: "Log stored successfully"))
/// ```
public enum ProtobufCodec {
    /// Decodes a serialized message; throws if the bytes are not a valid `M` or a string is not valid UTF-8.
    public static func decode<M: ProtobufMessage>(
        _ bytes: UnsafeRawBufferPointer,
        as type: M.Type = M.self
    ) throws(ProtobufDecodingError) -> M {
        try M(protobufBytes: bytes)
    }

    /// Decodes a serialized message; throws if the bytes are not a valid `M` or a string is not valid UTF-8.
    public static func decode<M: ProtobufMessage>(
        _ bytes: [UInt8],
        as type: M.Type = M.self
    ) throws(ProtobufDecodingError) -> M {
        let result: Result<M, ProtobufDecodingError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(ProtobufDecodingError) -> M in try M(protobufBytes: buffer) }
        }
        return try result.get()
    }

    /// Serializes a message.
    public static func encode<M: ProtobufMessage>(_ message: M) -> [UInt8] {
        message.protobufBytes()
    }
}

// MARK: - Conformances

extension LogRequestMessage: ProtobufMessage {
    public static var protobufMessageName: String { "logpilot.LogRequest" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, logpilot__log_request__unpack, logpilot__log_request__free_unpacked,
            CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, logpilot__log_request__init, CCodec.write, logpilot__log_request__get_packed_size,
            logpilot__log_request__pack
        )
    }
}

extension SendLogsRequestMessage: ProtobufMessage {
    public static var protobufMessageName: String { "logpilot.SendLogsRequest" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, logpilot__send_logs_request__unpack,
            logpilot__send_logs_request__free_unpacked, CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, logpilot__send_logs_request__init, CCodec.write, logpilot__send_logs_request__get_packed_size,
            logpilot__send_logs_request__pack
        )
    }
}

extension ListLogsRequestMessage: ProtobufMessage {
    public static var protobufMessageName: String { "logpilot.ListLogsRequest" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, logpilot__list_logs_request__unpack,
            logpilot__list_logs_request__free_unpacked, CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, logpilot__list_logs_request__init, CCodec.write, logpilot__list_logs_request__get_packed_size,
            logpilot__list_logs_request__pack
        )
    }
}

extension FetchLogsRequestMessage: ProtobufMessage {
    public static var protobufMessageName: String { "logpilot.FetchLogsRequest" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, logpilot__fetch_logs_request__unpack,
            logpilot__fetch_logs_request__free_unpacked, CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, logpilot__fetch_logs_request__init, CCodec.write, logpilot__fetch_logs_request__get_packed_size,
            logpilot__fetch_logs_request__pack
        )
    }
}

extension SeekRequestMessage: ProtobufMessage {
    public static var protobufMessageName: String { "logpilot.SeekRequest" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, logpilot__seek_request__unpack, logpilot__seek_request__free_unpacked,
            CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, logpilot__seek_request__init, CCodec.write, logpilot__seek_request__get_packed_size,
            logpilot__seek_request__pack
        )
    }
}

extension CommitOffsetRequestMessage: ProtobufMessage {
    public static var protobufMessageName: String { "logpilot.CommitOffsetRequest" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, logpilot__commit_offset_request__unpack,
            logpilot__commit_offset_request__free_unpacked, CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, logpilot__commit_offset_request__init, CCodec.write,
            logpilot__commit_offset_request__get_packed_size, logpilot__commit_offset_request__pack
        )
    }
}

extension LogEntryMessage: ProtobufMessage {
    public static var protobufMessageName: String { "logpilot.LogEntry" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, logpilot__log_entry__unpack, logpilot__log_entry__free_unpacked,
            CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, logpilot__log_entry__init, CCodec.write, logpilot__log_entry__get_packed_size,
            logpilot__log_entry__pack
        )
    }
}

extension LogResponseMessage: ProtobufMessage {
    public static var protobufMessageName: String { "logpilot.LogResponse" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, logpilot__log_response__unpack, logpilot__log_response__free_unpacked,
            CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, logpilot__log_response__init, CCodec.write, logpilot__log_response__get_packed_size,
            logpilot__log_response__pack
        )
    }
}

extension SendLogsResponseMessage: ProtobufMessage {
    public static var protobufMessageName: String { "logpilot.SendLogsResponse" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, logpilot__send_logs_response__unpack,
            logpilot__send_logs_response__free_unpacked, CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, logpilot__send_logs_response__init, CCodec.write, logpilot__send_logs_response__get_packed_size,
            logpilot__send_logs_response__pack
        )
    }
}

extension ListLogsResponseMessage: ProtobufMessage {
    public static var protobufMessageName: String { "logpilot.ListLogsResponse" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, logpilot__list_logs_response__unpack,
            logpilot__list_logs_response__free_unpacked, CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, logpilot__list_logs_response__init, CCodec.write, logpilot__list_logs_response__get_packed_size,
            logpilot__list_logs_response__pack
        )
    }
}

extension FetchLogsResponseMessage: ProtobufMessage {
    public static var protobufMessageName: String { "logpilot.FetchLogsResponse" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, logpilot__fetch_logs_response__unpack,
            logpilot__fetch_logs_response__free_unpacked, CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, logpilot__fetch_logs_response__init, CCodec.write, logpilot__fetch_logs_response__get_packed_size,
            logpilot__fetch_logs_response__pack
        )
    }
}

extension SeekResponseMessage: ProtobufMessage {
    public static var protobufMessageName: String { "logpilot.SeekResponse" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, logpilot__seek_response__unpack, logpilot__seek_response__free_unpacked,
            CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, logpilot__seek_response__init, CCodec.write, logpilot__seek_response__get_packed_size,
            logpilot__seek_response__pack
        )
    }
}

extension CommitOffsetResponseMessage: ProtobufMessage {
    public static var protobufMessageName: String { "logpilot.CommitOffsetResponse" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, logpilot__commit_offset_response__unpack,
            logpilot__commit_offset_response__free_unpacked, CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, logpilot__commit_offset_response__init, CCodec.write,
            logpilot__commit_offset_response__get_packed_size, logpilot__commit_offset_response__pack
        )
    }
}

extension StreamLogsAckMessage: ProtobufMessage {
    public static var protobufMessageName: String { "logpilot.StreamLogsAck" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, logpilot__stream_logs_ack__unpack,
            logpilot__stream_logs_ack__free_unpacked, CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, logpilot__stream_logs_ack__init, CCodec.write, logpilot__stream_logs_ack__get_packed_size,
            logpilot__stream_logs_ack__pack
        )
    }
}

extension HealthCheckRequestMessage: ProtobufMessage {
    public static var protobufMessageName: String { "grpc.health.v1.HealthCheckRequest" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, grpc__health__v1__health_check_request__unpack,
            grpc__health__v1__health_check_request__free_unpacked, CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, grpc__health__v1__health_check_request__init, CCodec.write,
            grpc__health__v1__health_check_request__get_packed_size, grpc__health__v1__health_check_request__pack
        )
    }
}

extension HealthCheckResponseMessage: ProtobufMessage {
    public static var protobufMessageName: String { "grpc.health.v1.HealthCheckResponse" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, grpc__health__v1__health_check_response__unpack,
            grpc__health__v1__health_check_response__free_unpacked, CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, grpc__health__v1__health_check_response__init, CCodec.write,
            grpc__health__v1__health_check_response__get_packed_size, grpc__health__v1__health_check_response__pack
        )
    }
}

extension ServerReflectionRequestMessage: ProtobufMessage {
    /// The v1 name; `grpc.reflection.v1alpha.ServerReflectionRequest` has the same wire format.
    public static var protobufMessageName: String { "grpc.reflection.v1.ServerReflectionRequest" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, grpc__reflection__v1__server_reflection_request__unpack,
            grpc__reflection__v1__server_reflection_request__free_unpacked, CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, grpc__reflection__v1__server_reflection_request__init, CCodec.write,
            grpc__reflection__v1__server_reflection_request__get_packed_size,
            grpc__reflection__v1__server_reflection_request__pack
        )
    }
}

extension ServerReflectionResponseMessage: ProtobufMessage {
    /// The v1 name; `grpc.reflection.v1alpha.ServerReflectionResponse` has the same wire format.
    public static var protobufMessageName: String { "grpc.reflection.v1.ServerReflectionResponse" }

    public init(protobufBytes bytes: UnsafeRawBufferPointer) throws(ProtobufDecodingError) {
        self = try CCodec.unpack(
            bytes, Self.protobufMessageName, grpc__reflection__v1__server_reflection_response__unpack,
            grpc__reflection__v1__server_reflection_response__free_unpacked, CCodec.read
        )
    }

    public func protobufBytes() -> [UInt8] {
        CCodec.pack(
            self, grpc__reflection__v1__server_reflection_response__init, CCodec.write,
            grpc__reflection__v1__server_reflection_response__get_packed_size,
            grpc__reflection__v1__server_reflection_response__pack
        )
    }
}

// MARK: - C plumbing

/// A string field with invalid UTF-8, by its path relative to the message being read (`log_requests[2].channel`).
/// Internal to decoding; turned into a `ProtobufDecodingError` naming the top-level message.
private struct InvalidUTF8: Error {
    var field: String

    func nested(in parent: String) -> InvalidUTF8 {
        InvalidUTF8(field: "\(parent).\(field)")
    }
}

/// Owns the memory of the C structs, strings and arrays built while encoding one message, and frees it all in
/// `deinit`. A bump allocator: small pieces are carved out of chunks, large ones get their own allocation.
private final class Arena {
    private var blocks: [UnsafeMutableRawPointer] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0
    private var nextChunkSize = 1024

    private static let maxAlignment = 16
    private static let maxChunkSize = 64 * 1024

    deinit {
        for block in blocks {
            block.deallocate()
        }
    }

    func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        precondition(alignment > 0 && alignment <= Self.maxAlignment && byteCount >= 0)
        if let cursor {
            let padding = (alignment - Int(bitPattern: cursor) % alignment) % alignment
            if padding + byteCount <= remaining {
                let pointer = cursor + padding
                self.cursor = pointer + byteCount
                remaining -= padding + byteCount
                return pointer
            }
        }
        if byteCount > nextChunkSize / 4 {
            let block = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: Self.maxAlignment)
            blocks.append(block)
            return block
        }
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: nextChunkSize, alignment: Self.maxAlignment)
        blocks.append(chunk)
        cursor = chunk + byteCount
        remaining = nextChunkSize - byteCount
        nextChunkSize = min(nextChunkSize * 2, Self.maxChunkSize)
        return chunk
    }

    /// A zero-filled C struct, initialised by its generated `<message>__init`.
    func message<C>(_ initialize: (UnsafeMutablePointer<C>?) -> Void) -> UnsafeMutablePointer<C> {
        let pointer = allocate(byteCount: MemoryLayout<C>.stride, alignment: MemoryLayout<C>.alignment)
            .initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<C>.stride)
        let message = UnsafeMutableRawPointer(pointer).bindMemory(to: C.self, capacity: 1)
        initialize(message)
        return message
    }

    /// An array of `count` elements, each set to `value`.
    func array<T>(of value: T, count: Int) -> UnsafeMutablePointer<T> {
        allocate(byteCount: MemoryLayout<T>.stride * count, alignment: MemoryLayout<T>.alignment)
            .initializeMemory(as: T.self, repeating: value, count: count)
    }

    /// A NUL-terminated copy of `string`. (A U+0000 inside `string` ends the C string there.)
    func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        var string = string
        return string.withUTF8 { utf8 in
            let pointer = allocate(byteCount: utf8.count + 1, alignment: 1)
            if let base = utf8.baseAddress {
                pointer.copyMemory(from: base, byteCount: utf8.count)
            }
            pointer.storeBytes(of: 0, toByteOffset: utf8.count, as: UInt8.self)
            return pointer.bindMemory(to: CChar.self, capacity: utf8.count + 1)
        }
    }

    /// A copy of `bytes` as protobuf-c `bytes` field data.
    func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        guard !bytes.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        let data = array(of: UInt8(0), count: bytes.count)
        bytes.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: bytes.count) }
        return ProtobufCBinaryData(len: bytes.count, data: data)
    }

    /// An array of pointers to C messages, one per element of `values`, each filled by `write`.
    func messages<C, V>(
        _ values: [V],
        _ initialize: (UnsafeMutablePointer<C>?) -> Void,
        _ write: (V, UnsafeMutablePointer<C>, Arena) -> Void
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<C>?>? {
        guard !values.isEmpty else { return nil }
        let pointers = array(of: UnsafeMutablePointer<C>?.none, count: values.count)
        for (index, value) in values.enumerated() {
            let message = self.message(initialize)
            write(value, message, self)
            pointers[index] = message
        }
        return pointers
    }
}

/// Conversions between the C structs of the generated code and the Swift values, one `read`/`write` pair per
/// message (`read` for a decoded C struct, `write` to fill an `__init`-ed C struct).
private enum CCodec {
    typealias Unpack<C> = (UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?) ->
        UnsafeMutablePointer<C>?
    typealias FreeUnpacked<C> = (UnsafeMutablePointer<C>?, UnsafeMutablePointer<ProtobufCAllocator>?) -> Void
    typealias PackedSize<C> = (UnsafePointer<C>?) -> Int
    typealias Pack<C> = (UnsafePointer<C>?, UnsafeMutablePointer<UInt8>?) -> Int

    static func unpack<C, M>(
        _ bytes: UnsafeRawBufferPointer,
        _ name: String,
        _ unpack: Unpack<C>,
        _ freeUnpacked: FreeUnpacked<C>,
        _ read: (UnsafePointer<C>) throws(InvalidUTF8) -> M
    ) throws(ProtobufDecodingError) -> M {
        let parsed: UnsafeMutablePointer<C>?
        if let base = bytes.baseAddress, bytes.count > 0 {
            parsed = unpack(nil, bytes.count, base.assumingMemoryBound(to: UInt8.self))
        } else {
            // protobuf-c accepts (0, NULL), but do not rely on it: hand it a real (empty) buffer.
            var empty: UInt8 = 0
            parsed = withUnsafePointer(to: &empty) { unpack(nil, 0, $0) }
        }
        guard let parsed else {
            throw ProtobufDecodingError(message: "invalid protobuf in \(name)")
        }
        defer { freeUnpacked(parsed, nil) }
        do {
            return try read(UnsafePointer(parsed))
        } catch {
            throw ProtobufDecodingError(message: "invalid UTF-8 in string field \(name).\(error.field)")
        }
    }

    static func pack<C, M>(
        _ value: M,
        _ initialize: (UnsafeMutablePointer<C>?) -> Void,
        _ write: (M, UnsafeMutablePointer<C>, Arena) -> Void,
        _ packedSize: PackedSize<C>,
        _ pack: Pack<C>
    ) -> [UInt8] {
        let arena = Arena()
        return withExtendedLifetime(arena) {
            let message = arena.message(initialize)
            write(value, message, arena)
            let size = packedSize(message)
            guard size > 0 else { return [] }
            return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                let written = pack(message, buffer.baseAddress!)
                precondition(written == size, "protobuf-c packed \(written) bytes, expected \(size)")
                count = written
            }
        }
    }

    // MARK: Field helpers

    /// A C string as a Swift string, validating UTF-8. NULL reads as "".
    static func string(_ pointer: UnsafePointer<CChar>?, _ field: @autoclosure () -> String) throws(InvalidUTF8)
        -> String
    {
        guard let pointer else { return "" }
        if pointer.pointee == 0 { return "" }
        guard let string = String(validatingCString: pointer) else {
            throw InvalidUTF8(field: field())
        }
        return string
    }

    static func strings(
        _ pointers: UnsafePointer<UnsafeMutablePointer<CChar>?>?,
        _ count: Int,
        _ field: String
    ) throws(InvalidUTF8) -> [String] {
        guard let pointers, count > 0 else { return [] }
        var result: [String] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            result.append(try string(pointers[index], "\(field)[\(index)]"))
        }
        return result
    }

    static func writeStrings(
        _ values: [String],
        _ arena: Arena
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard !values.isEmpty else { return nil }
        let pointers = arena.array(of: UnsafeMutablePointer<CChar>?.none, count: values.count)
        for (index, value) in values.enumerated() {
            pointers[index] = arena.cString(value)
        }
        return pointers
    }

    /// Reads the elements of a repeated message field. A NULL element (never produced by unpack) is skipped.
    static func messages<C, M>(
        _ pointers: UnsafePointer<UnsafeMutablePointer<C>?>?,
        _ count: Int,
        _ field: String,
        _ read: (UnsafePointer<C>) throws(InvalidUTF8) -> M
    ) throws(InvalidUTF8) -> [M] {
        guard let pointers, count > 0 else { return [] }
        var result: [M] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            guard let element = pointers[index] else { continue }
            do {
                result.append(try read(UnsafePointer(element)))
            } catch {
                throw error.nested(in: "\(field)[\(index)]")
            }
        }
        return result
    }

    static func boolean(_ value: Bool) -> protobuf_c_boolean {
        value ? 1 : 0
    }

    // MARK: logpilot: map<string, string> meta

    static func readMeta(
        _ entries: UnsafePointer<UnsafeMutablePointer<Logpilot__LogRequest__MetaEntry>?>?,
        _ count: Int
    ) throws(InvalidUTF8) -> [String: String] {
        guard let entries, count > 0 else { return [:] }
        var meta: [String: String] = [:]
        meta.reserveCapacity(count)
        for index in 0..<count {
            guard let entry = entries[index] else { continue }
            // Duplicate keys: the last one wins (protobuf map semantics).
            meta[try string(entry.pointee.key, "meta.key")] = try string(entry.pointee.value, "meta.value")
        }
        return meta
    }

    static func readMeta(
        _ entries: UnsafePointer<UnsafeMutablePointer<Logpilot__LogEntry__MetaEntry>?>?,
        _ count: Int
    ) throws(InvalidUTF8) -> [String: String] {
        guard let entries, count > 0 else { return [:] }
        var meta: [String: String] = [:]
        meta.reserveCapacity(count)
        for index in 0..<count {
            guard let entry = entries[index] else { continue }
            meta[try string(entry.pointee.key, "meta.key")] = try string(entry.pointee.value, "meta.value")
        }
        return meta
    }

    /// Map entries sorted by key, so that equal maps always encode to the same bytes.
    static func sortedEntries(_ meta: [String: String]) -> [(key: String, value: String)] {
        meta.sorted { $0.key < $1.key }
    }

    // MARK: logpilot.LogRequest

    static func read(_ c: UnsafePointer<Logpilot__LogRequest>) throws(InvalidUTF8) -> LogRequestMessage {
        let m = c.pointee
        return LogRequestMessage(
            channel: try string(m.channel, "channel"),
            level: try string(m.level, "level"),
            message: try string(m.message, "message"),
            meta: try readMeta(m.meta, m.n_meta),
            storage: try string(m.storage, "storage"),
            timestamp: m.timestamp
        )
    }

    static func write(_ v: LogRequestMessage, _ c: UnsafeMutablePointer<Logpilot__LogRequest>, _ arena: Arena) {
        c.pointee.channel = arena.cString(v.channel)
        c.pointee.level = arena.cString(v.level)
        c.pointee.message = arena.cString(v.message)
        let entries = sortedEntries(v.meta)
        c.pointee.n_meta = entries.count
        c.pointee.meta = arena.messages(entries, logpilot__log_request__meta_entry__init) { entry, e, arena in
            e.pointee.key = arena.cString(entry.key)
            e.pointee.value = arena.cString(entry.value)
        }
        c.pointee.storage = arena.cString(v.storage)
        c.pointee.timestamp = v.timestamp
    }

    // MARK: logpilot.SendLogsRequest

    static func read(_ c: UnsafePointer<Logpilot__SendLogsRequest>) throws(InvalidUTF8) -> SendLogsRequestMessage {
        SendLogsRequestMessage(
            logRequests: try messages(c.pointee.log_requests, c.pointee.n_log_requests, "log_requests", read)
        )
    }

    static func write(
        _ v: SendLogsRequestMessage,
        _ c: UnsafeMutablePointer<Logpilot__SendLogsRequest>,
        _ arena: Arena
    ) {
        c.pointee.n_log_requests = v.logRequests.count
        c.pointee.log_requests = arena.messages(v.logRequests, logpilot__log_request__init, write)
    }

    // MARK: logpilot.ListLogsRequest

    static func read(_ c: UnsafePointer<Logpilot__ListLogsRequest>) throws(InvalidUTF8) -> ListLogsRequestMessage {
        let m = c.pointee
        return ListLogsRequestMessage(
            storage: try string(m.storage, "storage"),
            channel: try string(m.channel, "channel"),
            level: try string(m.level, "level"),
            fromTimestamp: m.fromtimestamp,
            toTimestamp: m.totimestamp,
            levels: try strings(m.levels, m.n_levels, "levels"),
            query: try string(m.query, "query"),
            limit: m.limit,
            cursor: try string(m.cursor, "cursor")
        )
    }

    static func write(
        _ v: ListLogsRequestMessage,
        _ c: UnsafeMutablePointer<Logpilot__ListLogsRequest>,
        _ arena: Arena
    ) {
        c.pointee.storage = arena.cString(v.storage)
        c.pointee.channel = arena.cString(v.channel)
        c.pointee.level = arena.cString(v.level)
        c.pointee.fromtimestamp = v.fromTimestamp
        c.pointee.totimestamp = v.toTimestamp
        c.pointee.n_levels = v.levels.count
        c.pointee.levels = writeStrings(v.levels, arena)
        c.pointee.query = arena.cString(v.query)
        c.pointee.limit = v.limit
        c.pointee.cursor = arena.cString(v.cursor)
    }

    // MARK: logpilot.FetchLogsRequest

    static func read(_ c: UnsafePointer<Logpilot__FetchLogsRequest>) throws(InvalidUTF8) -> FetchLogsRequestMessage {
        let m = c.pointee
        let hasAutoCommit =
            m.auto_commit_presence_case == LOGPILOT__FETCH_LOGS_REQUEST__AUTO_COMMIT_PRESENCE_AUTO_COMMIT
        return FetchLogsRequestMessage(
            since: try string(m.since, "since"),
            channel: try string(m.channel, "channel"),
            limit: m.limit,
            storage: try string(m.storage, "storage"),
            consumerId: try string(m.consumerid, "consumerId"),
            autoCommit: hasAutoCommit ? m.auto_commit != 0 : nil
        )
    }

    static func write(
        _ v: FetchLogsRequestMessage,
        _ c: UnsafeMutablePointer<Logpilot__FetchLogsRequest>,
        _ arena: Arena
    ) {
        c.pointee.since = arena.cString(v.since)
        c.pointee.channel = arena.cString(v.channel)
        c.pointee.limit = v.limit
        c.pointee.storage = arena.cString(v.storage)
        c.pointee.consumerid = arena.cString(v.consumerId)
        if let autoCommit = v.autoCommit {
            c.pointee.auto_commit_presence_case = LOGPILOT__FETCH_LOGS_REQUEST__AUTO_COMMIT_PRESENCE_AUTO_COMMIT
            c.pointee.auto_commit = boolean(autoCommit)
        }
    }

    // MARK: logpilot.SeekRequest

    static func read(_ c: UnsafePointer<Logpilot__SeekRequest>) throws(InvalidUTF8) -> SeekRequestMessage {
        let m = c.pointee
        return SeekRequestMessage(
            channel: try string(m.channel, "channel"),
            consumerId: try string(m.consumerid, "consumerId"),
            operation: try string(m.operation, "operation"),
            logId: m.logid,
            storage: try string(m.storage, "storage")
        )
    }

    static func write(_ v: SeekRequestMessage, _ c: UnsafeMutablePointer<Logpilot__SeekRequest>, _ arena: Arena) {
        c.pointee.channel = arena.cString(v.channel)
        c.pointee.consumerid = arena.cString(v.consumerId)
        c.pointee.operation = arena.cString(v.operation)
        c.pointee.logid = v.logId
        c.pointee.storage = arena.cString(v.storage)
    }

    // MARK: logpilot.CommitOffsetRequest

    static func read(_ c: UnsafePointer<Logpilot__CommitOffsetRequest>) throws(InvalidUTF8)
        -> CommitOffsetRequestMessage
    {
        let m = c.pointee
        return CommitOffsetRequestMessage(
            channel: try string(m.channel, "channel"),
            consumerId: try string(m.consumerid, "consumerId"),
            lastLogId: m.lastlogid
        )
    }

    static func write(
        _ v: CommitOffsetRequestMessage,
        _ c: UnsafeMutablePointer<Logpilot__CommitOffsetRequest>,
        _ arena: Arena
    ) {
        c.pointee.channel = arena.cString(v.channel)
        c.pointee.consumerid = arena.cString(v.consumerId)
        c.pointee.lastlogid = v.lastLogId
    }

    // MARK: logpilot.LogEntry

    static func read(_ c: UnsafePointer<Logpilot__LogEntry>) throws(InvalidUTF8) -> LogEntryMessage {
        let m = c.pointee
        return LogEntryMessage(
            channel: try string(m.channel, "channel"),
            level: try string(m.level, "level"),
            message: try string(m.message, "message"),
            meta: try readMeta(m.meta, m.n_meta),
            timestamp: m.timestamp,
            id: m.id,
            timestampMicros: m.timestamp_micros
        )
    }

    static func write(_ v: LogEntryMessage, _ c: UnsafeMutablePointer<Logpilot__LogEntry>, _ arena: Arena) {
        c.pointee.channel = arena.cString(v.channel)
        c.pointee.level = arena.cString(v.level)
        c.pointee.message = arena.cString(v.message)
        let entries = sortedEntries(v.meta)
        c.pointee.n_meta = entries.count
        c.pointee.meta = arena.messages(entries, logpilot__log_entry__meta_entry__init) { entry, e, arena in
            e.pointee.key = arena.cString(entry.key)
            e.pointee.value = arena.cString(entry.value)
        }
        c.pointee.timestamp = v.timestamp
        c.pointee.id = v.id
        c.pointee.timestamp_micros = v.timestampMicros
    }

    // MARK: logpilot responses

    static func read(_ c: UnsafePointer<Logpilot__LogResponse>) throws(InvalidUTF8) -> LogResponseMessage {
        LogResponseMessage(
            status: try string(c.pointee.status, "status"),
            message: try string(c.pointee.message, "message"),
            id: c.pointee.id
        )
    }

    static func write(_ v: LogResponseMessage, _ c: UnsafeMutablePointer<Logpilot__LogResponse>, _ arena: Arena) {
        c.pointee.status = arena.cString(v.status)
        c.pointee.message = arena.cString(v.message)
        c.pointee.id = v.id
    }

    static func read(_ c: UnsafePointer<Logpilot__SendLogsResponse>) throws(InvalidUTF8) -> SendLogsResponseMessage {
        let m = c.pointee
        return SendLogsResponseMessage(
            status: try string(m.status, "status"),
            message: try string(m.message, "message"),
            accepted: m.accepted,
            firstId: m.first_id,
            lastId: m.last_id
        )
    }

    static func write(
        _ v: SendLogsResponseMessage,
        _ c: UnsafeMutablePointer<Logpilot__SendLogsResponse>,
        _ arena: Arena
    ) {
        c.pointee.status = arena.cString(v.status)
        c.pointee.message = arena.cString(v.message)
        c.pointee.accepted = v.accepted
        c.pointee.first_id = v.firstId
        c.pointee.last_id = v.lastId
    }

    static func read(_ c: UnsafePointer<Logpilot__ListLogsResponse>) throws(InvalidUTF8) -> ListLogsResponseMessage {
        ListLogsResponseMessage(
            logs: try messages(c.pointee.logs, c.pointee.n_logs, "logs", read),
            nextCursor: try string(c.pointee.next_cursor, "next_cursor"),
            truncated: try string(c.pointee.truncated, "truncated")
        )
    }

    static func write(
        _ v: ListLogsResponseMessage,
        _ c: UnsafeMutablePointer<Logpilot__ListLogsResponse>,
        _ arena: Arena
    ) {
        c.pointee.n_logs = v.logs.count
        c.pointee.logs = arena.messages(v.logs, logpilot__log_entry__init, write)
        c.pointee.next_cursor = arena.cString(v.nextCursor)
        c.pointee.truncated = arena.cString(v.truncated)
    }

    static func read(_ c: UnsafePointer<Logpilot__FetchLogsResponse>) throws(InvalidUTF8) -> FetchLogsResponseMessage {
        FetchLogsResponseMessage(logs: try messages(c.pointee.logs, c.pointee.n_logs, "logs", read))
    }

    static func write(
        _ v: FetchLogsResponseMessage,
        _ c: UnsafeMutablePointer<Logpilot__FetchLogsResponse>,
        _ arena: Arena
    ) {
        c.pointee.n_logs = v.logs.count
        c.pointee.logs = arena.messages(v.logs, logpilot__log_entry__init, write)
    }

    static func read(_ c: UnsafePointer<Logpilot__SeekResponse>) throws(InvalidUTF8) -> SeekResponseMessage {
        SeekResponseMessage(
            status: try string(c.pointee.status, "status"),
            message: try string(c.pointee.message, "message"),
            offset: c.pointee.offset
        )
    }

    static func write(_ v: SeekResponseMessage, _ c: UnsafeMutablePointer<Logpilot__SeekResponse>, _ arena: Arena) {
        c.pointee.status = arena.cString(v.status)
        c.pointee.message = arena.cString(v.message)
        c.pointee.offset = v.offset
    }

    static func read(_ c: UnsafePointer<Logpilot__CommitOffsetResponse>) throws(InvalidUTF8)
        -> CommitOffsetResponseMessage
    {
        CommitOffsetResponseMessage(
            status: try string(c.pointee.status, "status"),
            message: try string(c.pointee.message, "message"),
            offset: c.pointee.offset
        )
    }

    static func write(
        _ v: CommitOffsetResponseMessage,
        _ c: UnsafeMutablePointer<Logpilot__CommitOffsetResponse>,
        _ arena: Arena
    ) {
        c.pointee.status = arena.cString(v.status)
        c.pointee.message = arena.cString(v.message)
        c.pointee.offset = v.offset
    }

    static func read(_ c: UnsafePointer<Logpilot__StreamLogsAck>) throws(InvalidUTF8) -> StreamLogsAckMessage {
        StreamLogsAckMessage(recordsCommitted: c.pointee.records_committed, lastId: c.pointee.last_id)
    }

    static func write(_ v: StreamLogsAckMessage, _ c: UnsafeMutablePointer<Logpilot__StreamLogsAck>, _ arena: Arena) {
        c.pointee.records_committed = v.recordsCommitted
        c.pointee.last_id = v.lastId
    }

    // MARK: grpc.health.v1

    static func read(_ c: UnsafePointer<Grpc__Health__V1__HealthCheckRequest>) throws(InvalidUTF8)
        -> HealthCheckRequestMessage
    {
        HealthCheckRequestMessage(service: try string(c.pointee.service, "service"))
    }

    static func write(
        _ v: HealthCheckRequestMessage,
        _ c: UnsafeMutablePointer<Grpc__Health__V1__HealthCheckRequest>,
        _ arena: Arena
    ) {
        c.pointee.service = arena.cString(v.service)
    }

    static func read(_ c: UnsafePointer<Grpc__Health__V1__HealthCheckResponse>) throws(InvalidUTF8)
        -> HealthCheckResponseMessage
    {
        // protobuf-c stores any int32 it reads into the enum field (proto3 enums are open).
        HealthCheckResponseMessage(status: .init(rawValue: Int32(truncatingIfNeeded: c.pointee.status.rawValue)))
    }

    static func write(
        _ v: HealthCheckResponseMessage,
        _ c: UnsafeMutablePointer<Grpc__Health__V1__HealthCheckResponse>,
        _ arena: Arena
    ) {
        c.pointee.status = .init(rawValue: .init(truncatingIfNeeded: v.status.rawValue))
    }

    // MARK: grpc.reflection.v1 (= v1alpha on the wire)

    static func read(_ c: UnsafePointer<Grpc__Reflection__V1__ServerReflectionRequest>) throws(InvalidUTF8)
        -> ServerReflectionRequestMessage
    {
        let m = c.pointee
        let request: ServerReflectionRequestMessage.Request?
        switch m.message_request_case {
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
            request = .fileByFilename(try string(m.file_by_filename, "file_by_filename"))
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
            request = .fileContainingSymbol(try string(m.file_containing_symbol, "file_containing_symbol"))
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
            let e = m.file_containing_extension?.pointee
            request = .fileContainingExtension(
                containingType: try string(e?.containing_type, "file_containing_extension.containing_type"),
                extensionNumber: e?.extension_number ?? 0
            )
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
            request = .allExtensionNumbersOfType(
                try string(m.all_extension_numbers_of_type, "all_extension_numbers_of_type")
            )
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
            request = .listServices(try string(m.list_services, "list_services"))
        default:
            request = nil
        }
        return ServerReflectionRequestMessage(host: try string(m.host, "host"), request: request)
    }

    static func write(
        _ v: ServerReflectionRequestMessage,
        _ c: UnsafeMutablePointer<Grpc__Reflection__V1__ServerReflectionRequest>,
        _ arena: Arena
    ) {
        c.pointee.host = arena.cString(v.host)
        switch v.request {
        case .fileByFilename(let name):
            c.pointee.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME
            c.pointee.file_by_filename = arena.cString(name)
        case .fileContainingSymbol(let symbol):
            c.pointee.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL
            c.pointee.file_containing_symbol = arena.cString(symbol)
        case .fileContainingExtension(let containingType, let extensionNumber):
            let e = arena.message(grpc__reflection__v1__extension_request__init)
            e.pointee.containing_type = arena.cString(containingType)
            e.pointee.extension_number = extensionNumber
            c.pointee.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION
            c.pointee.file_containing_extension = e
        case .allExtensionNumbersOfType(let type):
            c.pointee.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE
            c.pointee.all_extension_numbers_of_type = arena.cString(type)
        case .listServices(let content):
            c.pointee.message_request_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES
            c.pointee.list_services = arena.cString(content)
        case nil:
            break
        }
    }

    static func read(_ c: UnsafePointer<Grpc__Reflection__V1__ServerReflectionResponse>) throws(InvalidUTF8)
        -> ServerReflectionResponseMessage
    {
        let m = c.pointee
        var originalRequest: ServerReflectionRequestMessage?
        if let original = m.original_request {
            do {
                originalRequest = try read(UnsafePointer(original))
            } catch {
                throw error.nested(in: "original_request")
            }
        }
        let response: ServerReflectionResponseMessage.Response?
        switch m.message_response_case {
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE:
            var files: [[UInt8]] = []
            if let r = m.file_descriptor_response?.pointee, let data = r.file_descriptor_proto {
                files.reserveCapacity(r.n_file_descriptor_proto)
                for index in 0..<r.n_file_descriptor_proto {
                    let item = data[index]
                    files.append(item.len > 0 ? Array(UnsafeBufferPointer(start: item.data, count: item.len)) : [])
                }
            }
            response = .fileDescriptorResponse(files)
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE:
            let r = m.all_extension_numbers_response?.pointee
            var numbers: [Int32] = []
            if let r, let data = r.extension_number, r.n_extension_number > 0 {
                numbers = Array(UnsafeBufferPointer(start: data, count: r.n_extension_number))
            }
            response = .allExtensionNumbersResponse(
                baseTypeName: try string(r?.base_type_name, "all_extension_numbers_response.base_type_name"),
                extensionNumbers: numbers
            )
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE:
            let r = m.list_services_response?.pointee
            let names = try messages(r?.service, r?.n_service ?? 0, "list_services_response.service") {
                (s: UnsafePointer<Grpc__Reflection__V1__ServiceResponse>) throws(InvalidUTF8) -> String in
                try string(s.pointee.name, "name")
            }
            response = .listServicesResponse(names)
        case GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE:
            let r = m.error_response?.pointee
            response = .errorResponse(
                errorCode: r?.error_code ?? 0,
                errorMessage: try string(r?.error_message, "error_response.error_message")
            )
        default:
            response = nil
        }
        return ServerReflectionResponseMessage(
            validHost: try string(m.valid_host, "valid_host"),
            originalRequest: originalRequest,
            response: response
        )
    }

    static func write(
        _ v: ServerReflectionResponseMessage,
        _ c: UnsafeMutablePointer<Grpc__Reflection__V1__ServerReflectionResponse>,
        _ arena: Arena
    ) {
        c.pointee.valid_host = arena.cString(v.validHost)
        if let original = v.originalRequest {
            let r = arena.message(grpc__reflection__v1__server_reflection_request__init)
            write(original, r, arena)
            c.pointee.original_request = r
        }
        switch v.response {
        case .fileDescriptorResponse(let files):
            let r = arena.message(grpc__reflection__v1__file_descriptor_response__init)
            if !files.isEmpty {
                let data = arena.array(of: ProtobufCBinaryData(len: 0, data: nil), count: files.count)
                for (index, file) in files.enumerated() {
                    data[index] = arena.binary(file)
                }
                r.pointee.n_file_descriptor_proto = files.count
                r.pointee.file_descriptor_proto = data
            }
            c.pointee.message_response_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE
            c.pointee.file_descriptor_response = r
        case .allExtensionNumbersResponse(let baseTypeName, let numbers):
            let r = arena.message(grpc__reflection__v1__extension_number_response__init)
            r.pointee.base_type_name = arena.cString(baseTypeName)
            if !numbers.isEmpty {
                let data = arena.array(of: Int32(0), count: numbers.count)
                numbers.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: numbers.count) }
                r.pointee.n_extension_number = numbers.count
                r.pointee.extension_number = data
            }
            c.pointee.message_response_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE
            c.pointee.all_extension_numbers_response = r
        case .listServicesResponse(let names):
            let r = arena.message(grpc__reflection__v1__list_service_response__init)
            r.pointee.n_service = names.count
            r.pointee.service = arena.messages(names, grpc__reflection__v1__service_response__init) { name, s, arena in
                s.pointee.name = arena.cString(name)
            }
            c.pointee.message_response_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE
            c.pointee.list_services_response = r
        case .errorResponse(let code, let message):
            let r = arena.message(grpc__reflection__v1__error_response__init)
            r.pointee.error_code = code
            r.pointee.error_message = arena.cString(message)
            c.pointee.message_response_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE
            c.pointee.error_response = r
        case nil:
            break
        }
    }
}

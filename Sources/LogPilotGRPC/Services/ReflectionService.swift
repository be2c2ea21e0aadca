/// gRPC server reflection, `grpc.reflection.v1.ServerReflection` and `grpc.reflection.v1alpha.ServerReflection`
/// (https://github.com/grpc/grpc/blob/master/doc/server-reflection.md), so that `grpcurl` and similar tools work
/// without the proto files. No API key is needed.
///
/// `ServerReflectionInfo` is a bidirectional stream: every request gets exactly one response, in order, echoing
/// the request (`original_request`) and its `host` (`valid_host`); the call ends with OK when the client
/// half-closes. Requests:
/// - `list_services`: the services this server registers;
/// - `file_by_filename` / `file_containing_symbol`: the serialized `FileDescriptorProto` of the file, followed by
///   those of its transitive dependencies, from the descriptor tables compiled into the binary;
/// - `file_containing_extension` / `all_extension_numbers_of_type`: NOT_FOUND (the protos declare no extensions).
///
/// A file, symbol or type that does not exist gets an `error_response` with NOT_FOUND and the stream goes on; a
/// request that sets none of the fields above gets INVALID_ARGUMENT the same way.
public struct ReflectionService: Sendable {
    /// The fully qualified names of the two reflection services.
    public static let serviceNames = [
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ]

    /// The services `list_services` reports: every service of this server (LogService, Health and both
    /// reflection versions), as the descriptor tables declare them.
    static let listedServices = DescriptorSet.services

    /// Creates the service.
    public init() {}

    /// `ServerReflectionInfo` of `v1` and of `v1alpha`, neither requiring authentication.
    public var methods: [GRPCMethod] {
        Self.serviceNames.map { service in
            let path = "/\(service)/ServerReflectionInfo"
            return GRPCMethod(path: path, requiresAuthentication: false, type: .bidiStream) { requests, responses, _ in
                while let bytes = try await requests.next() {
                    let request = try ProtobufCodec.decodeRequest(bytes, as: ServerReflectionRequestMessage.self)
                    try await responses.write(ProtobufCodec.encode(Self.response(to: request)))
                }
            }
        }
    }

    /// The answer to one reflection request.
    static func response(to request: ServerReflectionRequestMessage) -> ServerReflectionResponseMessage {
        let answer: ServerReflectionResponseMessage.Response
        switch request.request {
        case .listServices:
            answer = .listServicesResponse(listedServices)
        case .fileByFilename(let name):
            answer =
                DescriptorSet.fileDescriptorProtos(forFile: name).map { .fileDescriptorResponse($0) }
                ?? notFound("file not found: \(name.prefix(200))")
        case .fileContainingSymbol(let symbol):
            answer =
                DescriptorSet.fileDescriptorProtos(containingSymbol: symbol).map { .fileDescriptorResponse($0) }
                ?? notFound("symbol not found: \(symbol.prefix(200))")
        case .fileContainingExtension(let type, let number):
            answer = notFound("extension not found: \(type.prefix(200)) field \(number)")
        case .allExtensionNumbersOfType(let type):
            answer = notFound("no extensions registered for type: \(type.prefix(200))")
        case nil:
            answer = .errorResponse(
                errorCode: Int32(GRPCStatusCode.invalidArgument.rawValue),
                errorMessage: "the request sets no message_request field this server knows"
            )
        }
        return ServerReflectionResponseMessage(validHost: request.host, originalRequest: request, response: answer)
    }

    private static func notFound(_ message: String) -> ServerReflectionResponseMessage.Response {
        .errorResponse(errorCode: Int32(GRPCStatusCode.notFound.rawValue), errorMessage: message)
    }
}

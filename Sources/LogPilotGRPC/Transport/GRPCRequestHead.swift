/// The message encodings a request may declare in `grpc-encoding`.
enum GRPCMessageEncoding: String, Sendable, Hashable {
    case identity
    case gzip

    /// The `grpc-accept-encoding` value the server advertises (requests only; responses are not compressed).
    static let acceptedList = "identity,gzip"
}

/// The validated request headers of one gRPC call (gRPC HTTP/2 protocol spec, "Requests").
///
/// A value type without I/O. ``init(headers:)`` checks the headers in the order a client needs to hear about
/// problems, and throws a ``Rejection`` that says what to answer.
struct GRPCRequestHead: Sendable {
    /// `/package.Service/Method`.
    var path: String
    /// From `grpc-timeout`.
    var timeout: GRPCTimeout?
    /// From `grpc-encoding` (identity when absent).
    var encoding: GRPCMessageEncoding
    /// Custom metadata: every header except pseudo-headers, `te`, `content-type` and `grpc-*`, in arrival order.
    var metadata: [(name: String, value: String)]

    /// The `x-api-key` metadata value, if any (it stays in ``metadata`` too, for per-key rate limits).
    var apiKey: String? {
        metadata.first { $0.name == "x-api-key" }?.value
    }

    /// Why a request was refused before reaching a handler, and how to answer (always a trailers-only response).
    struct Rejection: Error, Equatable, Sendable {
        /// The HTTP `:status` of the trailers-only response: 200 for gRPC-level errors, 405 or 415 for requests
        /// that are not gRPC at all.
        var httpStatus: Int
        var status: GRPCStatus
    }

    init(path: String, timeout: GRPCTimeout? = nil, encoding: GRPCMessageEncoding = .identity,
         metadata: [(name: String, value: String)] = []) {
        self.path = path
        self.timeout = timeout
        self.encoding = encoding
        self.metadata = metadata
    }

    /// Validates request headers (names are lower-case: HTTP/2 forbids anything else and nghttp2 enforces it).
    ///
    /// - Throws: a ``Rejection``: 405 when `:method` is not POST; 415 when `content-type` is not
    ///   `application/grpc` or `application/grpc+proto` (the spec's answer to non-gRPC requests); UNIMPLEMENTED for
    ///   a `:path` that is not `/service/method` or an unsupported `grpc-encoding`; INTERNAL for a missing
    ///   `te: trailers` or a malformed `grpc-timeout`.
    init(headers: [(name: String, value: String)]) throws(Rejection) {
        var method: String?
        var path: String?
        var contentType: String?
        var te: String?
        var timeoutValue: String?
        var encodingValue: String?
        var metadata: [(name: String, value: String)] = []
        metadata.reserveCapacity(4)
        for header in headers {
            let name = header.name
            if name.utf8.first == UInt8(ascii: ":") {
                switch name {
                case ":method": method = header.value
                case ":path": path = header.value
                default: break
                }
                continue
            }
            switch name {
            case "content-type": contentType = header.value
            case "te": te = header.value
            case "grpc-timeout": timeoutValue = header.value
            case "grpc-encoding": encodingValue = header.value
            default:
                if !name.hasPrefix("grpc-") {
                    metadata.append(header)
                }
            }
        }

        guard method == "POST" else {
            throw Rejection(httpStatus: 405, status: GRPCStatus(.internalError, "gRPC requires the POST method"))
        }
        guard let contentType, Self.isGRPCProtobuf(contentType: contentType) else {
            throw Rejection(
                httpStatus: 415,
                status: GRPCStatus(.internalError, "content-type must be application/grpc or application/grpc+proto")
            )
        }
        guard let path, Self.isValidPath(path) else {
            throw Rejection(httpStatus: 200, status: GRPCStatus(.unimplemented, "malformed method path"))
        }
        guard te == "trailers" else {
            throw Rejection(httpStatus: 200, status: GRPCStatus(.internalError, "missing 'te: trailers' header"))
        }
        var timeout: GRPCTimeout?
        if let timeoutValue {
            guard let parsed = GRPCTimeout(headerValue: timeoutValue) else {
                throw Rejection(httpStatus: 200, status: GRPCStatus(.internalError, "malformed grpc-timeout header"))
            }
            timeout = parsed
        }
        var encoding = GRPCMessageEncoding.identity
        if let encodingValue {
            guard let supported = GRPCMessageEncoding(rawValue: encodingValue) else {
                throw Rejection(
                    httpStatus: 200,
                    status: GRPCStatus(
                        .unimplemented,
                        "grpc-encoding '\(encodingValue.prefix(32))' is not supported (supported: \(GRPCMessageEncoding.acceptedList))"
                    )
                )
            }
            encoding = supported
        }
        self.init(path: path, timeout: timeout, encoding: encoding, metadata: metadata)
    }

    /// `application/grpc` or `application/grpc+proto`, optionally followed by parameters (`;charset=...`).
    static func isGRPCProtobuf(contentType: String) -> Bool {
        let mediaType = contentType.utf8.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false)
            .first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        switch mediaType.lowercased().trimmingSpaces() {
        case "application/grpc", "application/grpc+proto": return true
        default: return false
        }
    }

    /// `/service/method`: a leading slash, two non-empty parts, no further slash, printable ASCII.
    static func isValidPath(_ path: String) -> Bool {
        let utf8 = path.utf8
        guard utf8.count >= 4, utf8.count <= 1024, utf8.first == UInt8(ascii: "/") else { return false }
        let parts = utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        return utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        let utf8 = self.utf8
        guard let start = utf8.firstIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }),
            let end = utf8.lastIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") })
        else { return "" }
        return String(self[start...end])
    }
}

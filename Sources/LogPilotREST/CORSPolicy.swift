import HTTPTypes

/// Cross-origin access for browser apps that POST logs: which origins may call the API. Answers preflight requests
/// and adds `Access-Control-Allow-Origin` to responses for allowed origins; other origins get no CORS headers, so the
/// browser blocks the response. Preflights need no API key (browsers never send one on a preflight).
struct CORSPolicy: Sendable {
    /// Origins as configured (`https://app.example.com`), or `*`.
    var allowedOrigins: [String]

    static let allowedMethods = "GET, HEAD, POST"
    static let allowedHeaders = "Content-Type, Content-Encoding, X-API-KEY, Authorization"
    static let exposedHeaders = "Retry-After, X-Rate-Limit-Retry-After-Seconds"
    static let maxAgeSeconds = "600"

    /// The `Access-Control-Allow-Origin` value for a request's `Origin`, or nil when it is not allowed.
    func allowOriginValue(for origin: String?) -> String? {
        guard let origin, !allowedOrigins.isEmpty else { return nil }
        if allowedOrigins.contains("*") { return "*" }
        let normalized = origin.hasSuffix("/") ? String(origin.dropLast()) : origin
        return allowedOrigins.contains { $0.caseInsensitiveCompare(normalized) } ? origin : nil
    }

    /// Headers added to an actual (non-preflight) response.
    func responseHeaders(origin: String?) -> HTTPFields {
        var headers = HTTPFields()
        guard let allow = allowOriginValue(for: origin) else { return headers }
        headers[.accessControlAllowOrigin] = allow
        headers[.accessControlExposeHeaders] = Self.exposedHeaders
        if allow != "*" { headers[.vary] = "Origin" }
        return headers
    }

    /// Headers of a successful preflight answer, or nil when the origin is not allowed.
    func preflightHeaders(origin: String?) -> HTTPFields? {
        guard let allow = allowOriginValue(for: origin) else { return nil }
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = allow
        headers[.accessControlAllowMethods] = Self.allowedMethods
        headers[.accessControlAllowHeaders] = Self.allowedHeaders
        headers[.accessControlMaxAge] = Self.maxAgeSeconds
        if allow != "*" { headers[.vary] = "Origin" }
        return headers
    }
}

extension String {
    fileprivate func caseInsensitiveCompare(_ other: String) -> Bool {
        lowercased() == other.lowercased()
    }
}

import Metrics
import Synchronization

/// The kind of RPC, as the `grpc_type` label of the go-grpc-prometheus metrics.
public enum GRPCMethodType: String, Sendable {
    case unary
    case clientStream = "client_stream"
    case serverStream = "server_stream"
    case bidiStream = "bidi_stream"
}

/// The go-grpc-prometheus server metrics: `grpc_server_started_total`, `grpc_server_handled_total`,
/// `grpc_server_msg_received_total`, `grpc_server_msg_sent_total` and `grpc_server_handling_seconds`, labelled by
/// `grpc_service`, `grpc_method`, `grpc_type` (and `grpc_code` when handled). Labels are bounded: registered methods
/// only, every unknown method counts as service and method `unknown`.
final class GRPCServerMetrics: Sendable {
    /// The label values of one method; the metric handles are created once per method.
    final class Method: Sendable {
        let service: String
        let method: String
        let type: GRPCMethodType
        let started: Counter
        let received: Counter
        let sent: Counter
        let handling: Metrics.Timer
        private let handled = Mutex<[Int: Counter]>([:])

        init(path: String, type: GRPCMethodType) {
            let parts = path.split(separator: "/")
            self.service = parts.count == 2 ? String(parts[0]) : "unknown"
            self.method = parts.count == 2 ? String(parts[1]) : "unknown"
            self.type = type
            let dimensions = [("grpc_service", service), ("grpc_method", method), ("grpc_type", type.rawValue)]
            self.started = Counter(label: "grpc_server_started_total", dimensions: dimensions)
            self.received = Counter(label: "grpc_server_msg_received_total", dimensions: dimensions)
            self.sent = Counter(label: "grpc_server_msg_sent_total", dimensions: dimensions)
            self.handling = Metrics.Timer(label: "grpc_server_handling_seconds", dimensions: dimensions)
            _ = handledCounter(.ok)  // the OK series exists from the start, so rates work before the first call
        }

        func handledCounter(_ code: GRPCStatusCode) -> Counter {
            handled.withLock { cache in
                if let counter = cache[code.rawValue] { return counter }
                let counter = Counter(
                    label: "grpc_server_handled_total",
                    dimensions: [
                        ("grpc_service", service), ("grpc_method", method), ("grpc_type", type.rawValue),
                        ("grpc_code", GRPCServerMetrics.codeName(code)),
                    ]
                )
                cache[code.rawValue] = counter
                return counter
            }
        }

        func finished(_ code: GRPCStatusCode, after duration: Duration) {
            handledCounter(code).increment()
            handling.record(duration: duration)
        }
    }

    private let methods: [String: Method]
    let unknown: Method

    init(methods: [GRPCMethod]) {
        var table: [String: Method] = [:]
        for method in methods { table[method.path] = Method(path: method.path, type: method.type) }
        self.methods = table
        self.unknown = Method(path: "/unknown/unknown", type: .unary)
    }

    func method(_ path: String) -> Method { methods[path] ?? unknown }

    /// go-grpc-prometheus's names of the status codes (Go's `codes.Code.String()`).
    static func codeName(_ code: GRPCStatusCode) -> String {
        let names = [
            "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
            "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
            "Internal", "Unavailable", "DataLoss", "Unauthenticated",
        ]
        return names.indices.contains(code.rawValue) ? names[code.rawValue] : "Unknown"
    }
}

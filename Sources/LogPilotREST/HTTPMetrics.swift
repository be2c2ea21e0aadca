import Metrics
import Synchronization

/// `http_requests_total{method, route, code}` and `http_request_duration_seconds{method, route}` for the REST API.
/// Labels are bounded: `route` is a route template (`/api/logs/{channel}`) or `other`, `method` one of the methods
/// the API knows or `other`.
final class HTTPMetrics: Sendable {
    private struct Key: Hashable {
        var method: String
        var route: String
        var code: Int
    }

    private struct TimerKey: Hashable {
        var method: String
        var route: String
    }

    private let counters = Mutex<[Key: Counter]>([:])
    private let timers = Mutex<[TimerKey: Metrics.Timer]>([:])

    /// Creates the series of each route's usual answer with value 0, so that both families exist from the first
    /// scrape (rates over them are then 0 instead of empty).
    init(exporting routes: [(method: String, route: String, code: Int)] = []) {
        for (method, route, code) in routes {
            _ = counter(Key(method: method, route: route, code: code))
            _ = timer(TimerKey(method: method, route: route))
        }
    }

    static func methodLabel(_ method: String) -> String {
        switch method {
        case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS": method
        default: "other"
        }
    }

    func record(method: String, route: String, code: Int, duration: Duration) {
        let method = Self.methodLabel(method)
        counter(Key(method: method, route: route, code: code)).increment()
        timer(TimerKey(method: method, route: route)).record(duration: duration)
    }

    private func counter(_ key: Key) -> Counter {
        counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = Counter(
                label: "http_requests_total",
                dimensions: [("method", key.method), ("route", key.route), ("code", String(key.code))]
            )
            cache[key] = counter
            return counter
        }
    }

    private func timer(_ key: TimerKey) -> Metrics.Timer {
        timers.withLock { cache in
            if let timer = cache[key] { return timer }
            let timer = Metrics.Timer(
                label: "http_request_duration_seconds",
                dimensions: [("method", key.method), ("route", key.route)]
            )
            cache[key] = timer
            return timer
        }
    }
}

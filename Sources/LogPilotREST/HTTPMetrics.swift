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

    static func methodLabel(_ method: String) -> String {
        switch method {
        case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS": method
        default: "other"
        }
    }

    func record(method: String, route: String, code: Int, duration: Duration) {
        let method = Self.methodLabel(method)
        let key = Key(method: method, route: route, code: code)
        let counter = counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = Counter(
                label: "http_requests_total",
                dimensions: [("method", method), ("route", route), ("code", String(code))]
            )
            cache[key] = counter
            return counter
        }
        counter.increment()
        let timerKey = TimerKey(method: method, route: route)
        let timer = timers.withLock { cache in
            if let timer = cache[timerKey] { return timer }
            let timer = Metrics.Timer(label: "http_request_duration_seconds", dimensions: [("method", method), ("route", route)])
            cache[timerKey] = timer
            return timer
        }
        timer.record(duration: duration)
    }
}

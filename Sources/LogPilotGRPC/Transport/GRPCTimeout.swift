/// A `grpc-timeout` request header: at most 8 ASCII digits followed by one unit (`H` hours, `M` minutes,
/// `S` seconds, `m` milliseconds, `u` microseconds, `n` nanoseconds), per the gRPC HTTP/2 protocol spec.
struct GRPCTimeout: Hashable, Sendable {
    /// How long the call may take, from the arrival of its headers.
    var duration: Duration

    init(duration: Duration) {
        self.duration = duration
    }

    /// Parses a header value; nil when it is not exactly `1*8DIGIT unit`.
    init?(headerValue: some StringProtocol) {
        let utf8 = Array(headerValue.utf8)
        guard utf8.count >= 2, utf8.count <= 9, let unit = utf8.last else { return nil }
        var amount: Int64 = 0
        for byte in utf8.dropLast() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            amount = amount * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        // 8 digits keep every unit well inside Duration's range (99,999,999 hours is about 3.6e11 seconds).
        switch unit {
        case UInt8(ascii: "H"): duration = .seconds(amount * 3600)
        case UInt8(ascii: "M"): duration = .seconds(amount * 60)
        case UInt8(ascii: "S"): duration = .seconds(amount)
        case UInt8(ascii: "m"): duration = .milliseconds(amount)
        case UInt8(ascii: "u"): duration = .microseconds(amount)
        case UInt8(ascii: "n"): duration = .nanoseconds(amount)
        default: return nil
        }
    }
}

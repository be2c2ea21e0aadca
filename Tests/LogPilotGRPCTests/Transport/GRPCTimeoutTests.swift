import Testing

@testable import LogPilotGRPC

/// `grpc-timeout`: 1 to 8 digits and one unit.
struct GRPCTimeoutTests {
    @Test(arguments: [
        ("1H", Duration.seconds(3600)),
        ("2M", .seconds(120)),
        ("30S", .seconds(30)),
        ("250m", .milliseconds(250)),
        ("1500u", .microseconds(1500)),
        ("100n", .nanoseconds(100)),
        ("0S", .zero),
        ("99999999H", .seconds(Int64(99_999_999) * 3600)),
        ("00000001m", .milliseconds(1)),
    ])
    func validValues(value: String, expected: Duration) {
        #expect(GRPCTimeout(headerValue: value)?.duration == expected)
    }

    @Test(arguments: ["", "S", "1", "123456789S", "1s", "1h", "-1S", "1.5S", " 1S", "1S ", "1 S", "1SS", "１S", "1µ"])
    func invalidValues(value: String) {
        #expect(GRPCTimeout(headerValue: value) == nil)
    }
}

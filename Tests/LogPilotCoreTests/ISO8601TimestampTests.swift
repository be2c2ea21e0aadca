import Testing

@testable import LogPilotCore

struct ISO8601TimestampTests {
    // Expected values were computed independently with Python's datetime module.

    // MARK: - Accepted forms

    @Test(arguments: [
        ("2026-11-23T10:00:00.123Z", 1_795_428_000_123_000),
        ("2026-11-23t10:00:00.123z", 1_795_428_000_123_000),
        ("2026-11-23 10:00:00.123Z", 1_795_428_000_123_000),
        ("2026-11-23T10:00:00.123", 1_795_428_000_123_000),
        ("2026-11-23T10:00:00.123+00:00", 1_795_428_000_123_000),
        ("2026-11-23T10:00:00.123-00:00", 1_795_428_000_123_000),
        ("2026-11-23T12:00:00.123+02:00", 1_795_428_000_123_000),
        ("2026-11-23T12:00:00.123+0200", 1_795_428_000_123_000),
        ("2026-11-23T12:00:00.123+02", 1_795_428_000_123_000),
        ("2026-11-23T07:30:00.123-0230", 1_795_428_000_123_000),
        ("2024-01-01T10:00:00Z", 1_704_103_200_000_000),
        ("2024-01-01T10:00Z", 1_704_103_200_000_000),
        ("2024-01-01T10:00", 1_704_103_200_000_000),
        ("2024-01-01 10:00", 1_704_103_200_000_000),
        ("2024-01-01T10:00:00.123456Z", 1_704_103_200_123_456),
        ("2024-01-01T10:00:00.1Z", 1_704_103_200_100_000),
        ("2024-01-01T10:00:00.12Z", 1_704_103_200_120_000),
        ("2024-01-01T10:00:00.000001Z", 1_704_103_200_000_001),
        ("2024-01-01", 1_704_067_200_000_000),
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01", 0),
        ("2000-01-01T00:00:00Z", 946_684_800_000_000),
        ("1969-07-20T20:17:40Z", -14_182_940_000_000),
        ("1969-12-31T23:59:59.999999Z", -1),
        ("0001-01-01T00:00:00Z", -62_135_596_800_000_000),
        ("9999-12-31T23:59:59.999999Z", 253_402_300_799_999_999),
    ] as [(String, Int64)])
    func parsesAcceptedForms(text: String, expected: Int64) {
        #expect(ISO8601Timestamp.parseMicroseconds(text) == expected)
    }

    @Test func truncatesFractionDigitsBeyondMicroseconds() {
        #expect(ISO8601Timestamp.parseMicroseconds("2024-01-01T10:00:00.1234567Z") == 1_704_103_200_123_456)
        #expect(ISO8601Timestamp.parseMicroseconds("2024-01-01T10:00:00.123456789Z") == 1_704_103_200_123_456)
        // Truncated, not rounded up into the next second.
        #expect(ISO8601Timestamp.parseMicroseconds("2024-01-01T10:00:00.999999999Z") == 1_704_103_200_999_999)
    }

    @Test func handlesLeapYears() {
        #expect(ISO8601Timestamp.parseMicroseconds("2024-02-29") == 1_709_164_800_000_000)
        #expect(ISO8601Timestamp.parseMicroseconds("2000-02-29T12:00:00Z") == 951_825_600_000_000)
        #expect(ISO8601Timestamp.parseMicroseconds("2023-02-29") == nil)
        #expect(ISO8601Timestamp.parseMicroseconds("1900-02-29") == nil)  // Divisible by 100, not by 400.
        #expect(ISO8601Timestamp.parseMicroseconds("2100-02-29") == nil)
        #expect(ISO8601Timestamp.parseMicroseconds("1900-03-01") == -2_203_891_200_000_000)
        #expect(ISO8601Timestamp.parseMicroseconds("2024-12-31T23:59:59Z") == 1_735_689_599_000_000)
    }

    @Test func appliesOffsetsAcrossMidnightAndMonthBoundaries() {
        // 2024-03-01T01:30+02:00 is 2024-02-29T23:30Z (leap day).
        #expect(ISO8601Timestamp.parseMicroseconds("2024-03-01T01:30:00+02:00") == 1_709_249_400_000_000)
        // 2023-12-31T23:30-01:00 is 2024-01-01T00:30Z (new year).
        #expect(ISO8601Timestamp.parseMicroseconds("2023-12-31T23:30:00-01:00") == 1_704_069_000_000_000)
        #expect(ISO8601Timestamp.parseMicroseconds("2024-01-01T00:15:00+05:30") == 1_704_048_300_000_000)
        // The earliest accepted local time with a positive offset lands before year 1.
        let beforeYearOne = ISO8601Timestamp.parseMicroseconds("0001-01-01T00:00:00+01:00")
        #expect(beforeYearOne == -62_135_596_800_000_000 - 3_600_000_000)
    }

    @Test func acceptsEveryDayOfEveryMonth() {
        let monthLengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var expected: Int64 = 1_735_689_600_000_000  // 2025-01-01T00:00:00Z
        for (monthIndex, length) in monthLengths.enumerated() {
            for day in 1...length {
                let text = "2025-\(Self.twoDigits(monthIndex + 1))-\(Self.twoDigits(day))"
                #expect(ISO8601Timestamp.parseMicroseconds(text) == expected, "\(text)")
                expected += 86_400_000_000
            }
            let pastEnd = "2025-\(Self.twoDigits(monthIndex + 1))-\(Self.twoDigits(length + 1))"
            #expect(ISO8601Timestamp.parseMicroseconds(pastEnd) == nil, "\(pastEnd)")
        }
    }

    // MARK: - Rejected forms

    @Test(arguments: [
        "", "2024", "2024-01", "2024-1-01", "2024-01-1", "24-01-01", "+2024-01-01", "10000-01-01",
        "0000-01-01", "2024-00-10", "2024-13-01", "2024-01-00", "2024-01-32", "2024-04-31", "2024/01/01",
        "2024-01-01T", "2024-01-01T10", "2024-01-01T1:00", "2024-01-01T10:0", "2024-01-01T10:00:",
        "2024-01-01T10:00:0", "2024-01-01T24:00", "2024-01-01T23:60", "2024-01-01T23:59:60",
        "2024-01-01T23:59:60Z", "2024-01-01T10:00:00.", "2024-01-01T10:00:00.Z", "2024-01-01T10:00:00.1234567890Z",
        "2024-01-01T10:00:00,5Z", "2024-01-01T10:00.5Z", "2024-01-01T10:00:00+", "2024-01-01T10:00:00+5",
        "2024-01-01T10:00:00+05:", "2024-01-01T10:00:00+05:0", "2024-01-01T10:00:00+050", "2024-01-01T10:00:00+05:000",
        "2024-01-01T10:00:00+24:00", "2024-01-01T10:00:00+05:60", "2024-01-01T10:00:00ZZ", "2024-01-01T10:00:00 Z",
        "2024-01-01T10:00:00UTC", "2024-01-01T10:00:00Z ", " 2024-01-01", "2024-01-01 ", "2024-01-01Z",
        "2024-01-01X10:00", "2024-01-01T10:00:00GMT", "2024-01-01T-1:00", "2024-01-01T10:-1",
        "２０２４-01-01", "2024-01-01T10:00:00\u{0}", "1714571400", "not a timestamp",
    ])
    func rejects(text: String) {
        #expect(ISO8601Timestamp.parseMicroseconds(text) == nil)
    }

    @Test func byteAndStringOverloadsAgree() {
        let text = "2026-11-23T12:00:00.123+02:00"
        let fromBytes = Array(text.utf8).withUnsafeBytes { ISO8601Timestamp.parseMicroseconds($0) }
        #expect(fromBytes == 1_795_428_000_123_000)
        #expect(fromBytes == ISO8601Timestamp.parseMicroseconds(text))
        let empty = [UInt8]().withUnsafeBytes { ISO8601Timestamp.parseMicroseconds($0) }
        #expect(empty == nil)
    }

    // MARK: - Formatting

    @Test(arguments: [
        (0, "1970-01-01T00:00:00Z"),
        (1, "1970-01-01T00:00:00.000001Z"),
        (1000, "1970-01-01T00:00:00.001Z"),
        (123_000, "1970-01-01T00:00:00.123Z"),
        (123_456, "1970-01-01T00:00:00.123456Z"),
        (120_000, "1970-01-01T00:00:00.120Z"),
        (1_795_428_000_123_000, "2026-11-23T10:00:00.123Z"),
        (1_709_164_800_000_000, "2024-02-29T00:00:00Z"),
        (-1, "1969-12-31T23:59:59.999999Z"),
        (-1000, "1969-12-31T23:59:59.999Z"),
        (-1_000_000, "1969-12-31T23:59:59Z"),
        (-14_182_940_000_000, "1969-07-20T20:17:40Z"),
        (-62_135_596_800_000_000, "0001-01-01T00:00:00Z"),
        (253_402_300_799_999_999, "9999-12-31T23:59:59.999999Z"),
        (Int64.max, "294247-01-10T04:00:54.775807Z"),
        (Int64.min, "-290308-12-21T19:59:05.224192Z"),
    ] as [(Int64, String)])
    func formats(microseconds: Int64, expected: String) {
        #expect(ISO8601Timestamp.format(microseconds: microseconds) == expected)
        var bytes: [UInt8] = [UInt8(ascii: "<")]
        ISO8601Timestamp.write(microseconds: microseconds, into: &bytes)
        #expect(bytes == [UInt8(ascii: "<")] + Array(expected.utf8))
    }

    @Test func formatsYearsBeforeYearOne() {
        // Year 0 (1 BC in astronomical numbering) keeps four digits; it is not accepted by the parser.
        let yearZero: Int64 = -62_135_596_800_000_000 - 86_400_000_000
        #expect(ISO8601Timestamp.format(microseconds: yearZero) == "0000-12-31T00:00:00Z")
        #expect(ISO8601Timestamp.parseMicroseconds("0000-12-31T00:00:00Z") == nil)
    }

    @Test func formatAndParseRoundTrip() {
        let minimum: Int64 = -62_135_596_800_000_000
        let maximum: Int64 = 253_402_300_799_999_999
        var samples: [Int64] = [minimum, maximum, 0, -1, 1, -999, -1_000_001, 951_782_400_000_000]
        // Deterministic pseudo-random values across the whole accepted range.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let span = UInt64(maximum - minimum)
            var value = minimum + Int64(state % span)
            switch state >> 62 {
            case 0: value -= value % 1_000_000  // whole seconds
            case 1: value -= value % 1000  // whole milliseconds
            default: break
            }
            samples.append(value)
        }
        for value in samples {
            let text = ISO8601Timestamp.format(microseconds: value)
            #expect(ISO8601Timestamp.parseMicroseconds(text) == value, "\(value) -> \(text)")
        }
    }

    @Test func calendarHelpersAgreeDayByDay() {
        // civilFromDays must invert daysFromCivil, and consecutive days must be consecutive dates, for
        // every day of three 400-year cycles around 1970.
        var firstMismatch: Int64?
        var previous = ISO8601Timestamp.civilFromDays(-146_097 * 2 - 1)
        for days in Int64(-146_097 * 2)...Int64(146_097) {
            let date = ISO8601Timestamp.civilFromDays(days)
            let inverse = ISO8601Timestamp.daysFromCivil(year: date.year, month: date.month, day: date.day)
            let isNextDay =
                (date.year == previous.year && date.month == previous.month && date.day == previous.day + 1)
                || (date.day == 1 && (date.month == previous.month + 1 || (date.month == 1 && previous.month == 12)))
            if inverse != days || !isNextDay {
                firstMismatch = days
                break
            }
            previous = date
        }
        #expect(firstMismatch == nil)
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}

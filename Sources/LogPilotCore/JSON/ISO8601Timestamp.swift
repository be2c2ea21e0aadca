/// Parsing and formatting of ISO-8601 / RFC 3339 timestamps as microseconds since the Unix epoch.
///
/// Parsing accepts `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`, `YYYY-MM-DDTHH:MM:SS` and
/// `YYYY-MM-DDTHH:MM:SS.fraction`, where the separator may be `T`, `t` or a space, the fraction has
/// one to nine digits (digits beyond the sixth are truncated), and an optional zone follows the
/// time: `Z`, `z`, `+HH:MM`, `-HH:MM`, `+HHMM`, `-HHMM`, `+HH` or `-HH`. A missing zone means UTC.
/// Years 0001–9999 are accepted, and every field is range-checked (leap years included; a leap
/// second `60` is rejected).
///
/// Formatting always produces UTC with a `Z` suffix and the shortest of no fraction, milliseconds
/// or microseconds that represents the value exactly, for example `2026-11-23T10:00:00.123Z`.
///
/// The implementation uses no Foundation: calendar arithmetic follows Howard Hinnant's
/// `days_from_civil` / `civil_from_days` algorithms for the proleptic Gregorian calendar.
public enum ISO8601Timestamp {
    private static let microsecondsPerSecond: Int64 = 1_000_000
    private static let microsecondsPerDay: Int64 = 86_400 * 1_000_000

    /// The longest text ``format(microseconds:)`` produces, for `Int64.min`:
    /// `-290308-12-21T19:59:05.224192Z` (30 bytes).
    private static let maxFormattedLength = 32

    // MARK: - Parsing

    /// Parses an ISO-8601 timestamp held in a string.
    ///
    /// - Parameter text: The timestamp text.
    /// - Returns: Microseconds since 1970-01-01T00:00:00Z, or `nil` when `text` is not an accepted
    ///   timestamp.
    public static func parseMicroseconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { Self.parseMicroseconds(UnsafeRawBufferPointer($0)) }
    }

    /// Parses an ISO-8601 timestamp from its UTF-8 bytes.
    ///
    /// - Parameter bytes: The timestamp text, without quotes or surrounding whitespace.
    /// - Returns: Microseconds since 1970-01-01T00:00:00Z, or `nil` when `bytes` is not an accepted
    ///   timestamp.
    public static func parseMicroseconds(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        let length = bytes.count
        guard length >= 10,
            let year = decimal(bytes, at: 0, digits: 4), bytes[4] == UInt8(ascii: "-"),
            let month = decimal(bytes, at: 5, digits: 2), bytes[7] == UInt8(ascii: "-"),
            let day = decimal(bytes, at: 8, digits: 2),
            year >= 1, (1...12).contains(month), day >= 1, day <= daysInMonth(month, year: year)
        else {
            return nil
        }
        let midnight = daysFromCivil(year: year, month: month, day: day) * microsecondsPerDay
        if length == 10 {
            return midnight
        }

        // Time of day: HH:MM[:SS[.fraction]]
        switch bytes[10] {
        case UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " "):
            break
        default:
            return nil
        }
        guard let hour = decimal(bytes, at: 11, digits: 2), hour <= 23,
            length > 13, bytes[13] == UInt8(ascii: ":"),
            let minute = decimal(bytes, at: 14, digits: 2), minute <= 59
        else {
            return nil
        }
        var index = 16
        var second: Int64 = 0
        var fraction: Int64 = 0
        if index < length, bytes[index] == UInt8(ascii: ":") {
            guard let parsedSecond = decimal(bytes, at: index + 1, digits: 2), parsedSecond <= 59 else {
                return nil
            }
            second = parsedSecond
            index += 3
            if index < length, bytes[index] == UInt8(ascii: ".") {
                index += 1
                let fractionStart = index
                while index < length, let digit = digitValue(bytes[index]) {
                    guard index - fractionStart < 9 else {
                        return nil  // More than nine fraction digits.
                    }
                    if index - fractionStart < 6 {
                        fraction = fraction * 10 + digit
                    }
                    index += 1
                }
                let fractionDigits = index - fractionStart
                guard fractionDigits > 0 else {
                    return nil
                }
                for _ in min(fractionDigits, 6)..<6 {
                    fraction *= 10
                }
            }
        }

        // Zone: nothing, Z, or ±HH[[:]MM]
        var offsetSeconds: Int64 = 0
        if index < length {
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                guard let offsetHours = decimal(bytes, at: index + 1, digits: 2), offsetHours <= 23 else {
                    return nil
                }
                index += 3
                var offsetMinutes: Int64 = 0
                if index < length {
                    if bytes[index] == UInt8(ascii: ":") {
                        index += 1
                    }
                    guard let minutes = decimal(bytes, at: index, digits: 2), minutes <= 59 else {
                        return nil
                    }
                    offsetMinutes = minutes
                    index += 2
                }
                offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            default:
                return nil
            }
        }
        guard index == length else {
            return nil
        }
        let secondsOfDay = hour * 3600 + minute * 60 + second - offsetSeconds
        return midnight + secondsOfDay * microsecondsPerSecond + fraction
    }

    /// The value of `digits` decimal digits at `index`, or `nil` when any is missing or not a digit.
    @inline(__always)
    private static func decimal(_ bytes: UnsafeRawBufferPointer, at index: Int, digits: Int) -> Int64? {
        guard index >= 0, bytes.count - index >= digits else {
            return nil
        }
        var value: Int64 = 0
        for offset in 0..<digits {
            guard let digit = digitValue(bytes[index + offset]) else {
                return nil
            }
            value = value * 10 + digit
        }
        return value
    }

    @inline(__always)
    private static func digitValue(_ byte: UInt8) -> Int64? {
        let digit = byte &- UInt8(ascii: "0")
        return digit <= 9 ? Int64(digit) : nil
    }

    @inline(__always)
    private static func isLeapYear(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    @inline(__always)
    private static func daysInMonth(_ month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2:
            return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's `civil_from_days`).
    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    // MARK: - Formatting

    /// Formats microseconds since the Unix epoch as an ISO-8601 UTC timestamp.
    ///
    /// The fraction is omitted when the value is a whole second, has three digits when it is a
    /// whole millisecond and six digits otherwise: `2026-11-23T10:00:00Z`,
    /// `2026-11-23T10:00:00.123Z`, `2026-11-23T10:00:00.123456Z`. Values before 1970 are supported.
    /// Every `Int64` is accepted; years outside 0001–9999 are written with a sign or more than four
    /// digits, and the parser does not accept them back.
    ///
    /// - Parameter microseconds: Microseconds since 1970-01-01T00:00:00Z.
    /// - Returns: The timestamp text.
    public static func format(microseconds: Int64) -> String {
        String(unsafeUninitializedCapacity: maxFormattedLength) { buffer in
            Self.encode(microseconds: microseconds, into: buffer)
        }
    }

    /// Appends the text of ``format(microseconds:)`` to a byte array without creating a `String`.
    ///
    /// - Parameters:
    ///   - microseconds: Microseconds since 1970-01-01T00:00:00Z.
    ///   - bytes: The array to append the UTF-8 text to.
    public static func write(microseconds: Int64, into bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxFormattedLength) { buffer in
            let length = Self.encode(microseconds: microseconds, into: buffer)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<length]))
        }
    }

    /// Writes the timestamp text into `buffer`, which must hold at least ``maxFormattedLength``
    /// bytes, and returns the number of bytes written.
    private static func encode(microseconds: Int64, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        // Floor division without overflow, even for Int64.min.
        var days = microseconds / microsecondsPerDay
        var microsecondsOfDay = microseconds % microsecondsPerDay
        if microsecondsOfDay < 0 {
            microsecondsOfDay += microsecondsPerDay
            days -= 1
        }
        let date = civilFromDays(days)
        let secondsOfDay = microsecondsOfDay / microsecondsPerSecond
        let subsecond = microsecondsOfDay % microsecondsPerSecond

        var writer = DigitWriter(buffer: buffer)
        if date.year < 0 {
            writer.append(UInt8(ascii: "-"))
        }
        writer.appendYear(date.year.magnitude)
        writer.append(UInt8(ascii: "-"))
        writer.appendTwoDigits(date.month)
        writer.append(UInt8(ascii: "-"))
        writer.appendTwoDigits(date.day)
        writer.append(UInt8(ascii: "T"))
        writer.appendTwoDigits(secondsOfDay / 3600)
        writer.append(UInt8(ascii: ":"))
        writer.appendTwoDigits(secondsOfDay / 60 % 60)
        writer.append(UInt8(ascii: ":"))
        writer.appendTwoDigits(secondsOfDay % 60)
        if subsecond != 0 {
            writer.append(UInt8(ascii: "."))
            if subsecond % 1000 == 0 {
                writer.appendDigits(UInt64(subsecond / 1000), width: 3)
            } else {
                writer.appendDigits(UInt64(subsecond), width: 6)
            }
        }
        writer.append(UInt8(ascii: "Z"))
        return writer.count
    }
}

/// Writes ASCII digits into a fixed buffer.
private struct DigitWriter {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    var count = 0

    mutating func append(_ byte: UInt8) {
        self.buffer[self.count] = byte
        self.count += 1
    }

    mutating func appendTwoDigits(_ value: Int64) {
        self.appendDigits(UInt64(truncatingIfNeeded: value), width: 2)
    }

    /// Appends a year with at least four digits.
    mutating func appendYear(_ value: UInt64) {
        var width = 4
        var remaining = value / 10_000
        while remaining > 0 {
            width += 1
            remaining /= 10
        }
        self.appendDigits(value, width: width)
    }

    /// Appends the lowest `width` decimal digits of `value`, zero-padded.
    mutating func appendDigits(_ value: UInt64, width: Int) {
        var remaining = value
        var position = self.count + width - 1
        while position >= self.count {
            self.buffer[position] = UInt8(truncatingIfNeeded: remaining % 10) + UInt8(ascii: "0")
            remaining /= 10
            position -= 1
        }
        self.count += width
    }
}

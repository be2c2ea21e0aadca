/// Helpers for JSON number literals.
enum JSONNumberLiteral {
    /// Parses an integral JSON number literal (`-?[0-9]+`) into an `Int64`.
    ///
    /// Returns `nil` for an empty literal, for any byte other than a leading minus sign and
    /// decimal digits, and for values outside the `Int64` range. Leading zeros are tolerated here;
    /// the JSON grammar is enforced by ``JSONScanner``.
    ///
    /// - Parameter literal: The literal's bytes.
    /// - Returns: The value, or `nil`.
    static func int64(from literal: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        let isNegative = literal.first == UInt8(ascii: "-")
        if isNegative {
            index = 1
        }
        guard index < literal.count else {
            return nil
        }
        // Accumulate towards the sign so that Int64.min is representable.
        var value: Int64 = 0
        while index < literal.count {
            let digit = literal[index] &- UInt8(ascii: "0")
            guard digit <= 9 else {
                return nil
            }
            let (shifted, shiftOverflow) = value.multipliedReportingOverflow(by: 10)
            let (next, addOverflow) =
                isNegative
                ? shifted.subtractingReportingOverflow(Int64(digit))
                : shifted.addingReportingOverflow(Int64(digit))
            guard !shiftOverflow, !addOverflow else {
                return nil
            }
            value = next
            index += 1
        }
        return value
    }
}

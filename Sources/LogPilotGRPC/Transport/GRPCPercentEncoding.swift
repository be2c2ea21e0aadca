import LogPilotCore

/// The percent-encoding of the `grpc-message` trailer (gRPC HTTP/2 protocol spec, "Responses"): the UTF-8 bytes of
/// the message, with every byte outside `%x20-%x7E`, and `%` itself, written as `%XX` (upper-case hex).
enum GRPCPercentEncoding {
    /// Encodes a status message for the wire.
    static func encode(_ message: String) -> String {
        let utf8 = message.utf8
        // Fast path: most messages are plain ASCII without '%'.
        if utf8.allSatisfy({ isUnreserved($0) }) {
            return message
        }
        var encoded: [UInt8] = []
        encoded.reserveCapacity(utf8.count + 16)
        for byte in utf8 {
            if isUnreserved(byte) {
                encoded.append(byte)
            } else {
                encoded.append(UInt8(ascii: "%"))
                encoded.append(hexDigits[Int(byte >> 4)])
                encoded.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// Decodes a received `grpc-message`. Malformed `%` sequences are kept as they are (the spec asks receivers to
    /// be lenient), and invalid UTF-8 becomes U+FFFD.
    static func decode(_ value: String) -> String {
        let utf8 = Array(value.utf8)
        guard utf8.contains(UInt8(ascii: "%")) else { return value }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), index + 2 < utf8.count,
                let high = ASCIIHex.value(utf8[index + 1]), let low = ASCIIHex.value(utf8[index + 2])
            {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(byte)
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%")
    }

}

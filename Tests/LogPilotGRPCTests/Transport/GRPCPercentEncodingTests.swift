import Testing

@testable import LogPilotGRPC

/// `grpc-message` percent-encoding.
struct GRPCPercentEncodingTests {
    @Test func plainASCIIIsUnchanged() {
        #expect(GRPCPercentEncoding.encode("deadline exceeded") == "deadline exceeded")
        #expect(GRPCPercentEncoding.encode(" ~!\"#$&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}") == " ~!\"#$&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}")
    }

    @Test func percentAndControlCharactersAreEncoded() {
        #expect(GRPCPercentEncoding.encode("100%") == "100%25")
        #expect(GRPCPercentEncoding.encode("a\r\nb\tc") == "a%0D%0Ab%09c")
        #expect(GRPCPercentEncoding.encode("\u{7F}") == "%7F")
    }

    @Test func nonASCIIIsEncodedAsUTF8Bytes() {
        #expect(GRPCPercentEncoding.encode("café ☃") == "caf%C3%A9 %E2%98%83")
        #expect(GRPCPercentEncoding.encode("😀") == "%F0%9F%98%80")
    }

    @Test func decodeReversesEncode() {
        for message in ["", "ok", "100% done", "línea\nnueva", "☃ and 😀", "%%%", "a%2"] {
            #expect(GRPCPercentEncoding.decode(GRPCPercentEncoding.encode(message)) == message)
        }
    }

    @Test func decodeIsLenient() {
        #expect(GRPCPercentEncoding.decode("50%") == "50%")
        #expect(GRPCPercentEncoding.decode("%zz%4") == "%zz%4")
        #expect(GRPCPercentEncoding.decode("%e2%98%83") == "☃")
    }
}

import NIOCore
import Testing

@testable import LogPilotGRPC

/// The 5-byte prefix on response messages.
struct GRPCMessageFramerTests {
    @Test func framerWritesThePrefix() throws {
        let buffer = try GRPCMessageFramer.frame([0xAA, 0xBB, 0xCC])
        #expect(Array(buffer.readableBytesView) == [0, 0, 0, 0, 3, 0xAA, 0xBB, 0xCC])
        let empty = try GRPCMessageFramer.frame([])
        #expect(Array(empty.readableBytesView) == [0, 0, 0, 0, 0])
    }

    @Test func framerAndDeframerRoundTrip() throws {
        var wire = ByteBuffer()
        let payloads: [[UInt8]] = [[], [1], Array(repeating: 0x5A, count: 70_000)]
        for payload in payloads { try GRPCMessageFramer.frame(payload, into: &wire) }
        var deframer = GRPCMessageDeframer(maxMessageBytes: 100_000, allowsCompressedMessages: false)
        deframer.append(wire)
        var received: [[UInt8]] = []
        while let message = try deframer.next() { received.append(message.bytes) }
        #expect(received == payloads)
    }
}

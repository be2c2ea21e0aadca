import NIOCore
import Testing

@testable import LogPilotGRPC

/// The 5-byte gRPC message prefix: reassembly across DATA chunks, several messages per chunk, limits, flags.
struct GRPCMessageDeframerTests {
    private func framed(_ payload: [UInt8], compressed: Bool = false) -> [UInt8] {
        let length = UInt32(payload.count)
        return [compressed ? 1 : 0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            + payload
    }

    private func drain(_ deframer: inout GRPCMessageDeframer) throws(GRPCStatus) -> [GRPCMessageDeframer.Message] {
        var messages: [GRPCMessageDeframer.Message] = []
        while let message = try deframer.next() { messages.append(message) }
        return messages
    }

    @Test func oneMessageInOneChunk() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024, allowsCompressedMessages: false)
        deframer.append(ByteBuffer(bytes: framed([1, 2, 3])))
        let messages = try drain(&deframer)
        #expect(messages == [GRPCMessageDeframer.Message(bytes: [1, 2, 3], isCompressed: false)])
        #expect(messages.first?.framedSize == 8)
        #expect(deframer.bufferedBytes == 0)
        try deframer.finish()
    }

    @Test func severalMessagesInOneChunk() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024, allowsCompressedMessages: false)
        deframer.append(ByteBuffer(bytes: framed([1]) + framed([]) + framed([2, 2]) + framed([3, 3, 3])))
        let messages = try drain(&deframer).map(\.bytes)
        #expect(messages == [[1], [], [2, 2], [3, 3, 3]])
    }

    @Test func messageSplitAtEveryByte() throws {
        let payload = (0..<300).map { UInt8($0 % 251) }
        let wire = framed(payload) + framed([9, 9])
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024, allowsCompressedMessages: false)
        var messages: [[UInt8]] = []
        for byte in wire {
            deframer.append(ByteBuffer(bytes: [byte]))
            messages += try drain(&deframer).map(\.bytes)
        }
        #expect(messages == [payload, [9, 9]])
        try deframer.finish()
    }

    @Test(arguments: [1, 2, 4, 5, 6, 7, 13, 64])
    func messagesSplitIntoChunks(chunkSize: Int) throws {
        let payloads: [[UInt8]] = (0..<20).map { index in (0..<index * 3).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) } }
        let wire = payloads.flatMap { framed($0) }
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024, allowsCompressedMessages: false)
        var received: [[UInt8]] = []
        var offset = 0
        while offset < wire.count {
            let end = min(offset + chunkSize, wire.count)
            deframer.append(ByteBuffer(bytes: wire[offset..<end]))
            received += try drain(&deframer).map(\.bytes)
            offset = end
        }
        #expect(received == payloads)
    }

    @Test func messageAtTheLimitIsAccepted() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 16, allowsCompressedMessages: false)
        deframer.append(ByteBuffer(bytes: framed([UInt8](repeating: 7, count: 16))))
        #expect(try drain(&deframer).count == 1)
    }

    @Test func oversizedMessageIsRefusedFromItsPrefix() {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 16, allowsCompressedMessages: false)
        // Only the prefix has arrived: the refusal must not wait for (or buffer) the payload.
        deframer.append(ByteBuffer(bytes: [0, 0, 0, 0, 17]))
        #expect(throws: GRPCStatus(.resourceExhausted, "received message larger than max (17 vs. 16)")) {
            try deframer.next()
        }
    }

    @Test func hugeLengthPrefixIsRefused() {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 4 * 1024 * 1024, allowsCompressedMessages: false)
        deframer.append(ByteBuffer(bytes: [0, 0xFF, 0xFF, 0xFF, 0xFF]))
        #expect(throws: GRPCStatus.self) { try deframer.next() }
    }

    @Test func compressedFlagWithoutEncodingIsInternal() {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024, allowsCompressedMessages: false)
        deframer.append(ByteBuffer(bytes: framed([1, 2], compressed: true)))
        do {
            _ = try deframer.next()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .internalError)
        }
    }

    @Test func compressedFlagWithEncodingIsPassedOn() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024, allowsCompressedMessages: true)
        deframer.append(ByteBuffer(bytes: framed([1, 2], compressed: true) + framed([3])))
        let messages = try drain(&deframer)
        #expect(messages.map(\.isCompressed) == [true, false])
    }

    @Test func invalidFlagIsInternal() {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024, allowsCompressedMessages: true)
        deframer.append(ByteBuffer(bytes: [2, 0, 0, 0, 0]))
        do {
            _ = try deframer.next()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .internalError)
        }
    }

    @Test func endInTheMiddleOfAMessageIsInternal() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024, allowsCompressedMessages: false)
        deframer.append(ByteBuffer(bytes: [0, 0, 0, 0, 4, 1, 2]))
        #expect(try deframer.next() == nil)
        #expect(throws: GRPCStatus.self) { try deframer.finish() }
        var prefixOnly = GRPCMessageDeframer(maxMessageBytes: 1024, allowsCompressedMessages: false)
        prefixOnly.append(ByteBuffer(bytes: [0, 0]))
        #expect(throws: GRPCStatus.self) { try prefixOnly.finish() }
    }
}

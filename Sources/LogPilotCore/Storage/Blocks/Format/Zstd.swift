// All unsafe zstd C API use of LogPilot lives in this file. Each context (ZSTD_CCtx, ZSTD_DCtx) is owned by one
// small final class that creates it once, reuses it for every frame and frees it in `deinit`. The classes are not
// Sendable: a caller confines each one to one thread (one per writer, compactor or reader), as zstd requires.

private import CZstd

/// Compresses byte buffers into single zstd frames, reusing one compression context.
///
/// Every frame records its content size and an XXH64 content checksum (`ZSTD_c_contentSizeFlag` and
/// `ZSTD_c_checksumFlag` on), so ``ZstdDecompressor`` can refuse a frame of the wrong size before decoding it and
/// zstd itself detects corrupted payload bytes. Not thread-safe: use one instance per thread.
public final class ZstdCompressor {
    private let context: OpaquePointer

    /// Creates a compressor with its own `ZSTD_CCtx`.
    public init() {
        guard let context = ZSTD_createCCtx() else {
            fatalError("zstd: ZSTD_createCCtx failed (out of memory)")
        }
        self.context = context
    }

    deinit {
        ZSTD_freeCCtx(context)
    }

    /// The version of the linked zstd library, e.g. `1.5.4`.
    public static var libraryVersion: String { String(cString: ZSTD_versionString()) }

    /// The level range the library accepts; levels outside it are clamped by zstd.
    public static var levelRange: ClosedRange<Int32> { ZSTD_minCLevel()...ZSTD_maxCLevel() }

    /// Compresses `bytes` into one zstd frame with the content size and checksum flags set.
    ///
    /// - Parameters:
    ///   - bytes: The data; at most ``BlockCodec/Limits/maxColumnBytes`` is what the block format uses, but any
    ///     size zstd accepts works here.
    ///   - level: The zstd compression level (1 fast … 19 small; negative levels are faster still).
    /// - Returns: The complete frame.
    public func compress(_ bytes: UnsafeRawBufferPointer, level: Int32) -> [UInt8] {
        Self.check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "set the compression level")
        Self.check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "set the checksum flag")
        Self.check(ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1), "set the content size flag")
        let bound = ZSTD_compressBound(bytes.count)
        if czstd_is_error(bound) {
            fatalError("zstd: \(bytes.count) bytes is more than one frame can hold")
        }
        return withUnsafeSource(bytes) { source, sourceCount in
            [UInt8](unsafeUninitializedCapacity: bound) { destination, initialized in
                let written = ZSTD_compress2(context, destination.baseAddress, bound, source, sourceCount)
                // With a destination of ZSTD_compressBound bytes, compression can only fail on a broken context.
                Self.check(written, "compress \(sourceCount) bytes")
                initialized = written
            }
        }
    }

    /// Compresses the bytes of an array into one frame (see ``compress(_:level:)-(UnsafeRawBufferPointer,_)``).
    public func compress(_ bytes: [UInt8], level: Int32) -> [UInt8] {
        bytes.withUnsafeBytes { compress($0, level: level) }
    }

    private static func check(_ code: Int, _ what: @autoclosure () -> String) {
        if czstd_is_error(code) {
            fatalError("zstd: cannot \(what()): \(String(cString: ZSTD_getErrorName(code)))")
        }
    }
}

/// Decompresses single zstd frames of a known size, reusing one decompression context.
///
/// The input is treated as hostile: a frame is refused (with ``BlockFormatError``) unless it is exactly one
/// standard zstd frame that declares its content size, carries a content checksum, declares exactly the
/// `expectedSize` the caller knows from elsewhere (the block header), stays under ``maxSize``, and decodes to
/// exactly that many bytes with a matching checksum. Nothing is allocated before those header checks pass, so a
/// hostile size cannot cause a huge allocation. Not thread-safe: use one instance per thread.
public final class ZstdDecompressor {
    private let context: OpaquePointer

    /// The largest content size accepted, in bytes.
    public let maxSize: Int

    /// Creates a decompressor with its own `ZSTD_DCtx`.
    ///
    /// - Parameter maxSize: The largest frame content accepted; the default is the block format's column cap.
    public init(maxSize: Int = BlockCodec.Limits.maxColumnBytes) {
        guard let context = ZSTD_createDCtx() else {
            fatalError("zstd: ZSTD_createDCtx failed (out of memory)")
        }
        self.context = context
        self.maxSize = maxSize
        // Bounds the window a frame may ask for (memory), independent of the content size check below.
        _ = ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, 27)
    }

    deinit {
        ZSTD_freeDCtx(context)
    }

    /// The zstd frame magic number, little-endian on the wire (`28 B5 2F FD`).
    static let frameMagic: UInt32 = 0xFD2F_B528

    /// Decompresses one frame whose content size must be `expectedSize`.
    ///
    /// - Parameters:
    ///   - frame: Exactly one zstd frame, nothing before or after it.
    ///   - expectedSize: The content size the caller expects (from the block header).
    /// - Returns: The `expectedSize` content bytes.
    /// - Throws: ``BlockFormatError`` naming what is wrong: not a frame, no declared size or checksum, a size
    ///   other than `expectedSize`, a size above ``maxSize``, trailing bytes, or zstd's own error name
    ///   (e.g. `Restored data doesn't match checksum`).
    public func decompress(_ frame: UnsafeRawBufferPointer, expectedSize: Int) throws(BlockFormatError) -> [UInt8] {
        guard expectedSize >= 0, expectedSize <= maxSize else {
            throw BlockFormatError("zstd frame: expected size \(expectedSize) is above the limit of \(maxSize) bytes")
        }
        // Magic (4 bytes) + frame header descriptor (1 byte): the shortest frame header worth looking at.
        guard frame.count >= 5 else {
            throw BlockFormatError("zstd frame: \(frame.count) bytes is too short for a frame header")
        }
        let magic = UInt32(frame[0]) | UInt32(frame[1]) << 8 | UInt32(frame[2]) << 16 | UInt32(frame[3]) << 24
        guard magic == Self.frameMagic else {
            throw BlockFormatError("zstd frame: bad magic number 0x\(String(magic, radix: 16))")
        }
        // Frame_Header_Descriptor bit 2 is Content_Checksum_flag (RFC 8878 §3.1.1.1.1).
        guard frame[4] & 0x04 != 0 else {
            throw BlockFormatError("zstd frame: no content checksum")
        }
        let declared = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        if declared == czstd_contentsize_error() {
            throw BlockFormatError("zstd frame: invalid frame header")
        }
        if declared == czstd_contentsize_unknown() {
            throw BlockFormatError("zstd frame: the content size is not declared")
        }
        guard declared == UInt64(expectedSize) else {
            throw BlockFormatError("zstd frame: declares \(declared) content bytes, expected \(expectedSize)")
        }
        let frameLength = ZSTD_findFrameCompressedSize(frame.baseAddress, frame.count)
        if czstd_is_error(frameLength) {
            throw BlockFormatError("zstd frame: \(String(cString: ZSTD_getErrorName(frameLength)))")
        }
        guard frameLength == frame.count else {
            throw BlockFormatError("zstd frame: \(frame.count - frameLength) bytes after the end of the frame")
        }
        var errorCode: Int?
        var decodedSize = 0
        let output = [UInt8](unsafeUninitializedCapacity: expectedSize) { destination, initialized in
            // A zero-capacity array may have no storage; zstd accepts a nil destination of capacity 0.
            let result = ZSTD_decompressDCtx(
                context, destination.baseAddress, expectedSize, frame.baseAddress, frame.count
            )
            if czstd_is_error(result) {
                errorCode = result
                initialized = 0
            } else {
                decodedSize = result
                initialized = result == expectedSize ? result : 0
            }
        }
        if let errorCode {
            // A failed frame may leave the context mid-frame; start the next one clean.
            _ = ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
            throw BlockFormatError("zstd frame: \(String(cString: ZSTD_getErrorName(errorCode)))")
        }
        guard decodedSize == expectedSize else {
            throw BlockFormatError("zstd frame: decoded \(decodedSize) bytes, \(expectedSize) declared")
        }
        return output
    }
}

/// Calls `body` with a non-nil source pointer even for an empty buffer (an empty array may have no storage).
private func withUnsafeSource<R>(
    _ bytes: UnsafeRawBufferPointer,
    _ body: (UnsafeRawPointer, Int) -> R
) -> R {
    if let base = bytes.baseAddress {
        return body(base, bytes.count)
    }
    var zero: UInt8 = 0
    return withUnsafeBytes(of: &zero) { body($0.baseAddress!, 0) }
}

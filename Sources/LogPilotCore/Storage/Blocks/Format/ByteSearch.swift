#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Substring search over byte arrays: the C library's `memchr` (vectorised in glibc) finds each candidate first
/// byte, `memcmp` checks the rest. (`memmem` would do both but is a GNU extension Swift's Glibc module hides.)
///
/// The only pointer use outside `Zstd.swift`: both buffers come from arrays whose bounds are checked here before
/// the calls, and the calls only read inside the ranges they are given.
enum ByteSearch {
    /// The offset of the first occurrence of `needle` within `haystack[range]`, or nil. The empty needle occurs at
    /// `range.lowerBound`.
    static func firstIndex(of needle: [UInt8], in haystack: [UInt8], _ range: Range<Int>) -> Int? {
        precondition(range.lowerBound >= 0 && range.upperBound <= haystack.count, "search range out of bounds")
        guard !needle.isEmpty else { return range.lowerBound }
        guard needle.count <= range.count else { return nil }
        return haystack.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pattern in
                let base = hay.baseAddress!
                let first = Int32(pattern[0])
                let rest = pattern.count - 1
                // The last offset where the needle still fits.
                let lastStart = range.upperBound - pattern.count
                var position = range.lowerBound
                while position <= lastStart {
                    guard let found = memchr(base + position, first, lastStart - position + 1) else { return nil }
                    let offset = UnsafeRawPointer(found) - base
                    if rest == 0 || memcmp(base + offset + 1, pattern.baseAddress! + 1, rest) == 0 {
                        return offset
                    }
                    position = offset + 1
                }
                return nil
            }
        }
    }
}

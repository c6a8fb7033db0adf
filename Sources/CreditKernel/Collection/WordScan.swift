/// Byte tests on eight bytes at once, for scanners that copy long runs of ordinary text (JSON and
/// COPY escaping). Exact about whether any byte qualifies: a borrow only starts at one that does.
package enum WordScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The eight bytes at `index` (the caller checks that there are eight).
    @inline(__always)
    package static func word(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt64 {
        UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
    }

    /// Whether a byte of `word` is below `limit`, which is at most 0x80.
    @inline(__always)
    package static func hasByte(below limit: UInt8, in word: UInt64) -> Bool {
        (word &- UInt64(limit) &* ones) & ~word & highs != 0
    }

    @inline(__always)
    package static func hasByte(_ byte: UInt8, in word: UInt64) -> Bool {
        hasByte(below: 1, in: word ^ (UInt64(byte) &* ones))
    }
}

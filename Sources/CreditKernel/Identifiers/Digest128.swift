import Crypto
/// A 128-bit digest (a truncated SHA-256): record keys and content hashes. Two words, so it hashes,
/// compares and copies without touching the heap.
public struct Digest128: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The first 16 bytes of `bytes`, big-endian (missing bytes count as zero).
    public init<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var count = 0
        for byte in bytes {
            if count < 8 { high = high << 8 | UInt64(byte) } else if count < 16 { low = low << 8 | UInt64(byte) } else { break }
            count += 1
        }
        if count < 8 { high <<= UInt64(8 * (8 - count)) }
        if count < 16 { low <<= UInt64(8 * (16 - max(8, count))) }
        self.init(high: high, low: low)
    }

    /// The first 16 bytes of a buffer, read as two big-endian words.
    public init(prefixOf buffer: UnsafeRawBufferPointer) {
        precondition(buffer.count >= 16, "a Digest128 needs 16 bytes")
        self.init(high: UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self)), low: UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }

    /// The 16 bytes, big-endian.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * $0)) } + (0..<8).map { UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * $0)) }
    }

    public var description: String {
        bytes.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
        }.joined()
    }

    public static func < (lhs: Digest128, rhs: Digest128) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

extension Digest128 {
    /// What a record's business key hash starts with for `resourceID`: one data, one source is per resource.
    public static func businessKeyPrefix(resourceID: String) -> [UInt8] {
        Array((resourceID + "\u{1F}").utf8)
    }

    /// The hash a record is stored and looked up under: SHA-256 of the resource's prefix and the
    /// business key (fields joined by U+001F), its first 16 bytes.
    public static func businessKey(prefix: [UInt8], key: [UInt8]) -> Digest128 {
        var hasher = SHA256()
        hasher.update(data: prefix)
        hasher.update(data: key)
        return hasher.finalize().withUnsafeBytes(Digest128.init(prefixOf:))
    }

    /// The hash of a business key as stored (`RecordVersion.businessKey`), for looking a record up by it.
    public static func businessKey(resourceID: String, businessKey: String) -> Digest128 {
        Self.businessKey(prefix: businessKeyPrefix(resourceID: resourceID), key: Array(businessKey.utf8))
    }
}

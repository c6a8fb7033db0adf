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

    /// The hash a record is stored and looked up under, for the business key `key` (fields joined
    /// by U+001F) of the resource whose `businessKeyPrefix` is `prefix`. Its 128 bits are:
    /// - 12 bits for the series of the key's first field: a hash of its characters other than
    ///   digits (`杭市监罚〔〕号` for `杭市监罚〔2024〕123号`);
    /// - 20 bits for the number its digits spell, modulo 2^20 (`2024123`);
    /// - 96 bits of SHA-256 of the prefix and the whole key, which tell any two keys apart.
    ///
    /// Documents are numbered in sequence within a series (GB/T 9704: 机关代字, year, serial), so
    /// the records of one department's file fall next to each other in the key index. Each chunk
    /// committed then adds to a few of the index's pages instead of a few entries to every page,
    /// which in SQLite means rewriting the whole index at every commit: a 3,000,000-row SQLite
    /// ingest took 71.7 s with a plain SHA-256 prefix and 54.9 s with this order (docs/collection.md).
    public static func businessKey(prefix: [UInt8], key: [UInt8]) -> Digest128 {
        var hasher = SHA256()
        hasher.update(data: prefix)
        hasher.update(data: key)
        let digest = hasher.finalize().withUnsafeBytes(Digest128.init(prefixOf:))
        // FNV-1a: the series only places a key, so it needs no cryptographic hash.
        var series: UInt64 = 0xCBF2_9CE4_8422_2325
        var number: UInt64 = 0
        for byte in key {
            if byte == 0x1F { break }
            if byte &- UInt8(ascii: "0") < 10 {
                number = (number &* 10 &+ UInt64(byte &- UInt8(ascii: "0"))) & 0xF_FFFF
            } else {
                series = (series ^ UInt64(byte)) &* 0x100_0000_01B3
            }
        }
        return Digest128(high: (series >> 52) << 52 | number << 32 | digest.high >> 32, low: digest.low)
    }

    /// The hash of a business key as stored (`RecordVersion.businessKey`), for looking a record up by it.
    public static func businessKey(resourceID: String, businessKey: String) -> Digest128 {
        Self.businessKey(prefix: businessKeyPrefix(resourceID: resourceID), key: Array(businessKey.utf8))
    }
}

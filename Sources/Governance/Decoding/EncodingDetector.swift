import CreditKernel

/// Works out how a text artefact is encoded, the way a careful person would.
///
/// A byte-order mark decides; failing that, UTF-16 shows as NUL bytes in every other position;
/// failing that, the first non-ASCII bytes decide between UTF-8 (valid sequences) and GB18030
/// (what Chinese Excel's "CSV" writes, without a mark). Text in both is identical while it is ASCII.
public enum EncodingDetector {
    /// The detected encoding and how many bytes of byte-order mark to skip.
    public static func detect(_ prefix: some Collection<UInt8>) -> (encoding: TextEncoding, bomLength: Int) {
        let bytes = Array(prefix.prefix(1 << 20))
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return (.utf8, 3) }
        if bytes.starts(with: [0xFF, 0xFE]) { return (.utf16LittleEndian, 2) }
        if bytes.starts(with: [0xFE, 0xFF]) { return (.utf16BigEndian, 2) }
        if let utf16 = utf16WithoutMark(bytes) { return (utf16, 0) }
        guard let firstNonASCII = bytes.firstIndex(where: { $0 >= 0x80 }) else { return (.utf8, 0) }
        let window = bytes[firstNonASCII..<min(bytes.count, firstNonASCII + 65536)]
        let truncatedAtEnd = bytes.count == (1 << 20) || window.endIndex < bytes.count
        return (isValidUTF8(window, allowTruncatedEnd: truncatedAtEnd || window.endIndex == bytes.count) ? .utf8 : .gb18030, 0)
    }

    /// UTF-16 without a mark: mostly-ASCII text has a NUL in every other byte.
    static func utf16WithoutMark(_ bytes: [UInt8]) -> TextEncoding? {
        let sample = bytes.prefix(1024)
        guard sample.count >= 4 else { return nil }
        var evenZeros = 0
        var oddZeros = 0
        for (index, byte) in sample.enumerated() where byte == 0 {
            if index % 2 == 0 { evenZeros += 1 } else { oddZeros += 1 }
        }
        let half = sample.count / 2
        if oddZeros * 10 > half * 3, evenZeros * 10 < half { return .utf16LittleEndian }
        if evenZeros * 10 > half * 3, oddZeros * 10 < half { return .utf16BigEndian }
        return nil
    }

    /// Whether `bytes` is well-formed UTF-8; a sequence cut off by the end of the sample is allowed
    /// when `allowTruncatedEnd` says the sample is a prefix.
    public static func isValidUTF8(_ bytes: some Collection<UInt8>, allowTruncatedEnd: Bool) -> Bool {
        var iterator = bytes.makeIterator()
        while let lead = iterator.next() {
            let continuation: Int
            switch lead {
            case 0x00...0x7F: continue
            case 0xC2...0xDF: continuation = 1
            case 0xE0...0xEF: continuation = 2
            case 0xF0...0xF4: continuation = 3
            default: return false
            }
            for index in 0..<continuation {
                guard let next = iterator.next() else { return allowTruncatedEnd }
                if index == 0 {
                    // Overlong and surrogate forms.
                    if lead == 0xE0 && next < 0xA0 { return false }
                    if lead == 0xED && next > 0x9F { return false }
                    if lead == 0xF0 && next < 0x90 { return false }
                    if lead == 0xF4 && next > 0x8F { return false }
                }
                guard next & 0xC0 == 0x80 else { return false }
            }
        }
        return true
    }
}

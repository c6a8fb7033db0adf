import Foundation
import CreditKernel

/// Character-level clean-ups every value goes through, written against UTF-8 so the common case
/// (a value that needs nothing) costs a scan and no allocation.
enum TextNormalisation {
    /// Whitespace a value may be padded with: ASCII, ideographic space (U+3000), no-break space, BOM, zero-width space.
    @inline(__always)
    static func isPadding(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C, 0x3000, 0xA0, 0xFEFF, 0x200B: true
        default: false
        }
    }

    /// Whether the value starts or ends with padding, judged from its first and last bytes.
    @inline(__always)
    static func needsTrim(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard let first = utf8.first, let last = utf8.last else { return false }
        return needsTrim(first: first, last: last)
    }

    @inline(__always)
    static func needsTrim(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return false }
        return needsTrim(first: first, last: last)
    }

    @inline(__always)
    static func needsTrim(first: UInt8, last: UInt8) -> Bool {
        // ASCII whitespace, or the lead bytes of U+00A0 (C2), U+200B (E2), U+3000 (E3), U+FEFF (EF).
        if first <= 0x20 || first == 0xC2 || first == 0xE2 || first == 0xE3 || first == 0xEF { return true }
        // Last bytes of those: A0, 8B, 80, BF.
        if last <= 0x20 || last == 0xA0 || last == 0x8B || last == 0x80 || last == 0xBF { return true }
        return false
    }

    /// Whether the text holds a control character other than tab and line breaks: NUL from a
    /// UTF-16 file or a legacy export's padding, which no store keeps in text (PostgreSQL refuses it).
    static func hasControlCharacters(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // Eight bytes at a time while none is a candidate; from the first that may be, byte by byte.
        var index = 0
        while index + 8 <= bytes.count {
            let word = WordScan.word(bytes, at: index)
            if WordScan.hasByte(below: 0x20, in: word) || WordScan.hasByte(0x7F, in: word) { break }
            index += 8
        }
        for byte in bytes[index...] where byte < 0x20 || byte == 0x7F {
            if byte != 0x09, byte != 0x0A, byte != 0x0D { return true }
        }
        return false
    }

    /// The text without control characters other than tab and line breaks.
    static func removingControlCharacters(_ value: String) -> String {
        var value = value
        guard value.withUTF8(hasControlCharacters) else { return value }
        var utf8 = Array(value.utf8)
        utf8.removeAll { ($0 < 0x20 || $0 == 0x7F) && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Removes padding at both ends.
    static func trim(_ value: String) -> String {
        guard needsTrim(value) else { return value }
        let scalars = value.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, isPadding(scalars[start]) { start = scalars.index(after: start) }
        while end > start, isPadding(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }

    /// Whether the value is empty once trimmed.
    static func isBlank(_ value: String) -> Bool {
        value.isEmpty || (needsTrim(value) && trim(value).isEmpty)
    }

    /// Whether the value has full-width ASCII forms (U+FF01–U+FF5E) or ideographic spaces, by a
    /// cheap scan of the UTF-8 (their encodings start EF BC, EF BD or E3 80 80).
    static func hasFullWidth(_ value: String) -> Bool {
        var value = value
        return value.withUTF8(hasFullWidth)
    }

    @inline(__always)
    static func hasFullWidth(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var previous: UInt8 = 0
        for byte in bytes {
            if previous == 0xEF, byte == 0xBC || byte == 0xBD { return true }
            if previous == 0xE3, byte == 0x80 { return true }
            previous = byte
        }
        return false
    }

    /// Full-width letters, digits and punctuation to their ASCII forms; U+3000 to a space.
    static func halfWidth(_ value: String) -> String {
        guard hasFullWidth(value) else { return value }
        var scalars = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0xFF01...0xFF5E: scalars.append(Unicode.Scalar(scalar.value - 0xFEE0)!)
            case 0x3000: scalars.append(" ")
            default: scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    /// ASCII letters to upper case (codes: USCC, ID numbers); other characters unchanged.
    static func upperASCII(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 >= 0x61 && $0 <= 0x7A }) else { return value }
        return String(decoding: value.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    /// Removes spaces and hyphens inside a code.
    static func removingSeparators(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x20 || $0 == 0x2D }) else { return value }
        return String(decoding: value.utf8.filter { $0 != 0x20 && $0 != 0x2D }, as: UTF8.self)
    }

    /// Chinese numeral digits, financial (壹贰) and common (一二两), as amounts and dates write them.
    static let chineseDigits: [Unicode.Scalar: Int64] = [
        "零": 0, "〇": 0, "壹": 1, "一": 1, "贰": 2, "貳": 2, "二": 2, "两": 2, "叁": 3, "三": 3, "肆": 4, "四": 4, "伍": 5, "五": 5, "陆": 6, "六": 6,
        "柒": 7, "七": 7, "捌": 8, "八": 8, "玖": 9, "九": 9,
    ]

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= 0x30 && byte <= 0x39
    }

    static func isASCIIDigits(_ value: Substring.UTF8View) -> Bool {
        !value.isEmpty && value.allSatisfy(isDigit)
    }

    /// Characters (Unicode scalars) in the value, counted from its UTF-8 without decoding.
    @inline(__always)
    static func scalarCount(_ value: String) -> Int {
        var count = 0
        for byte in value.utf8 where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }

    @inline(__always)
    static func scalarCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        for byte in bytes where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }

    /// Whether two strings are the same UTF-8 (no Unicode equivalence: a normaliser that changed
    /// a character changed the value).
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        var a = a
        var b = b
        return a.withUTF8 { x in b.withUTF8 { y in x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } }
    }

    /// Whether `needle` occurs in `haystack`, comparing UTF-8 bytes (exact, no normalisation).
    static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first else { return true }
        guard haystack.count >= needle.count else { return false }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, UnsafeBufferPointer(rebasing: haystack[index..<(index + needle.count)]).elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}

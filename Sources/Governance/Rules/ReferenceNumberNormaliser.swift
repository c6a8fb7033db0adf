/// Official documents' reference numbers (发文字号, 文书号), such as `杭市监罚〔2023〕12号`.
///
/// GB/T 9704 writes the year in hexagonal brackets, 〔2023〕. Clerks type `[2023]`, `（2023）`,
/// `【2023】`, full-width digits or a stray space, and a later correction of the same decision may
/// be typed differently again. The reference number is part of the business key, so unless these
/// are read as the standard form one decision sent twice becomes two records.
enum ReferenceNumberNormaliser {
    /// What normalising changed, as notes in Chinese and English.
    typealias Note = (chinese: String, english: String)

    /// The standard form of `value` (already trimmed) and what was changed to reach it.
    static func normalise(_ value: String) -> (value: String, notes: [Note]) {
        var notes: [Note] = []
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(value.unicodeScalars.count)
        var convertedFullWidth = false
        var removedSpaces = false
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0xFF10...0xFF19, 0xFF21...0xFF3A, 0xFF41...0xFF5A:
                scalars.append(Unicode.Scalar(scalar.value - 0xFEE0)!)
                convertedFullWidth = true
            case _ where TextNormalisation.isPadding(scalar):
                removedSpaces = true
            default:
                scalars.append(scalar)
            }
        }
        if convertedFullWidth { notes.append(("全角数字或字母已转为半角", "full-width digits or letters converted")) }
        if removedSpaces { notes.append(("去除文号中的空格", "removed spaces inside the reference number")) }

        var bracketedYear = false
        var index = 0
        while index + 5 < scalars.count {
            if openers.contains(scalars[index]), closers.contains(scalars[index + 5]), isYear(scalars[(index + 1)...(index + 4)]),
                scalars[index] != "〔" || scalars[index + 5] != "〕"
            {
                scalars[index] = "〔"
                scalars[index + 5] = "〕"
                bracketedYear = true
                index += 6
            } else {
                index += 1
            }
        }
        if bracketedYear { notes.append(("文号中的年份括号已规范为〔〕", "the year's brackets in the reference number written as 〔〕")) }
        guard !notes.isEmpty else { return (value, []) }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars)
        return (String(result), notes)
    }

    /// Whether `bytes` hold nothing `normalise` would change, judged without making a string:
    /// no spaces or control characters, no full-width forms, no brackets but 〔〕, and not one of
    /// the short marks read as empty.
    static func isCanonical(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // Marks such as 无 or N/A, and formula errors such as #N/A, are looked at by the caller.
        guard bytes.count > 8, bytes.first != UInt8(ascii: "#") else { return false }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case ...0x20, 0x7F, UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"):
                return false
            case 0xC2 where index + 1 < bytes.count && bytes[index + 1] == 0xA0:
                return false
            case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && bytes[index + 2] == 0x8B:
                return false
            case 0xE3 where index + 2 < bytes.count && bytes[index + 1] == 0x80:
                // U+3000 ideographic space, 【】 and 〖〗; 〔〕 (94, 95) are the standard form.
                switch bytes[index + 2] {
                case 0x80, 0x90, 0x91, 0x96, 0x97: return false
                default: break
                }
            case 0xEF where index + 1 < bytes.count:
                // Full-width forms (EF BC, EF BD), ﹝﹞ (EF B9 9D/9E), and the BOM (EF BB BF).
                let second = bytes[index + 1]
                if second == 0xBC || second == 0xBD || second == 0xBB { return false }
                if second == 0xB9, index + 2 < bytes.count, bytes[index + 2] == 0x9D || bytes[index + 2] == 0x9E { return false }
            default:
                break
            }
            index += 1
        }
        return true
    }

    /// Brackets a year is written in. One opened with one kind and closed with another (`[2023〕`)
    /// is still a year.
    private static let openers: Set<Unicode.Scalar> = ["〔", "(", "[", "（", "［", "【", "﹝", "〖"]
    private static let closers: Set<Unicode.Scalar> = ["〕", ")", "]", "）", "］", "】", "﹞", "〗"]

    /// Four ASCII digits from 1900 to 2099.
    private static func isYear(_ digits: ArraySlice<Unicode.Scalar>) -> Bool {
        let values = digits.map { Int($0.value) - 0x30 }
        guard values.allSatisfy({ (0...9).contains($0) }) else { return false }
        return [19, 20].contains(values[0] * 10 + values[1])
    }
}

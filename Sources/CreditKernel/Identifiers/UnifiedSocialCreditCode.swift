/// Unified social credit code (统一社会信用代码), GB 32100-2015.
///
/// 18 characters: registration authority, organisation type, 6-digit division code, the 9-character
/// organisation code (GB 11714, with its own check character) and a check character over the first 17.
public enum UnifiedSocialCreditCode {
    /// The 31 characters the code uses (no I, O, S, V, Z); a character's value is its index.
    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8)
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = Int8(index) }
        return table
    }()
    /// Wi = 3^(i-1) mod 31.
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// The placeholder an individual business without a code writes (17 zeros + X).
    public static let individualBusinessPlaceholder = "00000000000000000X"

    /// Why a code is not valid.
    public enum Problem: Sendable, Hashable {
        case length(Int)
        case character(position: Int, Character)
        case checkCharacter(expected: Character, found: Character)
        case organisationCode(OrganisationCode.Problem)
    }

    /// The check character for the first 17 characters, or nil if one is outside the alphabet.
    public static func checkCharacter<S: Sequence>(for first17: S) -> Character? where S.Element == UInt8 {
        var sum = 0
        var count = 0
        for (index, byte) in first17.enumerated() {
            guard index < 17, byte < 128, values[Int(byte)] >= 0 else { return nil }
            sum += Int(values[Int(byte)]) * weights[index]
            count += 1
        }
        guard count == 17 else { return nil }
        let check = (31 - sum % 31) % 31
        return Character(Unicode.Scalar(alphabet[check]))
    }

    /// Validates structure, the check character and the embedded organisation code.
    public static func validate(_ code: String) -> Problem? {
        var utf8 = code
        return utf8.withUTF8 { validate(bytes: $0, characters: { code.count }) }
    }

    /// `validate` on UTF-8 bytes, read in place; `characters` counts them for a length problem.
    package static func validate(bytes: UnsafeBufferPointer<UInt8>, characters: () -> Int) -> Problem? {
        guard bytes.count == 18 else { return .length(bytes.allSatisfy { $0 < 0x80 } ? bytes.count : characters()) }
        let values = Self.values
        let weights = Self.weights
        var sum = 0
        for index in 0..<18 {
            let byte = bytes[index]
            guard byte < 128, values[Int(byte)] >= 0 else {
                return byte < 128 ? .character(position: index + 1, Character(Unicode.Scalar(byte))) : .length(characters())
            }
            // Positions 3–8 are a division code: digits only.
            if index >= 2, index < 8, byte > 0x39 { return .character(position: index + 1, Character(Unicode.Scalar(byte))) }
            if index < 17 { sum += Int(values[Int(byte)]) * weights[index] }
        }
        let expected = alphabet[(31 - sum % 31) % 31]
        guard expected == bytes[17] else {
            return .checkCharacter(expected: Character(Unicode.Scalar(expected)), found: Character(Unicode.Scalar(bytes[17])))
        }
        if let problem = OrganisationCode.validate(bytes: UnsafeBufferPointer(rebasing: bytes[8..<17])) {
            return .organisationCode(problem)
        }
        return nil
    }

    public static func isValid(_ code: String) -> Bool {
        validate(code) == nil
    }

    /// The embedded organisation code (positions 9–17).
    public static func organisationCode(of code: String) -> String? {
        let bytes = Array(code.utf8)
        guard bytes.count == 18 else { return nil }
        return String(decoding: bytes[8..<17], as: UTF8.self)
    }
}

/// Organisation code (组织机构代码), GB 11714-1997: 8 body characters and a check character.
public enum OrganisationCode {
    /// 2^(9−i) mod 11.
    static let weights = [3, 7, 9, 10, 5, 8, 4, 2]

    public enum Problem: Sendable, Hashable {
        case length(Int)
        case character(position: Int, Character)
        case checkCharacter(expected: Character, found: Character)
    }

    static func value(of byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x5A: Int(byte - 0x41) + 10
        default: nil
        }
    }

    /// Validates a 9-character code; a hyphen before the check character (`XXXXXXXX-X`) is accepted.
    public static func validate(_ code: String) -> Problem? {
        var bytes = Array(code.utf8)
        if bytes.count == 10, bytes[8] == UInt8(ascii: "-") { bytes.remove(at: 8) }
        guard bytes.count == 9 else { return .length(code.count) }
        return bytes.withUnsafeBufferPointer { validate(bytes: $0) }
    }

    /// Validates exactly nine bytes.
    static func validate(bytes: UnsafeBufferPointer<UInt8>) -> Problem? {
        guard bytes.count == 9 else { return .length(bytes.count) }
        var sum = 0
        for index in 0..<8 {
            guard let value = value(of: bytes[index]) else {
                return .character(position: index + 1, Character(Unicode.Scalar(bytes[index])))
            }
            sum += value * weights[index]
        }
        let remainder = 11 - sum % 11
        let expected = remainder == 10 ? UInt8(ascii: "X") : remainder == 11 ? UInt8(ascii: "0") : UInt8(0x30 + remainder)
        guard expected == bytes[8] else { return .checkCharacter(expected: Character(Unicode.Scalar(expected)), found: Character(Unicode.Scalar(bytes[8]))) }
        return nil
    }

    public static func isValid(_ code: String) -> Bool {
        validate(code) == nil
    }
}

/// Resident identity card number (居民身份证号码), GB 11643-1999: area, birth date, sequence, check.
public enum ResidentIdentityNumber {
    /// 2^(18−i) mod 11.
    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters: [Character] = Array("10X98765432")

    public enum Problem: Sendable, Hashable {
        case length(Int)
        case character(position: Int, Character)
        case birthDate(String)
        case checkCharacter(expected: Character, found: Character)
    }

    /// Validates an 18-character number, including that positions 7–14 are a real date not in the future.
    /// - Parameter today: `YYYYMMDD` of the reference date.
    public static func validate(_ number: String, today: Int = CalendarDate.today().compactValue) -> Problem? {
        var utf8 = number
        return utf8.withUTF8 { validate(bytes: $0, today: today) }
    }

    /// `validate` on the number's UTF-8, without making a string of a valid one.
    public static func validate(bytes: UnsafeBufferPointer<UInt8>, today: Int) -> Problem? {
        func characters() -> Int { String(decoding: bytes, as: UTF8.self).count }
        guard bytes.count == 18 else { return .length(bytes.allSatisfy { $0 < 0x80 } ? bytes.count : characters()) }
        var sum = 0
        for index in 0..<17 {
            let byte = bytes[index]
            guard byte >= 0x30 && byte <= 0x39 else {
                return byte < 0x80 ? .character(position: index + 1, Character(Unicode.Scalar(byte))) : .length(characters())
            }
            sum += Int(byte - 0x30) * weights[index]
        }
        var birth = 0
        for index in 6..<14 { birth = birth * 10 + Int(bytes[index] - 0x30) }
        guard let date = CalendarDate(year: birth / 10000, month: birth / 100 % 100, day: birth % 100), date.year >= 1850, date.compactValue <= today else {
            return .birthDate(String(birth))
        }
        let expected = checkCharacters[sum % 11]
        let found = Character(Unicode.Scalar(bytes[17]))
        return expected == found ? nil : .checkCharacter(expected: expected, found: found)
    }

    public static func isValid(_ number: String) -> Bool {
        validate(number) == nil
    }
}

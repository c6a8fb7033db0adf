import CreditKernel
import Testing

@Suite("Identifier check characters")
struct IdentifierTests {
    @Test(
        "Published unified social credit codes pass GB 32100",
        arguments: ["91330100716105852F", "9144030071526726XG", "914403001922038216"]
    )
    func publishedCodesPass(code: String) {
        #expect(UnifiedSocialCreditCode.validate(code) == nil)
    }

    @Test("A changed check character is named with the expected one")
    func wrongCheckCharacter() {
        #expect(UnifiedSocialCreditCode.validate("91330100716105852E") == .checkCharacter(expected: "F", found: "E"))
    }

    @Test("Letters outside the GB 32100 alphabet, wrong lengths and non-digit divisions are refused")
    func structure() {
        #expect(UnifiedSocialCreditCode.validate("9133010071610585") == .length(16))
        #expect(UnifiedSocialCreditCode.validate("91330100716105852I") == .character(position: 18, "I"))
        #expect(UnifiedSocialCreditCode.validate("9133A100716105852F") == .character(position: 5, "A"))
        #expect(UnifiedSocialCreditCode.validate("91330100716105852f") != nil)
    }

    @Test("The individual-business placeholder fails the check and is special-cased by rules, not here")
    func placeholderFails() {
        #expect(!UnifiedSocialCreditCode.isValid(UnifiedSocialCreditCode.individualBusinessPlaceholder))
    }

    @Test("The embedded organisation code must pass GB 11714 too")
    func embeddedOrganisationCode() throws {
        // Same first 17 characters with a corrupted organisation-code check, then recomputed USCC check.
        let body = Array("91330100716105859".utf8)
        let check = try #require(UnifiedSocialCreditCode.checkCharacter(for: body))
        let code = String(decoding: body, as: UTF8.self) + String(check)
        #expect(UnifiedSocialCreditCode.validate(code) == .organisationCode(.checkCharacter(expected: "2", found: "9")))
        #expect(UnifiedSocialCreditCode.organisationCode(of: "91330100716105852F") == "716105852")
    }

    @Test("Organisation codes, with and without the hyphen", arguments: ["71610585-2", "716105852", "71526726X", "192203821"])
    func organisationCodes(code: String) {
        #expect(OrganisationCode.isValid(code))
    }

    @Test("Organisation code with a wrong check character")
    func organisationCodeWrong() {
        #expect(OrganisationCode.validate("71610585-3") == .checkCharacter(expected: "2", found: "3"))
        #expect(OrganisationCode.validate("7161058") == .length(7))
    }

    @Test("The GB 11643 example passes")
    func residentID() {
        #expect(ResidentIdentityNumber.validate("11010519491231002X") == nil)
    }

    @Test("Resident ID numbers need a real birth date and the right check character")
    func residentIDProblems() {
        #expect(ResidentIdentityNumber.validate("110105194912310021") == .checkCharacter(expected: "X", found: "1"))
        #expect(ResidentIdentityNumber.validate("110105194902300021") == .birthDate("19490230"))
        #expect(ResidentIdentityNumber.validate("11010519491231002X", today: 19400101) == .birthDate("19491231"))
        #expect(ResidentIdentityNumber.validate("11010519491231002") == .length(17))
        #expect(ResidentIdentityNumber.validate("1101051949123100AX") == .character(position: 17, "A"))
    }
}

@Suite("Calendar dates")
struct CalendarDateTests {
    @Test("Leap years and month lengths")
    func validity() {
        #expect(CalendarDate(year: 2024, month: 2, day: 29) != nil)
        #expect(CalendarDate(year: 2023, month: 2, day: 29) == nil)
        #expect(CalendarDate(year: 1900, month: 2, day: 29) == nil)
        #expect(CalendarDate(year: 2000, month: 2, day: 29) != nil)
        #expect(CalendarDate(year: 2023, month: 4, day: 31) == nil)
    }

    @Test("Days since the epoch round-trip")
    func epochRoundTrip() throws {
        let date = try #require(CalendarDate(year: 2023, month: 5, day: 6))
        #expect(date.daysSinceEpoch == 19483)
        #expect(CalendarDate(daysSinceEpoch: 19483) == date)
        #expect(CalendarDate(daysSinceEpoch: 0).description == "1970-01-01")
        #expect(date.adding(days: 365).description == "2024-05-05")
    }

    @Test("ISO and compact forms")
    func parsing() {
        #expect(CalendarDate(iso: "2023-05-06")?.compactValue == 20230506)
        #expect(CalendarDate(compact: "20230506")?.description == "2023-05-06")
        #expect(CalendarDate(iso: "2023-5-6") == nil)
        #expect(CalendarDate(iso: "2023-02-29") == nil)
        #expect(CalendarDate(iso: "2023-0a-06") == nil)
        #expect(CalendarDate(iso: "2023/05/06") == nil)
        #expect(CalendarDate(year: 987, month: 1, day: 2)?.description == "0987-01-02")
        #expect(CalendarDate(year: 9999, month: 12, day: 31)?.description == "9999-12-31")
    }
}

@Suite("Masking")
struct MaskingTests {
    @Test("Presets keep what they say and always hide something")
    func presets() {
        #expect(Masking.presets["resident_id"]!.apply(to: "11010519491231002X") == "110105********002X")
        #expect(Masking.presets["name"]!.apply(to: "张三丰") == "张**")
        #expect(Masking.full.apply(to: "abc") == "***")
        #expect(Masking.keep(first: 6, last: 4).apply(to: "12345") == "1234*")
        #expect(Masking.none.apply(to: "abc") == "abc")
        #expect(Masking.keep(first: 1, last: 1).apply(to: "") == "")
    }
}

@Suite("Record keys")
struct RecordKeyTests {
    static func key(_ document: String, _ subject: String = "91330100511650734P", resource: String = "admin_penalty") -> Digest128 {
        Digest128.businessKey(resourceID: resource, businessKey: document + "\u{1F}" + subject)
    }

    @Test("A series' documents numbered in sequence sit next to each other, in order, whoever their subjects are")
    func seriesStayTogether() {
        let subjects = ["91330100511650734P", "913303000A3446661T", "91330500782440X775", "330102198001011234"]
        let keys = (100..<400).map { Self.key("杭市监罚〔2024〕\($0)号", subjects[$0 % subjects.count]) }
        // The first 32 bits follow the serial; the rest separate the records.
        let first: UInt64 = keys[0].high >> 32
        let expected: [UInt64] = (0..<300).map { first + UInt64($0) }
        #expect(keys.map { $0.high >> 32 } == expected)
        #expect(keys == keys.sorted())
        #expect(Set(keys).count == keys.count)
        // Another series lies elsewhere.
        #expect(Self.key("甬市监罚〔2024〕100号").high >> 52 != keys[0].high >> 52)
    }

    @Test("The same key gives the same hash; any other subject, document or resource another")
    func identity() {
        let key = Self.key("杭市监罚〔2024〕7号")
        #expect(Self.key("杭市监罚〔2024〕7号") == key)
        #expect(Self.key("杭市监罚〔2024〕7号", "913303000A3446661T") != key)
        #expect(Self.key("杭市监罚〔2024〕7号", "913303000A3446661T").high >> 32 == key.high >> 32)
        #expect(Self.key("杭市监罚〔2024〕7号", resource: "admin_license") != key)
        #expect(Self.key("杭市监罚〔2025〕7号") != key)
        // A key without digits, or with more than fit, still gets a hash of its own.
        #expect(Self.key("行政处罚决定书") != Self.key("行政处罚决定"))
        #expect(Self.key("330100202400000000123") != Self.key("330100202400000000124"))
    }

    @Test("The low word, which placement in hash tables uses, is still uniform within a series")
    func lowWordSpreads() {
        let buckets = Set((0..<1024).map { Self.key("杭市监罚〔2024〕\($0)号").low & 0xFF })
        #expect(buckets.count > 200)
    }
}

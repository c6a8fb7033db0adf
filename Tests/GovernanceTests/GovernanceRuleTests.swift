import CreditHubTestSupport
import CreditKernel
import Foundation
@testable import Governance
import Testing

/// Rows of the national templates through the default catalogue's rules.
@Suite("Governance rules")
struct GovernanceRuleTests {
    static let today = CalendarDate(year: 2024, month: 6, day: 1)!
    static let penalty = ResourceGovernor(resource: Catalogue.standard.resource("admin_penalty")!, today: today)
    static let license = ResourceGovernor(resource: Catalogue.standard.resource("admin_license")!, today: today)
    static let company = SampleCodes.uscc()
    static let authority = SampleCodes.uscc(organisationBody: "00250198", prefix: "11")
    static let dataBureau = SampleCodes.uscc(organisationBody: "00250199", prefix: "11")

    static let validPenalty: [String: String] = [
        "CF_XDR_MC": "杭州某某科技有限公司",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": company,
        "CF_FRDB": "张三",
        "CF_WSH": "杭市监罚〔2023〕12号",
        "CF_WFXW": "虚假宣传",
        "CF_SY": "当事人在其网店发布虚假广告，\n销售额 3,000 元。",
        "CF_YJ": "《中华人民共和国反不正当竞争法》第二十条",
        "CF_CFLB": "罚款",
        "CF_NR": "罚款2000元",
        "CF_NR_FK": "0.2",
        "CF_JDRQ": "2023/05/06",
        "CF_YXQ": "2024/05/06",
        "CF_CFJG": "杭州市市场监督管理局",
        "CF_CFJGDM": authority,
        "CF_SJLY": "杭州市数据资源管理局",
        "CF_SJLYDM": dataBureau,
    ]

    /// A licence without a document number (文书号): the catalogue fills it from the licence number.
    static let validLicense: [String: String] = [
        "XK_XDR_MC": "杭州某某科技有限公司", "XK_XDR_LB": "法人及非法人组织", "XK_XDR_SHXYM": company, "XK_FRDB": "张三",
        "XK_XKWS": "关于准予食品经营许可的决定", "XK_XKLB": "普通", "XK_XKBH": "JY13301000000001", "XK_NR": "食品销售",
        "XK_JDRQ": "2023/05/06", "XK_YXQZ": "2023/05/06", "XK_YXQZI": "2028/05/05", "XK_XKJG": "杭州市市场监督管理局",
        "XK_XKJGDM": authority, "XK_ZT": "有效", "XK_LYDW": "杭州市市场监督管理局", "XK_LYDWDM": authority,
    ]

    static func govern(_ changes: [String: String?], governor: ResourceGovernor = penalty, base: [String: String] = validPenalty) -> GovernedRow {
        var record = base
        for (key, value) in changes { record[key] = value }
        var unknown: Set<String> = []
        return governor.govern(pairs: record.sorted { $0.key < $1.key }, position: 1, submittingUnit: "SUBMITTER", unknownKeys: &unknown)
    }

    /// The normalised value of `field` in an accepted row's record body ("" when it has none).
    static func value(_ row: GovernedRow, _ field: String) -> String {
        let body = try? JSONSerialization.jsonObject(with: Data(row.dataJSON)) as? [String: String]
        return body?[field] ?? ""
    }

    static func codes(_ row: GovernedRow) -> [IssueCode] { row.issues.map(\.code) }

    @Test("A clean row is accepted with its business key, subject, source and content")
    func accepted() {
        let row = Self.govern([:])
        #expect(row.status == .accepted)
        #expect(row.issues.isEmpty)
        #expect(row.businessKey == "杭市监罚〔2023〕12号\u{1F}\(Self.company)")
        #expect(row.subjectCode == Self.company)
        #expect(row.subjectType == .legalPerson)
        #expect(row.sourceUnit == Self.dataBureau)
        #expect(Self.value(row, "CF_JDRQ") == "2023-05-06")
        #expect(row.keyHash != row.contentHash)
        #expect(String(decoding: row.dataJSON, as: UTF8.self).contains(#""CF_SY":"当事人在其网店发布虚假广告，\n销售额 3,000 元。""#))
        #expect(row.complete && row.valid)
        #expect(row.timely == false)
    }

    @Test("Codes marked as text for Excel (=\"…\" from exports, a leading ' typed) are fixed")
    func excelTextMarkers() throws {
        for marked in ["=\"\(Self.company)\"", "'\(Self.company)", "'\(Self.company.lowercased())"] {
            let row = Self.govern(["CF_XDR_SHXYM": marked])
            #expect(row.status == .fixed, "\(marked)")
            #expect(Self.value(row, "CF_XDR_SHXYM") == Self.company)
            #expect(row.issues.first?.message == "「行政相对人代码_1(统一社会信用代码)」去除 Excel 的文本标记（=\"…\" 或开头的 '）" + (marked == "'\(Self.company.lowercased())" ? "，小写字母已转为大写" : ""))
            #expect(row.issues.first?.original == marked)
        }
        let id = SampleCodes.residentID(birth: "19800101")
        let person = Self.govern(["CF_XDR_LB": "自然人", "CF_XDR_SHXYM": nil, "CF_FRDB": nil, "CF_XDR_MC": "李四", "CF_XDR_ZJLX": "身份证", "CF_XDR_ZJHM": "=\"\(id)\""])
        #expect(person.status == .fixed)
        #expect(Self.value(person, "CF_XDR_ZJHM") == id)
        let passport = Self.govern(["CF_XDR_LB": "自然人", "CF_XDR_SHXYM": nil, "CF_FRDB": nil, "CF_XDR_MC": "李四", "CF_XDR_ZJLX": "护照", "CF_XDR_ZJHM": "'E12345678"])
        #expect(Self.value(passport, "CF_XDR_ZJHM") == "E12345678")
        // A marker alone, or an apostrophe inside a code, is no marker.
        #expect(Self.govern(["CF_XDR_SHXYM": "'"]).status == .rejected)
        #expect(Self.govern(["CF_XDR_SHXYM": "=\"\""]).status == .rejected)
    }

    @Test("A formula's error value (#REF!, #N/A…) is rejected in any field, text included")
    func excelErrorValues() throws {
        for (field, value) in [("CF_XDR_MC", "#REF!"), ("CF_XDR_SHXYM", "#N/A"), ("CF_JDRQ", "#VALUE!"), ("CF_NR_FK", "#DIV/0!"), ("CF_CFLB", "#NAME?")] {
            let row = Self.govern([field: value])
            #expect(row.status == .rejected, "\(field)")
            let issue = try #require(row.issues.first { $0.field == field })
            #expect(issue.code == .type)
            #expect(issue.message.contains("是 Excel 公式的错误值 \(value)"))
        }
        // Text that only starts with # is text.
        let address = Self.govern(["CF_XDR_MC": "#3号楼商户"])
        #expect(address.status == .accepted)
        #expect(Self.value(address, "CF_XDR_MC") == "#3号楼商户")
    }

    @Test("A code Excel kept as a number is rejected saying so, and how to fix it in Excel")
    func codesKeptAsNumbers() throws {
        // As Excel writes a General cell to CSV, and as a sheet's number reads (15 significant digits).
        let credit = Self.govern(["CF_XDR_SHXYM": "9.13301E+17"])
        #expect(credit.status == .rejected)
        let issue = try #require(credit.issues.first { $0.field == "CF_XDR_SHXYM" })
        #expect(issue.code == .type)
        #expect(issue.message == "「行政相对人代码_1(统一社会信用代码)」被 Excel 当作数字保存（显示为 9.13301E+17，末几位已丢失）：请在 Excel 中将该列设为“文本”格式，再从原系统重新导出或重新录入")
        #expect(issue.messageEnglish.hasPrefix("CF_XDR_SHXYM was kept by Excel as a number (shown as 9.13301E+17; its last digits are lost)"))
        // A resident ID number is never repeated in a message.
        let person = Self.govern(["CF_XDR_LB": "自然人", "CF_XDR_SHXYM": nil, "CF_XDR_ZJHM": "3.30106199001011e+17", "CF_XDR_ZJLX": "身份证", "CF_FRDB": nil, "CF_XDR_MC": "李四"])
        let id = try #require(person.issues.first { $0.field == "CF_XDR_ZJHM" })
        #expect(id.code == .type)
        #expect(id.message.contains("被 Excel 当作数字保存（末几位已丢失）"))
        #expect(!id.message.contains("3.30106") && !id.messageEnglish.contains("3.30106"))
        // Anything else malformed keeps the general message.
        #expect(Self.govern(["CF_XDR_SHXYM": "91330100E17"]).issues.first?.message.hasPrefix("「行政相对人代码_1(统一社会信用代码)」格式错误：") == true)
        // A letter the code never uses, typed for the digit it looks like: the repaired code is
        // suggested, not taken.
        let typo = String(Self.company.map { $0 == "0" ? "O" : $0 })
        if typo != Self.company {
            let row = Self.govern(["CF_XDR_SHXYM": typo])
            #expect(row.status == .rejected)
            #expect(row.issues.first?.message.contains("改为 \(Self.company) 可通过校验") == true, "\(row.issues)")
            #expect(row.issues.first?.messageEnglish.contains("\(Self.company) passes the check") == true)
        }
        // No suggestion when the repair does not pass the check either.
        let hopeless = "9133010O" + String(Self.company.dropFirst(8).dropLast()) + (Self.company.last == "A" ? "B" : "A")
        #expect(Self.govern(["CF_XDR_SHXYM": hopeless]).issues.first?.message.contains("可通过校验") == false)
        for text in ["3.30106E+17", "9E17", "1.5e+3"] { #expect(IssueMessages.isScientificNotation(text)) }
        for text in ["E17", "3.E17", "3.3E", "3.3E+", "91330100MA2E1234", "330106199001011234", "3,3E+17"] { #expect(!IssueMessages.isScientificNotation(text)) }
    }

    @Test("Positional rows: column order, repeated columns, short rows and extra cells")
    func positionalRows() throws {
        let fields = Self.penalty.resource.fields.map(\.id)
        let record = fields.map { Self.validPenalty[$0] ?? "" }
        func govern(_ header: [String], _ cells: [String]) throws -> GovernedRow {
            let mapping = try #require(Self.penalty.headerMapping(header))
            return Self.penalty.govern(cells: cells, mapping: mapping, position: 1, submittingUnit: "SUBMITTER")
        }
        // In catalogue order or reversed, the same record.
        let inOrder = try govern(fields, record)
        let reversed = try govern(fields.reversed(), record.reversed())
        #expect(inOrder.status == .accepted)
        #expect(Self.value(inOrder, "CF_JDRQ") == "2023-05-06")
        #expect(inOrder.dataJSON == reversed.dataJSON)
        #expect(inOrder.contentHash == reversed.contentHash)
        #expect(inOrder.dataJSON == Self.govern([:]).dataJSON)
        // A field in two columns takes the first that is not empty.
        let twice = try govern(fields + ["CF_WSH"], record.map { $0 == Self.validPenalty["CF_WSH"] ? "" : $0 } + ["杭市监罚〔2023〕99号"])
        #expect(Self.value(twice, "CF_WSH") == "杭市监罚〔2023〕99号")
        // Blank is empty; the same value padded is the same value.
        let blankFirst = try govern(fields + ["CF_WSH"], record.map { $0 == Self.validPenalty["CF_WSH"] ? "　 " : $0 } + ["杭市监罚〔2023〕99号"])
        #expect(Self.value(blankFirst, "CF_WSH") == "杭市监罚〔2023〕99号")
        #expect(try govern(fields + ["CF_WSH"], record + [" \(Self.validPenalty["CF_WSH"]!) "]).status == .accepted)
        // Two columns that disagree (a label and its legacy name, as old and new templates combine):
        // the row is rejected, naming both columns and neither value.
        let label = try #require(Self.penalty.resource.fields.first { $0.id == "CF_XDR_SHXYM" }?.label)
        let disagreeing = try govern(fields + [label], record + ["91350100M000100Y43"])
        #expect(Self.codes(disagreeing) == [.conflictingColumns])
        let column = fields.firstIndex(of: "CF_XDR_SHXYM")! + 1
        #expect(disagreeing.issues[0].message.contains("第 \(column) 列（CF_XDR_SHXYM）和第 \(fields.count + 1) 列（\(label)）"))
        #expect(!disagreeing.issues[0].message.contains("91350100M000100Y43") && !disagreeing.issues[0].messageEnglish.contains(Self.validPenalty["CF_XDR_SHXYM"]!))
        // Cells missing at the end are missing values, and absent required ones one issue together;
        // cells beyond the header are reported.
        let short = try govern(fields, Array(record.dropLast(2)))
        #expect(Self.codes(short) == [.missingCells])
        #expect(short.issues[0].messageEnglish.contains("CF_SJLYDM"))
        #expect(!short.complete && short.valid)
        let cut = try govern(fields, ["a"])
        #expect(Self.codes(cut) == [.missingCells])
        let absentRequired = Self.penalty.resource.fields.dropFirst().filter(\.required).count
        #expect(cut.issues[0].message.contains("少于表头的 \(fields.count) 列") && cut.issues[0].message.hasSuffix("等 \(absentRequired) 项"))
        var emptyName = record
        emptyName[fields.firstIndex(of: "CF_XDR_MC")!] = ""
        let shortAndEmpty = try govern(fields, Array(emptyName.dropLast(2)))
        #expect(Set(Self.codes(shortAndEmpty)) == [.required, .missingCells])
        #expect(shortAndEmpty.issues.first { $0.code == .required }?.field == "CF_XDR_MC")
        // A spreadsheet leaves out empty cells at a row's end: each required one is missing as if empty.
        let sheetRow = Self.penalty.govern(
            row: TextRow(cells: Array(record.dropLast(2))), mapping: try #require(Self.penalty.headerMapping(fields)), position: 1, submittingUnit: "SUBMITTER",
            shortRowIsCut: false
        )
        #expect(Self.codes(sheetRow) == [.required])
        #expect(sheetRow.issues.first?.field == "CF_SJLYDM")
        #expect(fields.last == "BZ")
        #expect(try govern(fields, Array(record.dropLast())).status == .accepted)
        let long = try govern(fields, record + ["", "多余"])
        #expect(Self.codes(long) == [.extraCells])
        #expect(Self.codes(try govern(fields, record + ["", " "])) != [.extraCells])
        // A row where the parser met a quote never closed is rejected, saying so.
        var strayQuote = TextRow(cells: record)
        strayQuote.hasUnclosedQuote = true
        let unclosed = Self.penalty.govern(row: strayQuote, mapping: try #require(Self.penalty.headerMapping(fields)), position: 1, submittingUnit: "SUBMITTER")
        #expect(unclosed.status == .rejected)
        #expect(Self.codes(unclosed) == [.unclosedQuote])
    }

    static let jsonRecords = [
        #"{"CF_WSH":"杭市监罚〔2023〕12号","CF_NR_FK":0.2,"行政相对人名称":"杭州某某科技有限公司","CF_XDR_MC":"","BZ":null,"未知列":"x","CF_JDRQ":"2023年5月6日"}"#,
        #"{"CF_XDR_MC":"甲","CF_XDR_MC":"乙","CF_FRDB":"  张\u4e09 ","CF_NR_FK":"-1","CF_YXQ":"2020-01-01"}"#,
        #"{"CF_XDR_SHXYM":"91330100MA27XYZ12A","CF_XDR_LB":"法人及非法人组织","CF_CFLB":"罚款","flag":true}"#,
        // The first one's keys with other values: the alias, not the id, now gives the name.
        #"{"CF_WSH":"杭市监罚〔2023〕13号","CF_NR_FK":"1","行政相对人名称":"","CF_XDR_MC":"乙公司","BZ":"备注","未知列":"","CF_JDRQ":"2023-05-07"}"#,
        // The same keys in another order.
        #"{"CF_NR_FK":0.2,"CF_WSH":"杭市监罚〔2023〕12号","行政相对人名称":"杭州某某科技有限公司","CF_XDR_MC":"","BZ":null,"未知列":"x","CF_JDRQ":"2023年5月6日"}"#,
    ]

    @Test("A JSON record governs from its bytes exactly as from its members", arguments: jsonRecords)
    func jsonBytesMatchMembers(text: String) throws {
        var fromBytes: Set<String> = []
        var fromMembers: Set<String> = []
        let bytes = Array(text.utf8)
        var layout: JSONKeyLayout?
        let row = try #require(Self.penalty.govern(json: bytes, position: 3, submittingUnit: "SUBMITTER", unknownKeys: &fromBytes, layout: &layout))
        let members = try #require(bytes.withUnsafeBufferPointer(FlatJSON.members))
        let reference = Self.penalty.govern(pairs: members, position: 3, submittingUnit: "SUBMITTER", unknownKeys: &fromMembers)
        #expect(row.original == reference.original)
        #expect(row.issues == reference.issues)
        #expect(row.status == reference.status)
        #expect(row.dataJSON == reference.dataJSON)
        #expect(row.contentHash == reference.contentHash)
        #expect(fromBytes == fromMembers)
        var none: Set<String> = []
        #expect(Self.penalty.govern(json: Array("{ }".utf8), position: 4, submittingUnit: "SUBMITTER", unknownKeys: &none, layout: &layout) == nil)
    }

    @Test("A JSON object or array in a field's place is a type error for that field; under an unknown key it is an unknown column")
    func jsonNestedValues() throws {
        var unknown: Set<String> = []
        var layout: JSONKeyLayout?
        let text = #"{"CF_XDR_MC":{"zh":"杭州某某科技有限公司"},"CF_WSH":["杭市监罚〔2023〕12号"],"CF_CFLB":["罚款","警告"],"附件":{"a":1}}"#
        let row = try #require(Self.penalty.govern(json: Array(text.utf8), position: 1, submittingUnit: "SUBMITTER", unknownKeys: &unknown, layout: &layout))
        #expect(row.status == .rejected)
        let nested = row.issues.filter { $0.code == .type && $0.message.contains("JSON 对象或数组") }
        #expect(nested.map(\.field) == ["CF_WSH", "CF_XDR_MC"])
        #expect(nested.allSatisfy { $0.messageEnglish.hasSuffix("must be one value, text or a number, not a JSON object or array") })
        #expect(unknown == ["附件"])
        // Scalars of every kind are values, as before.
        var none: Set<String> = []
        let flat = try #require(Self.penalty.govern(json: Array(#"{"CF_XDR_MC":"甲公司","CF_NR_FK":1.5,"BZ":null}"#.utf8), position: 2, submittingUnit: "SUBMITTER", unknownKeys: &none, layout: &layout))
        #expect(!flat.issues.contains { $0.message.contains("JSON 对象或数组") })
    }

    @Test("A multi-value field's values may come as a JSON array of strings, stored as they would be separated by ；")
    func jsonArrayForMultipleValues() {
        var unknown: Set<String> = []
        var pairs = Self.validPenalty.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        pairs.removeAll { $0.0 == "CF_CFLB" }
        let separated = Self.penalty.govern(pairs: pairs + [("CF_CFLB", "罚款；警告")], position: 1, submittingUnit: "SUBMITTER", unknownKeys: &unknown)
        let array = Self.penalty.govern(
            pairs: pairs + [("CF_CFLB", #"["罚款","警告"]"#), (JSONRecordConversion.nestedValueKey, "CF_CFLB")], position: 1, submittingUnit: "SUBMITTER", unknownKeys: &unknown
        )
        #expect(array.status == separated.status)
        #expect(array.issues == separated.issues)
        #expect(array.dataJSON == separated.dataJSON)
        #expect(Self.value(array, "CF_CFLB").contains("警告"))
        // An array of arrays, or with a null, is no list of values.
        let nestedArray = Self.penalty.govern(
            pairs: pairs + [("CF_CFLB", #"[["罚款"],"警告"]"#), (JSONRecordConversion.nestedValueKey, "CF_CFLB")], position: 1, submittingUnit: "SUBMITTER", unknownKeys: &unknown
        )
        #expect(nestedArray.issues.contains { $0.field == "CF_CFLB" && $0.code == .type })
    }

    @Test("Records governed one after another, the key layout carried along, come out as each would alone")
    func jsonLayoutCarried() throws {
        var layout: JSONKeyLayout?
        var carriedUnknown: Set<String> = []
        var aloneUnknown: Set<String> = []
        for (position, text) in (Self.jsonRecords + Self.jsonRecords.reversed() + [Self.jsonRecords[0]]).enumerated() {
            let bytes = Array(text.utf8)
            let carried = try #require(Self.penalty.govern(json: bytes, position: position, submittingUnit: "SUBMITTER", unknownKeys: &carriedUnknown, layout: &layout))
            var fresh: JSONKeyLayout?
            let alone = try #require(Self.penalty.govern(json: bytes, position: position, submittingUnit: "SUBMITTER", unknownKeys: &aloneUnknown, layout: &fresh))
            #expect(carried.dataJSON == alone.dataJSON, "\(text)")
            #expect(carried.original == alone.original, "\(text)")
            #expect(carried.issues == alone.issues, "\(text)")
            #expect(carried.contentHash == alone.contentHash, "\(text)")
        }
        #expect(carriedUnknown == aloneUnknown)
        #expect(carriedUnknown == ["未知列", "flag"])
    }

    @Test("Identical content gives an identical hash; any change a different one")
    func contentHash() {
        #expect(Self.govern([:]).contentHash == Self.govern(["CF_FRDB": " 张三 "]).contentHash)
        #expect(Self.govern([:]).contentHash != Self.govern(["CF_FRDB": "李四"]).contentHash)
        #expect(Self.govern([:]).keyHash == Self.govern(["CF_FRDB": "李四"]).keyHash)
    }

    @Test("Without record bodies, rows hash equal exactly when their bodies would")
    func contentHashWithoutBodies() {
        let bodiless = ResourceGovernor(resource: Self.penalty.resource, today: Self.today, recordBodies: .omitted)
        let variants: [[String: String?]] = [
            [:], ["CF_FRDB": " 张三 "], ["CF_FRDB": "李四"], ["CF_XDR_GSZC": ""], ["CF_JDRQ": "2023年5月6日"], ["BZ": "\u{3000}"],
            // Text moved from one field to the next: the same bytes in a row, another record.
            ["CF_XDR_SWDJ": "AB", "CF_XDR_SYDW": ""], ["CF_XDR_SWDJ": "A", "CF_XDR_SYDW": "B"], ["CF_XDR_SWDJ": "", "CF_XDR_SYDW": "AB"],
        ]
        let written = variants.map { Self.govern($0) }
        let omitted = variants.map { Self.govern($0, governor: bodiless) }
        #expect(omitted.allSatisfy { $0.dataJSON.isEmpty && $0.status != .rejected })
        for i in variants.indices {
            #expect(omitted[i].keyHash == written[i].keyHash)
            #expect(omitted[i].issues == written[i].issues)
            for j in variants.indices {
                #expect((omitted[i].contentHash == omitted[j].contentHash) == (written[i].contentHash == written[j].contentHash), "\(variants[i]) and \(variants[j])")
            }
        }
        #expect(Set(omitted.map(\.contentHash)).count == 5)
    }

    @Test("Control characters (NUL from a UTF-16 file, a legacy export's padding) are removed and said; tabs and line breaks in text stay")
    func controlCharacters() {
        let row = Self.govern([
            "CF_XDR_MC": "杭州\u{0}某某科技有限公司\u{1F}", "CF_WSH": "杭市监罚〔2023〕\u{7F}1号", "CF_XDR_SHXYM": Self.company + "\u{0}", "CF_SY": "第一行\n\t第二行\r\n",
        ])
        #expect(row.status == .fixed)
        #expect(Self.value(row, "CF_XDR_MC") == "杭州某某科技有限公司")
        #expect(Self.value(row, "CF_WSH") == "杭市监罚〔2023〕1号")
        #expect(Self.value(row, "CF_XDR_SHXYM") == Self.company)
        #expect(Self.value(row, "CF_SY") == "第一行\n\t第二行")
        #expect(Set(row.issues.compactMap(\.field)) == ["CF_XDR_MC", "CF_WSH", "CF_XDR_SHXYM", "CF_SY"])
        #expect(row.issues.first { $0.field == "CF_XDR_MC" }?.message.contains("去除不可见的控制字符") == true)
        #expect(row.businessKey == "杭市监罚〔2023〕1号\u{1F}" + Self.company)
        #expect(!row.subjectName.utf8.contains(0))
    }

    @Test("A header lacking a required column is named, unless a rule fills that field from a column the header has")
    func requiredColumns() throws {
        let labels = Self.license.resource.fields.map(\.label)
        let full = try #require(Self.license.headerMapping(labels))
        #expect(Self.license.requiredFieldsWithoutColumn(full).isEmpty)
        // 许可编号 fills a missing 行政许可决定文书号.
        let withoutDocumentNumber = try #require(Self.license.headerMapping(labels.filter { $0 != "行政许可决定文书号" }))
        #expect(Self.license.requiredFieldsWithoutColumn(withoutDocumentNumber).isEmpty)
        let withoutEither = try #require(Self.license.headerMapping(labels.filter { $0 != "行政许可决定文书号" && $0 != "许可编号" && $0 != "许可类别" }))
        #expect(Self.license.requiredFieldsWithoutColumn(withoutEither).map(\.id) == ["XK_WSH", "XK_XKLB"])
    }

    @Test("Padding, ideographic spaces, full-width characters and lower case in codes are fixed and said")
    func codeClean() {
        let fullWidth = String(Self.company.unicodeScalars.map { scalar -> Character in
            scalar.properties.isASCIIHexDigit || scalar.isASCII ? Character(Unicode.Scalar(scalar.value + 0xFEE0)!) : Character(scalar)
        })
        let row = Self.govern(["CF_XDR_SHXYM": "\u{3000}" + fullWidth + " ", "CF_FRDB": "张三\u{3000}"])
        #expect(row.status == .fixed)
        #expect(Self.value(row, "CF_XDR_SHXYM") == Self.company)
        #expect(Self.value(row, "CF_FRDB") == "张三")
        #expect(Set(row.issues.compactMap(\.field)) == ["CF_XDR_SHXYM", "CF_FRDB"])
        #expect(row.issues.allSatisfy { $0.code == .normalised && !$0.message.isEmpty && !$0.messageEnglish.isEmpty })
        let lower = Self.govern(["CF_XDR_SHXYM": "9144030071526726xg", "CF_XDR_MC": "深圳市腾讯计算机系统有限公司"])
        #expect(lower.status == .fixed)
        #expect(Self.value(lower, "CF_XDR_SHXYM") == "9144030071526726XG")
    }

    @Test(
        "Date spellings become ISO dates",
        arguments: [
            ("2023/05/06", "2023-05-06", false), ("2023-05-06", "2023-05-06", false), ("2023/5/6", "2023-05-06", true),
            ("2023年5月6日", "2023-05-06", true), ("20230506", "2023-05-06", true), ("2023-05-06 00:00:00", "2023-05-06", true),
            ("2023.5.6", "2023-05-06", true), ("45052", "2023-05-06", true), ("２０２３／０５／０６", "2023-05-06", true),
            ("2023/5/6 0:00", "2023-05-06", true), ("2023-05-06T09:30:00", "2023-05-06", true), ("20230506143000", "2023-05-06", true),
            // A moment with a zone is the date it was in Beijing: midnight there is 16:00 UTC the day before.
            ("2023-05-05T16:00:00.000Z", "2023-05-06", true), ("2023-05-05T15:59:59Z", "2023-05-05", true), ("2023-05-06T00:00:00+08:00", "2023-05-06", true),
            ("2023-05-06T23:30:00-05:00", "2023-05-07", true), ("2023-05-06T01:00:00+0900", "2023-05-06", true), ("2023-05-06T07:00:00+09", "2023-05-06", true),
            ("2023-05-06T06:00:00+09", "2023-05-06", true), ("2023-05-06T00:30:00+09:00", "2023-05-05", true),
            // As a decision dates itself, and as people write the day and the time.
            ("二〇二三年五月六日", "2023-05-06", true), ("二零二三年十二月三十一日", "2023-12-31", true), ("二〇二三年五月二十六日", "2023-05-26", true),
            ("二〇二三年十月十日", "2023-10-10", true), ("二〇二三年五月六号", "2023-05-06", true), ("2023年5月6号", "2023-05-06", true),
            ("2023年5月6日 14时30分", "2023-05-06", true), ("2023年5月6日 9点", "2023-05-06", true), ("2023-05-06 14时30分05秒", "2023-05-06", true),
        ]
    )
    func dates(input: String, stored: String, noted: Bool) {
        let row = Self.govern(["CF_JDRQ": input])
        #expect(row.status == (noted ? .fixed : .accepted), "\(row.issues)")
        #expect(Self.value(row, "CF_JDRQ") == stored)
    }

    @Test("A workbook counting from 1904 gives date serials 1,462 days smaller for the same dates; other spellings are unaffected")
    func dates1904() {
        var mac = Self.penalty
        mac.dateSystem = .from1904
        let serial = Self.govern(["CF_JDRQ": "43590"], governor: mac)
        #expect(serial.status == .fixed)
        #expect(Self.value(serial, "CF_JDRQ") == "2023-05-06")
        #expect(Self.value(Self.govern(["CF_JDRQ": "43590"]), "CF_JDRQ") == "2019-05-05", "the 1900 system reads the serial four years and a day earlier")
        #expect(Self.value(Self.govern(["CF_JDRQ": "2023/5/6"], governor: mac), "CF_JDRQ") == "2023-05-06")
        // The plausible range is of dates, whichever system counts them.
        #expect(Self.govern(["CF_JDRQ": "16801"], governor: mac).status == .rejected)
        #expect(Self.value(Self.govern(["CF_JDRQ": "16802"], governor: mac), "CF_JDRQ") == "1950-01-01")
    }

    @Test("无, / and NULL in a code, date or amount mean the field does not apply; free text keeps them")
    func notApplicableMarks() {
        let type = Self.govern(["CF_FR_ZJLX": "无"])
        #expect(type.status == .fixed)
        #expect(type.issues.first?.messageEnglish == "CF_FR_ZJLX: '无' means not applicable, read as empty")
        #expect(Self.value(type, "CF_FR_ZJLX") == "")
        for mark in ["/", "—", "NULL", "\\N", "－"] {
            let warning = Self.govern(["CF_CFLB": "警告", "CF_NR": "警告", "CF_NR_FK": mark])
            #expect(warning.status == .fixed, "\(mark): \(warning.issues)")
            #expect(Self.value(warning, "CF_NR_FK") == "")
        }
        // A fine must be there: the mark is reported as the missing amount it stands for.
        #expect(Self.codes(Self.govern(["CF_NR_FK": "无"])) == [.conditionalRequired])
        #expect(Self.codes(Self.govern(["CF_XDR_LB": "NULL"])).contains(.required))
        #expect(Self.govern(["CF_GSJZQ": "/"]).status == .fixed)
        #expect(Self.codes(Self.govern(["CF_YXQ": "/"])) == [.required])
        // Free text is kept as written.
        #expect(Self.value(Self.govern(["CF_FRDB": "无"]), "CF_FRDB") == "无")
        #expect(Self.govern(["BZ": "/"]).status == .accepted)
    }

    @Test(
        "A reference number's year brackets, full-width digits and spaces are written one way, so the business key is one",
        arguments: [
            ("杭市监罚[2023]12号", "the year's brackets"), ("杭市监罚（2023）12号", "the year's brackets"), ("杭市监罚【2023】12号", "the year's brackets"),
            ("杭市监罚﹝2023﹞12号", "the year's brackets"), ("杭市监罚(2023〕12号", "the year's brackets"), ("杭市监罚［2023］12号", "the year's brackets"),
            ("杭市监罚〔２０２３〕１２号", "full-width digits"), ("杭市监罚 〔2023〕 12 号", "removed spaces"), ("杭市监罚\u{3000}〔2023〕12号", "removed spaces"),
            ("杭市监罚[２０２３]12号", "the year's brackets"),
        ]
    )
    func referenceNumbers(input: String, said: String) {
        let row = Self.govern(["CF_WSH": input])
        #expect(row.status == .fixed, "\(row.issues)")
        #expect(Self.value(row, "CF_WSH") == "杭市监罚〔2023〕12号")
        #expect(row.businessKey == Self.govern([:]).businessKey)
        #expect(row.keyHash == Self.govern([:]).keyHash)
        #expect(row.issues.count == 1)
        #expect(row.issues.first?.field == "CF_WSH")
        #expect(row.issues.first?.code == .normalised)
        #expect(row.issues.first?.messageEnglish.contains(said) == true, "\(row.issues)")
    }

    @Test("A reference number already in the standard form, or with brackets that hold no year, is kept as written")
    func referenceNumbersKept() {
        for kept in ["杭市监罚〔2023〕12号", "浙(杭)市监罚〔2023〕12号", "杭市监罚[23]12号", "杭市监罚（第2023号）", "杭市监罚[1850]12号", "杭市监罚〔2023〕12号之一"] {
            let row = Self.govern(["CF_WSH": kept])
            #expect(row.status == .accepted, "\(kept): \(row.issues)")
            #expect(Self.value(row, "CF_WSH") == kept)
        }
        // Only the year's brackets are rewritten: 浙(杭) stays, the year does not.
        let mixed = Self.govern(["CF_WSH": "浙(杭)市监罚(2023)12号"])
        #expect(Self.value(mixed, "CF_WSH") == "浙(杭)市监罚〔2023〕12号")
        // Marks that say a field does not apply leave a required reference number missing.
        #expect(Self.codes(Self.govern(["CF_WSH": "无"])) == [.required])
        #expect(Self.codes(Self.govern(["CF_WSH": "#N/A"])) == [.type])
        // The other resources' reference numbers follow the same rule.
        let license = Self.govern(["XK_WSH": "杭市监许[2023]7号"], governor: Self.license, base: Self.validLicense)
        #expect(license.status == .fixed, "\(license.issues)")
        #expect(Self.value(license, "XK_WSH") == "杭市监许〔2023〕7号")
    }

    @Test("The standard form of a reference number is recognised from its bytes exactly when normalising would keep it")
    func referenceNumberFastPath() {
        for value in [
            "杭市监罚〔2023〕12号", "浙(杭)市监罚〔2023〕12号", "杭市监罚[2023]12号", "杭市监罚（2023）12号", "杭市监罚〔２０２３〕12号", "杭市监罚 〔2023〕12号",
            "杭市监罚\u{A0}〔2023〕12号", "杭市监罚【2023】12号", "杭市监罚〖2023〗12号", "杭市监罚﹝2023﹞12号", "杭市监罚\u{FEFF}〔2023〕12号", "ABCDEFGHIJ",
        ] {
            var bytes = value
            // The fast path may send a clean value the slow way, never a value to fix past it.
            if bytes.withUTF8(ReferenceNumberNormaliser.isCanonical) {
                let normalised = ReferenceNumberNormaliser.normalise(value)
                #expect(normalised.value == value && normalised.notes.isEmpty, "\(value)")
            }
        }
        var canonical = "杭市监罚〔2023〕12号"
        let canonicalIsFast = canonical.withUTF8(ReferenceNumberNormaliser.isCanonical)
        #expect(canonicalIsFast)
        var bracketed = "杭市监罚[2023]12号"
        let bracketedIsFast = bracketed.withUTF8(ReferenceNumberNormaliser.isCanonical)
        #expect(!bracketedIsFast)
    }

    @Test(
        "Impossible dates are type errors",
        arguments: [
            "2023/02/30", "2023-13-01", "明天", "2023/05", "0506", "20230506250000", "20230230120000", "2023-05-06T10:00:00+25:00", "2023-05-06T10:00:00+8",
            "二〇二三年十三月一日", "二〇二三年二月三十日", "二〇二三年五月", "二〇二三年五月四十日", "二〇二三年〇月六日", "二〇二年五月六日", "二〇二三年五月六日 25时",
            "2023年5月6日 14时61分", "2023年5月6日 下午",
        ]
    )
    func badDates(input: String) {
        let row = Self.govern(["CF_JDRQ": input])
        #expect(row.status == .rejected)
        #expect(row.issues.contains { $0.field == "CF_JDRQ" && $0.code == .type })
    }

    @Test("长期 in a validity date means 2099-12-31")
    func longTerm() {
        let row = Self.govern(["CF_YXQ": "长期"])
        #expect(row.status == .fixed)
        #expect(Self.value(row, "CF_YXQ") == "2099-12-31")
    }

    @Test(
        "Amounts in the 万元 field: units converted, exact to six places",
        arguments: [
            ("0.2", "0.2", false), ("0.200000", "0.2", false), ("0.5万元", "0.5", true), ("0.5万", "0.5", true),
            ("2000元", "0.2", true), ("1,234,567元", "123.4567", true), ("¥2000元", "0.2", true), ("０.２", "0.2", true),
            // ¥ and 人民币 name 元; 整 ends a formal amount; 亿 is ten thousand 万.
            ("￥2,000", "0.2", true), ("人民币2000", "0.2", true), ("2000元整", "0.2", true), ("人民币0.5万元整", "0.5", true),
            ("1.5亿元", "15000", true), ("182.28亿元", "1822800", true), ("3亿", "30000", true),
            // In words, as a decision states it.
            ("贰仟元整", "0.2", true), ("人民币壹万伍仟元整", "1.5", true), ("伍万元", "5", true), ("叁亿元", "30000", true), ("两千元", "0.2", true),
            ("拾万元", "10", true), ("贰仟零伍拾元伍角叁分", "0.205053", true), ("壹佰元零伍分", "0.010005", true), ("一万零五百元", "1.05", true),
        ]
    )
    func amounts(input: String, stored: String, noted: Bool) {
        let row = Self.govern(["CF_NR_FK": input])
        #expect(row.status == (noted ? .fixed : .accepted), "\(row.issues)")
        #expect(Self.value(row, "CF_NR_FK") == stored)
    }
    @Test("Random strings of numerals read as no amount or as one within the field's range, never a crash", arguments: 0..<20)
    func randomWordAmounts(seed: Int) {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 11
        let alphabet = Array("零壹贰叁肆伍陆柒捌玖两拾佰仟万亿元角分整")
        for _ in 0..<500 {
            let text = String((0..<Int(state % 40)).map { _ -> Character in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return alphabet[Int((state >> 33) % UInt64(alphabet.count))]
            })
            if let amount = AmountNormaliser.wordsAmount(Substring(text)) {
                #expect(amount >= 0 && amount < 1_000_000_000_000 * AmountNormaliser.scale, "\(text)")
            }
            state = state &* 6_364_136_223_846_793_005 &+ 1
        }
    }

    @Test(
        "Amounts in words that say no unit, or are not numbers, are type errors",
        arguments: ["贰仟", "贰叁元", "佰元", "贰仟元伍", "伍分", "伍元伍分叁角", "壹万元整整", String(repeating: "玖仟", count: 40) + "亿元", "玖仟亿亿亿亿亿亿元", "伍万叁万元", "万元"]
    )
    func badWordAmounts(input: String) {
        #expect(Self.govern(["CF_NR_FK": input]).issues.contains { $0.field == "CF_NR_FK" && $0.code == .type }, "\(input)")
    }


    @Test("An amount is left in place exactly when normalising would store it unchanged")
    func canonicalAmounts() {
        // Every string of up to four characters over these, plus long and precise ones.
        let alphabet = Array("0159.".utf8)
        var candidates: [[UInt8]] = [[]]
        for _ in 1...4 { candidates += candidates.filter { $0.count == candidates.last!.count }.flatMap { prefix in alphabet.map { prefix + [$0] } } }
        candidates += ["123456789012", "1234567890123", "0.000001", "0.0000010", "0.0000001", "7.123456"].map { Array($0.utf8) }
        for bytes in candidates where !bytes.isEmpty {
            let text = String(decoding: bytes, as: UTF8.self)
            let unchanged = AmountNormaliser.parse(bytes: bytes).map { AmountNormaliser.format($0) == text } ?? false
            let fractionless = !bytes.contains(UInt8(ascii: "."))
            bytes.withUnsafeBufferPointer { buffer in
                // Left in place only if unchanged; anything else goes the long way, which also handles it.
                if AmountNormaliser.isCanonical(buffer, allowFraction: true) { #expect(unchanged, "\(text)") }
                if unchanged, bytes.count <= 12 { #expect(AmountNormaliser.isCanonical(buffer, allowFraction: true), "\(text)") }
                #expect(AmountNormaliser.isCanonical(buffer, allowFraction: false) == (AmountNormaliser.isCanonical(buffer, allowFraction: true) && fractionless))
            }
        }
    }

    @Test("Negative, non-numeric and too precise amounts are rejected")
    func badAmounts() {
        #expect(Self.codes(Self.govern(["CF_NR_FK": "-0.2"])).contains(.negativeAmount))
        #expect(Self.codes(Self.govern(["CF_NR_FK": "若干元"])).contains(.type))
        #expect(Self.codes(Self.govern(["CF_NR_FK": "0.00000001"])).contains(.type))
        #expect(Self.codes(Self.govern(["CF_NR_FK": "0.001元", "CF_NR": "罚款0.001元"])).contains(.type))
        #expect(Self.value(Self.govern(["CF_NR_FK": "1元", "CF_NR": "罚款1元"]), "CF_NR_FK") == "0.0001")
    }

    @Test("元 typed into the 万元 field is caught against 处罚内容")
    func amountInWrongUnit() {
        let row = Self.govern(["CF_NR_FK": "2000", "CF_NR": "罚款人民币2,000元"])
        #expect(row.status == .rejected)
        #expect(row.issues.first { $0.code == .amountMismatch }?.messageEnglish.contains("0.2") == true)
        #expect(Self.govern(["CF_NR_FK": "0.2", "CF_NR": "罚款人民币2,000元"]).status == .accepted)
        #expect(Self.govern(["CF_NR_FK": "3", "CF_NR": "罚款3万元"]).status == .accepted)
        // Full-width digits, separators and spaces are read as their ASCII forms.
        for text in ["罚款人民币２０００元", "罚款人民币2，000元", "罚款人民币2000　元", "罚款人民币２，０００．００元"] {
            #expect(Self.codes(Self.govern(["CF_NR_FK": "2000", "CF_NR": text])).contains(.amountMismatch), "\(text)")
        }
    }

    @Test(
        "Amounts in free text read in place are those read after making it half-width",
        arguments: [
            "罚款人民币2,000元。", "罚款人民币２０００元", "罚款2，000元，没收违法所得1000元", "罚款2．5元", "处罚：罚款，金额2000元", "罚款 2000　元",
            "罚款（2000）元", "罚款2000元整，并处警告。", "没收，5元", "罚款3万元，另处2000元", "，．2元", "罚款２，０００．００元",
        ]
    )
    func yuanAmountsInPlace(text: String) {
        var bytes = text
        let inPlace = bytes.withUTF8 { ResourceGovernor.amountsNeedHalfWidth($0) ? nil : ResourceGovernor.yuanAmounts($0) }
        if let inPlace { #expect(inPlace == ResourceGovernor.yuanAmounts(in: text)) }
    }

    @Test("Missing required values are named")
    func required() {
        let row = Self.govern(["CF_WSH": nil, "CF_CFJG": "  "])
        #expect(row.status == .rejected)
        #expect(Set(row.issues.filter { $0.code == .required }.compactMap(\.field)) == ["CF_WSH", "CF_CFJG"])
        #expect(!row.complete)
        #expect(row.valid)
    }

    @Test("Check characters of USCC (and its embedded organisation code) and organisation codes")
    func checksums() {
        #expect(Self.govern(["CF_XDR_SHXYM": "91330100716105852E"]).issues.contains { $0.code == .checksum && $0.field == "CF_XDR_SHXYM" })
        #expect(Self.govern(["CF_XDR_SHXYM": "9133010071610585"]).issues.contains { $0.code == .type })
        #expect(Self.govern(["CF_CFJGDM": "11330100002501981X"]).status == .rejected)
        #expect(Self.govern(["CF_XDR_ZZJG": "71610585-2"]).status == .accepted)
        #expect(Self.govern(["CF_XDR_ZZJG": "71610585-3"]).issues.contains { $0.code == .checksum && $0.field == "CF_XDR_ZZJG" })
        #expect(!Self.govern(["CF_XDR_SHXYM": "91330100716105852E"]).valid)
    }

    @Test("Individual businesses may use the 17-zeros+X placeholder with a registration number")
    func placeholder() {
        let base: [String: String?] = ["CF_XDR_LB": "个体工商户", "CF_XDR_SHXYM": "00000000000000000X"]
        let missing = Self.govern(base)
        #expect(missing.status == .rejected)
        #expect(missing.issues.contains { $0.code == .placeholder && $0.field == "CF_XDR_GSZC" })
        var withNumber = base
        withNumber["CF_XDR_GSZC"] = "330106600123456"
        let accepted = Self.govern(withNumber)
        #expect(accepted.status == .accepted)
        #expect(accepted.subjectCode == "330106600123456")
        let company = Self.govern(["CF_XDR_SHXYM": "00000000000000000X"])
        #expect(company.issues.contains { $0.code == .placeholder && $0.field == "CF_XDR_SHXYM" })
    }

    @Test("Natural persons: document type and number required, ID numbers checked, old numbers upgraded")
    func naturalPerson() {
        let id = SampleCodes.residentID()
        let person: [String: String?] = ["CF_XDR_LB": "自然人", "CF_XDR_SHXYM": nil, "CF_FRDB": nil, "CF_XDR_MC": "李四", "CF_XDR_ZJLX": "身份证", "CF_XDR_ZJHM": id]
        let row = Self.govern(person)
        #expect(row.status == .accepted, "\(row.issues)")
        #expect(row.subjectCode == id)
        #expect(row.subjectType == .naturalPerson)
        var missing = person
        missing["CF_XDR_ZJHM"] = nil
        #expect(Self.govern(missing).issues.contains { $0.code == .conditionalRequired && $0.field == "CF_XDR_ZJHM" })
        var badBirth = person
        badBirth["CF_XDR_ZJHM"] = SampleCodes.residentID(birth: "19800230")
        #expect(Self.govern(badBirth).issues.contains { $0.code == .checksum })
        var lowerX = person
        lowerX["CF_XDR_ZJHM"] = "11010519491231002x"
        #expect(Self.govern(lowerX).status == .fixed)
        // A wrong check character is caught whether the type is written as listed or as an alias.
        let wrongCheck = String(id.dropLast()) + (id.last == "1" ? "2" : "1")
        for type in ["身份证", "居民身份证"] {
            var checked = person
            checked["CF_XDR_ZJLX"] = type
            checked["CF_XDR_ZJHM"] = wrongCheck
            #expect(Self.govern(checked).issues.contains { $0.code == .checksum && $0.field == "CF_XDR_ZJHM" }, "\(type)")
            checked["CF_XDR_ZJHM"] = id
            #expect(Self.govern(checked).status == (type == "身份证" ? .accepted : .fixed))
        }
        var old = person
        old["CF_XDR_ZJHM"] = "110105491231002"
        let upgraded = Self.govern(old)
        #expect(upgraded.status == .fixed)
        #expect(Self.value(upgraded, "CF_XDR_ZJHM") == "11010519491231002X")
        #expect(upgraded.issues.allSatisfy { $0.original == nil && $0.value == nil }, "sensitive values stay out of receipts")
        var passport = person
        passport["CF_XDR_ZJLX"] = "护照"
        passport["CF_XDR_ZJHM"] = "E12345678"
        #expect(Self.govern(passport).status == .fixed)
    }

    @Test("Organisations need a code and a legal representative")
    func organisationConditional() {
        let row = Self.govern(["CF_XDR_SHXYM": nil, "CF_FRDB": nil])
        #expect(Set(row.issues.filter { $0.code == .conditionalRequired }.compactMap(\.field)) == ["CF_XDR_SHXYM", "CF_FRDB"])
    }

    @Test("Code lists: aliases are fixed, unknown values rejected, several categories in one cell")
    func codeLists() throws {
        let alias = Self.govern(["CF_XDR_LB": "法人"])
        #expect(alias.status == .fixed)
        #expect(Self.value(alias, "CF_XDR_LB") == "法人及非法人组织")
        #expect(Self.codes(Self.govern(["CF_XDR_LB": "公司"])).contains(.codeList))
        let several = Self.govern(["CF_CFLB": "罚款；没收违法所得、警告"])
        // The issue names the one value of several that made the field required.
        #expect(several.issues.contains { $0.code == .conditionalRequired && $0.field == "CF_NR_WFFF" && $0.message.contains("为「没收违法所得」时") })
        let complete = Self.govern(["CF_CFLB": "罚款；没收违法所得", "CF_NR_WFFF": "1.5"])
        #expect(complete.status == .accepted)
        #expect(Self.value(complete, "CF_CFLB") == "罚款;没收违法所得")
        #expect(Self.govern(["CF_CFLB": "其他-责令改正"]).status == .accepted)
        #expect(Self.codes(Self.govern(["CF_CFLB": "罚款;打板子"])).contains(.codeList))
        // Already in the stored form: kept as it is; spaces or an empty value between are tidied.
        let stored = Self.govern(["CF_CFLB": "罚款;没收违法所得", "CF_NR_WFFF": "1.5"])
        #expect(stored.status == .accepted && Self.value(stored, "CF_CFLB") == "罚款;没收违法所得")
        #expect(Self.value(Self.govern(["CF_CFLB": "罚款; 警告"]), "CF_CFLB") == "罚款;警告")
        #expect(Self.value(Self.govern(["CF_CFLB": "罚款;;警告"]), "CF_CFLB") == "罚款;警告")
        #expect(Self.codes(Self.govern(["CF_CFLB": "罚款;打板子;警告"])).contains(.codeList))
        // Commas, slashes and spaces separate values too, as departments write them; a qualifier's
        // text and brackets are kept whole, and so is a value of the list that holds a 、.
        for written in ["罚款，警告", "罚款,警告", "罚款/警告", "罚款 警告", "罚款、 警告"] {
            #expect(Self.value(Self.govern(["CF_CFLB": written]), "CF_CFLB") == "罚款;警告", "\(written)")
        }
        #expect(Self.value(Self.govern(["CF_CFLB": "警告，其他-责令改正，限期整改"]), "CF_CFLB") == "警告;其他-责令改正,限期整改")
        let revoked = Self.govern(["CF_CFLB": "暂扣或者吊销许可证、暂扣或者吊销执照", "CF_NR_ZKDX": "营业执照 330100000000001"])
        #expect(Self.value(revoked, "CF_CFLB") == "暂扣或者吊销许可证、暂扣或者吊销执照", "\(revoked.issues)")
        let list = try #require(Self.penalty.compiled.first { $0.codeList?.list.values.contains { $0.value == "罚款" } ?? false }?.codeList)
        #expect(list.values(in: "罚款(含,加处),警告") == ["罚款(含,加处)", "警告"])
    }

    @Test("Suspension or revocation needs the licence's name and number; a fine needs its amount")
    func categoryConditionals() {
        #expect(Self.govern(["CF_CFLB": "暂扣许可证件"]).issues.contains { $0.field == "CF_NR_ZKDX" && $0.code == .conditionalRequired })
        #expect(Self.govern(["CF_CFLB": "吊销许可证件", "CF_NR_ZKDX": "食品经营许可证 JY13301000000001"]).status == .accepted)
        #expect(Self.govern(["CF_NR_FK": nil]).issues.contains { $0.field == "CF_NR_FK" && $0.code == .conditionalRequired })
    }

    @Test("Dates in order and not in the future")
    func dateRules() {
        #expect(Self.govern(["CF_YXQ": "2023/05/05"]).issues.contains { $0.code == .dateOrder && $0.field == "CF_YXQ" })
        #expect(Self.govern(["CF_GSJZQ": "2023/01/01"]).issues.contains { $0.code == .dateOrder && $0.field == "CF_GSJZQ" })
        #expect(Self.govern(["CF_JDRQ": "2024/06/02", "CF_YXQ": "2025/01/01"]).issues.contains { $0.code == .futureDate })
        #expect(Self.govern(["CF_JDRQ": "2024/05/30", "CF_YXQ": "2025/01/01"]).timely == true)
    }

    @Test("Lengths are counted in characters")
    func lengths() {
        #expect(Self.codes(Self.govern(["CF_WSH": String(repeating: "号", count: 129)])).contains(.length))
        #expect(Self.govern(["CF_WSH": String(repeating: "号", count: 128)]).status == .accepted)
    }

    @Test("A licence without a document number takes its licence number")
    func licenceFillFrom() {
        let row = Self.govern([:], governor: Self.license, base: Self.validLicense)
        #expect(row.status == .fixed, "\(row.issues)")
        #expect(Self.value(row, "XK_WSH") == "JY13301000000001")
        #expect(Self.value(row, "XK_ZT") == "1")
        #expect(row.sourceUnit == Self.authority)
        #expect(Self.govern(["XK_YXQZI": "2023/01/01"], governor: Self.license, base: Self.validLicense).issues.contains { $0.code == .dateOrder })
    }
}

@Suite("Header mapping")
struct HeaderMappingTests {
    static let governor = GovernanceRuleTests.penalty

    @Test("Field ids, Chinese labels, legacy names, asterisks and (必填) notes all map")
    func mapping() throws {
        let mapping = try #require(Self.governor.headerMapping(["*行政相对人名称", "CF_XDR_SHXYM", "统一社会信用代码", "CF_XDR_ZDM", "处罚决定日期(必填)", "罚款金额(万元)", "内部编号", ""]))
        let ids = mapping.columnFields.map { $0.map { Self.governor.resource.fields[$0].id } }
        #expect(ids == ["CF_XDR_MC", "CF_XDR_SHXYM", "CF_XDR_SHXYM", "CF_XDR_ZZJG", "CF_JDRQ", "CF_NR_FK", nil, nil])
        #expect(mapping.unknownColumns == ["内部编号"])
        #expect(mapping.missingFields.contains("CF_WSH"))
    }

    @Test("Instruction rows are not headers and are recognised")
    func instructions() {
        #expect(Self.governor.headerMapping(["表格说明：红色为必填项，日期格式为 YYYY/MM/DD", "", ""]) == nil)
        #expect(ResourceGovernor.isInstructionRow(["", "表格说明：…"]))
        #expect(!ResourceGovernor.isInstructionRow(["杭州某某", "表格说明"]))
        #expect(ResourceGovernor.isBlank(["", " ", "\u{3000}"]))
    }

    @Test("An amount column whose header names another unit (罚款金额（元）) is read in that unit")
    func headerUnits() throws {
        let fields = Self.governor.resource.fields
        let amount = try #require(fields.firstIndex { $0.id == "CF_NR_FK" })
        let header = fields.map { $0.id == "CF_NR_FK" ? "罚款金额（元）" : $0.label }
        let mapping = try #require(Self.governor.headerMapping(header))
        #expect(mapping.columnFields[amount] == amount)
        #expect(mapping.unknownColumns.isEmpty)
        func govern(_ fine: String) -> GovernedRow {
            let cells = fields.map { $0.id == "CF_NR_FK" ? fine : GovernanceRuleTests.validPenalty[$0.id] ?? "" }
            return Self.governor.govern(cells: cells, mapping: mapping, position: 1, submittingUnit: "SUBMITTER")
        }
        let yuan = govern("2000")
        #expect(yuan.status == .fixed)
        #expect(GovernanceRuleTests.value(yuan, "CF_NR_FK") == "0.2")
        #expect(yuan.issues.first { $0.field == "CF_NR_FK" }?.message == "「罚款金额（万元）」按表头的单位（元）换算为 0.2（万元）")
        // A unit written with the value wins; a fraction of a fen is more precise than the field keeps.
        #expect(GovernanceRuleTests.value(govern("0.2万元"), "CF_NR_FK") == "0.2")
        #expect(govern("0.001").issues.contains { $0.field == "CF_NR_FK" && $0.code == .type })
        #expect(govern("-2000").issues.contains { $0.field == "CF_NR_FK" && $0.code == .negativeAmount })
        // The field's own unit, however written, changes nothing.
        let own = try #require(Self.governor.headerMapping(fields.map { $0.id == "CF_NR_FK" ? "罚款金额(单位：万元)" : $0.label }))
        #expect(own.columnFields[amount] == amount)
        let cells = fields.map { GovernanceRuleTests.validPenalty[$0.id] ?? "" }
        #expect(Self.governor.govern(cells: cells, mapping: own, position: 1, submittingUnit: "SUBMITTER").status == .accepted)
        // A JSON key names a field as it is: no unit is read from it.
        var unknown: Set<String> = []
        var record = GovernanceRuleTests.validPenalty
        record["CF_NR_FK"] = nil
        record["罚款金额（元）"] = "2000"
        _ = Self.governor.govern(pairs: record.sorted { $0.key < $1.key }, position: 1, submittingUnit: "SUBMITTER", unknownKeys: &unknown)
        #expect(unknown == ["罚款金额（元）"])
    }

    @Test("A form's sign-off and total rows are recognised; a record with many cells never is")
    func footers() {
        #expect(ResourceGovernor.isFooterRow(["制表人：张三", "", "", "审核人：李四", "", "填报日期：2023-05-06"]))
        #expect(ResourceGovernor.isFooterRow(["", " 合计：35 条"]))
        #expect(ResourceGovernor.isFooterRow(["单位负责人：王五"]))
        #expect(!ResourceGovernor.isFooterRow(["合计", "1", "2", "3"]))
        #expect(!ResourceGovernor.isFooterRow(["审核通过的某公司", "法人及非法人组织", "91330100716105852D", "杭市监罚〔2023〕1号"]))
        #expect(!ResourceGovernor.isFooterRow(["杭州某某", "", ""]))
        #expect(!ResourceGovernor.isFooterRow(["", "", ""]))
    }
}

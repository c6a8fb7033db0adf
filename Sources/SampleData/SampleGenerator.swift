import CreditKernel
import Foundation

/// Synthetic 双公示 records for demos, tests and benchmarks: valid codes, plausible Chinese text,
/// and a controllable share of the defects real department files have.
public struct SampleGenerator {
    /// Which defects to mix in, each with its share of rows (0…1).
    public struct DefectMix: Sendable {
        /// Fixable: full-width codes, lower-case letters, other date spellings, amounts with units, padding.
        public var fixable: Double
        /// Rejected: bad check characters, missing required values, negative amounts, dates out of order.
        public var rejected: Double
        /// Exact repeats of an earlier row.
        public var duplicate: Double

        public init(fixable: Double = 0.05, rejected: Double = 0.03, duplicate: Double = 0.01) {
            self.fixable = fixable
            self.rejected = rejected
            self.duplicate = duplicate
        }

        public static let none = DefectMix(fixable: 0, rejected: 0, duplicate: 0)
    }

    public let resource: Resource
    public var defects: DefectMix
    private var random: SplitMix64
    private var previous: [[String]] = []
    private var serial = 0
    /// Source units (city bureaus) the rows name as 数据来源单位.
    private let dataSources: [(name: String, code: String)]
    private let authorities: [(name: String, code: String)]

    public init(resource: Resource, seed: UInt64 = 1, defects: DefectMix = DefectMix()) {
        self.resource = resource
        self.defects = defects
        var random = SplitMix64(seed: seed)
        authorities = Self.cities.prefix(6).flatMap { city in
            ["市场监督管理局", "生态环境局", "应急管理局", "税务局"].map { bureau in
                ("\(city)市\(bureau)", Self.uscc(prefix: "11", division: Self.divisions[city] ?? "330100", random: &random))
            }
        }
        dataSources = Self.cities.prefix(6).map { ("\($0)市大数据发展管理局", Self.uscc(prefix: "11", division: Self.divisions[$0] ?? "330100", random: &random)) }
        self.random = random
    }

    /// The header row: the template's Chinese labels.
    public var header: [String] { resource.fields.map(\.label) }

    /// The next row's cells in field order.
    public mutating func nextRow() -> [String] {
        serial += 1
        if defects.duplicate > 0, !previous.isEmpty, random.chance(defects.duplicate) {
            return previous[random.int(previous.count)]
        }
        var values = Dictionary(uniqueKeysWithValues: resource.fields.map { ($0.id, "") })
        switch resource.id {
        case "admin_license": fillLicense(&values)
        default: fillPenalty(&values)
        }
        if random.chance(defects.fixable) { makeFixable(&values) } else if random.chance(defects.rejected / max(0.0001, 1 - defects.fixable)) { makeRejected(&values) }
        let row = resource.fields.map { values[$0.id] ?? "" }
        if defects.duplicate > 0 {
            if previous.count < 1000 { previous.append(row) } else { previous[random.int(1000)] = row }
        }
        return row
    }

    // MARK: - Records

    private mutating func subject(_ values: inout [String: String], prefix: String) {
        let roll = random.double()
        if roll < 0.8 {
            let name = companyName()
            values["\(prefix)_XDR_MC"] = name
            values["\(prefix)_XDR_LB"] = "法人及非法人组织"
            values["\(prefix)_XDR_SHXYM"] = Self.uscc(prefix: "91", division: Self.divisions.values.randomElement(using: &random) ?? "330100", random: &random)
            values["\(prefix)_FRDB"] = personName()
        } else if roll < 0.95 {
            values["\(prefix)_XDR_MC"] = personName()
            values["\(prefix)_XDR_LB"] = "自然人"
            values["\(prefix)_XDR_ZJLX"] = "身份证"
            values["\(prefix)_XDR_ZJHM"] = residentID()
        } else {
            values["\(prefix)_XDR_MC"] = Self.cities[random.int(Self.cities.count)] + personName() + "便利店"
            values["\(prefix)_XDR_LB"] = "个体工商户"
            values["\(prefix)_XDR_SHXYM"] = Self.uscc(prefix: "92", division: "330100", random: &random)
            values["\(prefix)_FRDB"] = personName()
        }
    }

    private mutating func fillPenalty(_ values: inout [String: String]) {
        subject(&values, prefix: "CF")
        let authority = authorities[random.int(authorities.count)]
        let source = random.chance(0.5) ? authority : dataSources[random.int(dataSources.count)]
        let year = 2019 + random.int(6)
        let decision = CalendarDate(daysSinceEpoch: CalendarDate(year: year, month: 1, day: 1)!.daysSinceEpoch + random.int(360))
        let violation = Self.violations[random.int(Self.violations.count)]
        let yuan = (1 + random.int(500)) * 100
        let categories = random.chance(0.15) ? "罚款;没收违法所得" : (random.chance(0.1) ? "警告" : "罚款")
        values["CF_WSH"] = "\(authority.name.prefix(2))市监罚〔\(year)〕\(serial)号"
        values["CF_WFXW"] = violation.kind
        values["CF_SY"] = violation.fact.replacingOccurrences(of: "{n}", with: String(yuan / 10))
        values["CF_YJ"] = violation.basis
        values["CF_CFLB"] = categories
        if categories.contains("罚款") {
            values["CF_NR"] = "罚款人民币\(yuan)元"
            values["CF_NR_FK"] = AmountText.wan(yuan)
        } else {
            values["CF_NR"] = "警告"
        }
        if categories.contains("没收") {
            values["CF_NR"]! += "，没收违法所得\(yuan / 2)元"
            values["CF_NR_WFFF"] = AmountText.wan(yuan / 2)
        }
        values["CF_JDRQ"] = Self.slashed(decision)
        values["CF_YXQ"] = Self.slashed(decision.adding(days: 365))
        values["CF_GSJZQ"] = Self.slashed(decision.adding(days: 365 * 3))
        values["CF_CFJG"] = authority.name
        values["CF_CFJGDM"] = authority.code
        values["CF_SJLY"] = source.name
        values["CF_SJLYDM"] = source.code
        if random.chance(0.1) { values["BZ"] = "案件已执行完毕，当事人已缴纳罚款。" }
    }

    private mutating func fillLicense(_ values: inout [String: String]) {
        subject(&values, prefix: "XK")
        let authority = authorities[random.int(authorities.count)]
        let year = 2019 + random.int(6)
        let decision = CalendarDate(daysSinceEpoch: CalendarDate(year: year, month: 1, day: 1)!.daysSinceEpoch + random.int(360))
        let licence = Self.licences[random.int(Self.licences.count)]
        values["XK_XKWS"] = "关于准予\(licence.name)的决定"
        values["XK_WSH"] = "\(authority.name.prefix(2))许〔\(year)〕\(serial)号"
        values["XK_XKLB"] = licence.category
        values["XK_XKZS"] = licence.certificate
        values["XK_XKBH"] = "\(licence.prefix)\(330100)\(String(format: "%08d", serial))"
        values["XK_NR"] = licence.content
        values["XK_JDRQ"] = Self.slashed(decision)
        values["XK_YXQZ"] = Self.slashed(decision)
        values["XK_YXQZI"] = random.chance(0.1) ? "2099/12/31" : Self.slashed(decision.adding(days: 365 * 5 - 1))
        values["XK_XKJG"] = authority.name
        values["XK_XKJGDM"] = authority.code
        values["XK_ZT"] = "1"
        values["XK_LYDW"] = authority.name
        values["XK_LYDWDM"] = authority.code
    }

    // MARK: - Defects

    private mutating func makeFixable(_ values: inout [String: String]) {
        let dateField = resource.id == "admin_license" ? "XK_JDRQ" : "CF_JDRQ"
        let codeField = resource.id == "admin_license" ? "XK_XDR_SHXYM" : "CF_XDR_SHXYM"
        let referenceField = resource.id == "admin_license" ? "XK_WSH" : "CF_WSH"
        switch random.int(6) {
        case 0:
            if let date = values[dateField].flatMap({ CalendarDate(iso: $0.replacingOccurrences(of: "/", with: "-")) }) {
                values[dateField] = "\(date.year)年\(date.month)月\(date.day)日"
            }
        case 1:
            if let code = values[codeField], !code.isEmpty {
                values[codeField] = String(code.unicodeScalars.map { Character(Unicode.Scalar($0.value + 0xFEE0)!) })
            }
        case 2:
            if let amount = values["CF_NR_FK"], let yuan = Double(amount), !amount.isEmpty {
                values["CF_NR_FK"] = "\(Int((yuan * 10000).rounded()))元"
            }
        case 3:
            values[resource.subject.nameField] = "\u{3000}" + (values[resource.subject.nameField] ?? "") + " "
        case 4:
            if let date = values[dateField].flatMap({ CalendarDate(iso: $0.replacingOccurrences(of: "/", with: "-")) }) {
                values[dateField] = String(date.compactValue)
            }
        default:
            // The year in brackets typed from the keyboard rather than GB/T 9704's 〔〕.
            if let reference = values[referenceField] {
                values[referenceField] = reference.replacingOccurrences(of: "〔", with: "[").replacingOccurrences(of: "〕", with: "]")
            }
        }
    }

    private mutating func makeRejected(_ values: inout [String: String]) {
        let prefix = resource.id == "admin_license" ? "XK" : "CF"
        switch random.int(4) {
        case 0:
            if let code = values["\(prefix)_XDR_SHXYM"], code.count == 18 {
                let last = code.last == "0" ? "1" : "0"
                values["\(prefix)_XDR_SHXYM"] = String(code.dropLast()) + last
            } else {
                values["\(prefix)_XDR_ZJHM"] = String((values["\(prefix)_XDR_ZJHM"] ?? "").dropLast()) + "0"
            }
        case 1:
            values[resource.subject.nameField] = ""
        case 2:
            if prefix == "CF", values["CF_NR_FK"]?.isEmpty == false { values["CF_NR_FK"] = "-" + values["CF_NR_FK"]! } else { values["\(prefix)_WSH"] = "" }
        default:
            let later = prefix == "CF" ? "CF_YXQ" : "XK_YXQZI"
            values[later] = "2018/01/01"
        }
    }

    // MARK: - Parts

    static func slashed(_ date: CalendarDate) -> String {
        date.description.replacingOccurrences(of: "-", with: "/")
    }

    static func uscc(prefix: String, division: String, random: inout SplitMix64) -> String {
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        var body = ""
        for _ in 0..<8 { body.append(random.chance(0.85) ? Character(String(random.int(10))) : alphabet[10 + random.int(alphabet.count - 10)]) }
        let weights = [3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body.utf8, weights).reduce(0) { total, pair in
            let value = pair.0 >= 0x41 ? Int(pair.0 - 0x41) + 10 : Int(pair.0 - 0x30)
            return total + value * pair.1
        }
        let remainder = 11 - sum % 11
        let check = remainder == 10 ? "X" : remainder == 11 ? "0" : String(remainder)
        let first17 = prefix + division + body + check
        return first17 + String(UnifiedSocialCreditCode.checkCharacter(for: Array(first17.utf8))!)
    }

    private mutating func residentID() -> String {
        let birth = CalendarDate(daysSinceEpoch: CalendarDate(year: 1960, month: 1, day: 1)!.daysSinceEpoch + random.int(15000))
        let body = (Self.divisions.values.randomElement(using: &random) ?? "330100") + String(birth.compactValue) + String(format: "%03d", random.int(1000))
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body.utf8, weights).reduce(0) { $0 + Int($1.0 - 0x30) * $1.1 }
        return body + String(Array("10X98765432")[sum % 11])
    }

    private mutating func companyName() -> String {
        Self.cities[random.int(Self.cities.count)] + Self.brandParts[random.int(Self.brandParts.count)] + Self.brandParts[random.int(Self.brandParts.count)]
            + Self.industries[random.int(Self.industries.count)] + "有限公司"
    }

    private mutating func personName() -> String {
        Self.surnames[random.int(Self.surnames.count)] + Self.givenNames[random.int(Self.givenNames.count)]
            + (random.chance(0.6) ? Self.givenNames[random.int(Self.givenNames.count)] : "")
    }

    static let cities = ["杭州", "宁波", "温州", "绍兴", "湖州", "嘉兴", "金华", "台州", "成都", "绵阳", "银川", "厦门"]
    static let divisions = [
        "杭州": "330100", "宁波": "330200", "温州": "330300", "绍兴": "330600", "湖州": "330500", "嘉兴": "330400", "金华": "330700",
        "台州": "331000", "成都": "510100", "绵阳": "510700", "银川": "640100", "厦门": "350200",
    ]
    static let brandParts = ["鑫", "盛", "华", "泰", "远", "航", "恒", "通", "瑞", "丰", "嘉", "信", "达", "隆", "宏", "博", "新", "源", "金", "润"]
    static let industries = ["科技", "贸易", "建设工程", "餐饮管理", "食品", "物流", "医药", "电子商务", "环保科技", "机械制造", "文化传媒", "农业开发"]
    static let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"]
    static let givenNames = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞", "平"]
    static let violations: [(kind: String, fact: String, basis: String)] = [
        ("虚假宣传", "当事人在其经营的网店发布“销量第一”等虚假宣传内容，违法经营额 {n} 元。", "《中华人民共和国反不正当竞争法》第八条第一款、第二十条第一款"),
        ("销售不符合食品安全标准的食品", "经抽检，当事人销售的“鲜榨果汁”菌落总数不合格，\n货值金额 {n} 元，违法所得 {n} 元。", "《中华人民共和国食品安全法》第三十四条、第一百二十四条"),
        ("未按规定公示年度报告", "当事人未按照规定的期限公示年度报告，被列入经营异常名录。", "《企业信息公示暂行条例》第八条、第十七条"),
        ("无证经营", "当事人未取得食品经营许可证从事餐饮服务活动，违法所得 {n} 元。", "《中华人民共和国食品安全法》第三十五条、第一百二十二条"),
        ("违反安全生产规定", "当事人未按规定对从业人员进行安全生产教育和培训，存在\"三违\"现象。", "《中华人民共和国安全生产法》第二十八条、第九十七条"),
        ("超标排放污染物", "当事人废气排放口颗粒物浓度超过国家排放标准，超标倍数 1.5 倍。", "《中华人民共和国大气污染防治法》第十八条、第九十九条"),
    ]
    static let licences: [(name: String, category: String, certificate: String, prefix: String, content: String)] = [
        ("食品经营许可", "普通", "食品经营许可证", "JY1", "预包装食品销售（含冷藏冷冻食品）；热食类食品制售"),
        ("建筑业企业资质", "认可", "建筑业企业资质证书", "D2", "建筑工程施工总承包三级"),
        ("排污许可", "普通", "排污许可证", "PW", "废水、废气污染物排放"),
        ("道路运输经营许可", "特许", "道路运输经营许可证", "YS", "普通货运"),
        ("药品经营许可", "普通", "药品经营许可证", "YP", "中成药、化学药制剂、抗生素制剂"),
    ]
}

enum AmountText {
    /// 元 as a 万元 decimal string, exactly.
    static func wan(_ yuan: Int) -> String {
        let whole = yuan / 10000
        var fraction = String(yuan % 10000)
        guard yuan % 10000 != 0 else { return String(whole) }
        fraction = String(repeating: "0", count: 4 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(whole).\(fraction)"
    }
}

/// A small, fast, seedable generator: the same seed gives the same file on every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ upperBound: Int) -> Int {
        Int(next() % UInt64(upperBound))
    }

    mutating func double() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }

    mutating func chance(_ probability: Double) -> Bool {
        probability > 0 && double() < probability
    }
}

/// A credit information resource (信用信息资源): one row of the catalogue (细目).
///
/// A resource says what may be collected, from whom, through which channels, how each field is
/// governed, and how the data may be shared. It is read from a YAML file under `catalog/` and
/// versioned by the store when its content changes.
public struct Resource: Sendable, Hashable, Codable {
    /// Stable identifier, e.g. `admin_penalty`.
    public var id: String
    /// Chinese name, e.g. 行政处罚.
    public var name: String
    /// English name.
    public var nameEnglish: String
    /// What the resource holds, for people reading the catalogue.
    public var description: String?
    /// The subjects records of this resource are about.
    public var subjectTypes: [SubjectType]
    /// Public (公共) or non-public (非公共) credit information.
    public var informationClass: InformationClass
    /// How the subject of a record is identified.
    public var subject: SubjectBinding
    /// The fields, in template order.
    public var fields: [FieldDefinition]
    /// Code lists referenced by fields, by name.
    public var codeLists: [String: CodeList]
    /// What identifies one fact: the same key is the same record.
    public var businessKey: BusinessKey
    /// The field holding the data-source unit's code (数据来源单位统一社会信用代码); when absent the
    /// submitting unit is the source.
    public var sourceUnitField: String?
    /// Cross-field rules.
    public var rules: [CatalogueRule]
    /// Theme stores (主题库) this resource feeds.
    public var themes: [String]
    /// Share type (共享类型).
    public var shareType: ShareType
    /// Each batch of this conditional resource needs its own approval (一批次一审批).
    public var perBatchApproval: Bool
    /// Disclosure (公开方式).
    public var disclosure: Disclosure
    /// Market-use class (市场化应用分类).
    public var marketUse: MarketUseClass
    /// Sensitivity grade and the classification label that travels with delivered data.
    public var sensitivity: Sensitivity
    /// Expected update frequency; drives the timeliness check.
    public var updateFrequency: UpdateFrequency
    /// Maximum days between the decision date and collection, if the resource has one.
    public var timeliness: Timeliness?
    /// Units allowed to provide this resource; empty means any registered provider.
    public var sourceUnits: [SourceUnitRef]
    /// Collection channels allowed.
    public var channels: [CollectionChannel]
    /// Publicity period (公示期) in months, when the resource is published.
    public var publicityPeriod: PublicityPeriod?
    /// How long access logs for this resource are kept.
    public var logRetention: RetentionClass

    public init(
        id: String,
        name: String,
        nameEnglish: String,
        description: String? = nil,
        subjectTypes: [SubjectType],
        informationClass: InformationClass,
        subject: SubjectBinding,
        fields: [FieldDefinition],
        codeLists: [String: CodeList],
        businessKey: BusinessKey,
        sourceUnitField: String?,
        rules: [CatalogueRule],
        themes: [String],
        shareType: ShareType,
        perBatchApproval: Bool,
        disclosure: Disclosure,
        marketUse: MarketUseClass,
        sensitivity: Sensitivity,
        updateFrequency: UpdateFrequency,
        timeliness: Timeliness?,
        sourceUnits: [SourceUnitRef],
        channels: [CollectionChannel],
        publicityPeriod: PublicityPeriod?,
        logRetention: RetentionClass
    ) {
        self.id = id
        self.name = name
        self.nameEnglish = nameEnglish
        self.description = description
        self.subjectTypes = subjectTypes
        self.informationClass = informationClass
        self.subject = subject
        self.fields = fields
        self.codeLists = codeLists
        self.businessKey = businessKey
        self.sourceUnitField = sourceUnitField
        self.rules = rules
        self.themes = themes
        self.shareType = shareType
        self.perBatchApproval = perBatchApproval
        self.disclosure = disclosure
        self.marketUse = marketUse
        self.sensitivity = sensitivity
        self.updateFrequency = updateFrequency
        self.timeliness = timeliness
        self.sourceUnits = sourceUnits
        self.channels = channels
        self.publicityPeriod = publicityPeriod
        self.logRetention = logRetention
    }

    /// The field with this identifier.
    public func field(_ id: String) -> FieldDefinition? {
        fields.first { $0.id == id }
    }
}

/// The kind of subject a record is about.
public enum SubjectType: String, Sendable, Hashable, Codable, CaseIterable {
    /// 法人及非法人组织
    case legalPerson = "legal_person"
    /// 自然人
    case naturalPerson = "natural_person"
    /// 个体工商户
    case individualBusiness = "individual_business"
}

/// 公共信用信息 or 非公共信用信息.
public enum InformationClass: String, Sendable, Hashable, Codable, CaseIterable {
    case `public` = "public"
    case nonPublic = "non_public"
}

/// Share type (共享类型).
public enum ShareType: String, Sendable, Hashable, Codable, CaseIterable {
    /// 无条件共享
    case unconditional
    /// 有条件共享
    case conditional
    /// 不予共享
    case notShared = "not_shared"
}

/// How a resource may be disclosed (公开方式).
public enum Disclosure: String, Sendable, Hashable, Codable, CaseIterable {
    /// 社会公开
    case `public` = "public"
    /// 依职权查询 (government authority)
    case byAuthority = "by_authority"
    /// 实名查询
    case byRealName = "by_real_name"
    /// 依授权查询 (the subject's authorisation)
    case byAuthorisation = "by_authorisation"
}

/// Market-use class (市场化应用分类).
public enum MarketUseClass: String, Sendable, Hashable, Codable, CaseIterable {
    /// 普通类
    case ordinary
    /// 需授权类
    case authorised
    /// 暂不宜市场化应用类
    case notForMarketUse = "not_for_market_use"
}

/// Sensitivity grade (分级) and classification label (分类标识).
public struct Sensitivity: Sendable, Hashable, Codable {
    /// 1 (lowest) to 4 (highest).
    public var grade: Int
    /// The label that must travel with delivered data, e.g. `L1/行政管理信息/行政处罚`.
    public var label: String

    public init(grade: Int, label: String) {
        self.grade = grade
        self.label = label
    }

    /// Grades the platform knows.
    public static let grades = 1...4
}

/// Expected update frequency (更新频率).
public enum UpdateFrequency: String, Sendable, Hashable, Codable, CaseIterable {
    case realtime
    case daily
    case weekly
    case monthly
    case quarterly
    case yearly
    case onChange = "on_change"

    /// The longest gap between two collections before the resource counts as stale.
    public var maximumGapDays: Int? {
        switch self {
        case .realtime, .daily: 1
        case .weekly: 7
        case .monthly: 31
        case .quarterly: 92
        case .yearly: 366
        case .onChange: nil
        }
    }
}

/// Timeliness: a record must arrive within `maximumDays` of the date in `dateField`
/// (双公示: within 7 working days of the decision).
public struct Timeliness: Sendable, Hashable, Codable {
    public var dateField: String
    public var maximumDays: Int

    public init(dateField: String, maximumDays: Int) {
        self.dateField = dateField
        self.maximumDays = maximumDays
    }
}

/// A unit allowed to provide a resource.
public struct SourceUnitRef: Sendable, Hashable, Codable {
    /// Unified social credit code of the unit.
    public var code: String
    public var name: String

    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }
}

/// The channels data can arrive through.
public enum CollectionChannel: String, Sendable, Hashable, Codable, CaseIterable {
    /// 接口
    case interface
    /// 前置机 file drop
    case fileDrop = "file_drop"
    /// 虚拟终端 upload
    case terminalUpload = "terminal_upload"
    /// 专项数据征集
    case specialCollection = "special_collection"
    /// 库表
    case tablePull = "table_pull"
    /// Command-line ingestion by platform staff.
    case commandLine = "command_line"
}

/// Publicity period (公示期) bounds in months.
public struct PublicityPeriod: Sendable, Hashable, Codable {
    public var minimumMonths: Int
    public var maximumMonths: Int
    /// The field holding the publicity end date (公示截止期), if any.
    public var endField: String?

    public init(minimumMonths: Int, maximumMonths: Int, endField: String?) {
        self.minimumMonths = minimumMonths
        self.maximumMonths = maximumMonths
        self.endField = endField
    }
}

/// Log-retention class: how many years access and collection logs are kept.
public enum RetentionClass: Int, Sendable, Hashable, Codable, CaseIterable {
    case twoYears = 2
    case threeYears = 3
    case fiveYears = 5

    public var years: Int { rawValue }
}

/// How the subject of a record is identified.
public struct SubjectBinding: Sendable, Hashable, Codable {
    /// Field holding the subject category (行政相对人类别).
    public var typeField: String?
    /// Values of `typeField` and the subject type each means.
    public var typeValues: [String: SubjectType]
    /// Field holding the subject's name.
    public var nameField: String
    /// Fields holding the subject's code, in order of preference; the first non-empty value that is
    /// not a placeholder identifies the subject.
    public var codeFields: [String]

    public init(typeField: String?, typeValues: [String: SubjectType], nameField: String, codeFields: [String]) {
        self.typeField = typeField
        self.typeValues = typeValues
        self.nameField = nameField
        self.codeFields = codeFields
    }
}

/// What identifies one fact (业务主键).
public struct BusinessKey: Sendable, Hashable, Codable {
    /// Fields that are part of the key, e.g. `CF_WSH`.
    public var fields: [String]
    /// Whether the subject's code (see ``SubjectBinding``) is part of the key.
    public var includesSubjectCode: Bool

    public init(fields: [String], includesSubjectCode: Bool) {
        self.fields = fields
        self.includesSubjectCode = includesSubjectCode
    }
}

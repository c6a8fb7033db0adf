/// One data item of a resource.
public struct FieldDefinition: Sendable, Hashable, Codable {
    /// National identifier, e.g. `CF_XDR_SHXYM`.
    public var id: String
    /// Chinese label as in the template, e.g. 行政相对人代码_1(统一社会信用代码).
    public var label: String
    /// Other header texts that mean this field: short labels, legacy template names.
    public var aliases: [String]
    public var type: FieldType
    /// Whether a value is always required; conditional requirements are ``CatalogueRule``s.
    public var required: Bool
    /// Maximum length in characters, if limited.
    public var maximumLength: Int?
    /// Name of the code list values must come from (type `code`).
    public var codeList: String?
    /// Several values in one cell, separated by `;`, `；` or `、`.
    public var multipleValues: Bool
    /// Personal or otherwise sensitive: encrypted at rest and masked in responses.
    public var sensitive: Bool
    public var masking: Masking
    /// For `document_number` fields: the field holding the document type.
    public var documentTypeField: String?
    /// For `amount` fields: the unit values are stored in.
    public var unit: AmountUnit?
    public var description: String?

    public init(
        id: String,
        label: String,
        aliases: [String] = [],
        type: FieldType,
        required: Bool,
        maximumLength: Int? = nil,
        codeList: String? = nil,
        multipleValues: Bool = false,
        sensitive: Bool = false,
        masking: Masking = .none,
        documentTypeField: String? = nil,
        unit: AmountUnit? = nil,
        description: String? = nil
    ) {
        self.id = id
        self.label = label
        self.aliases = aliases
        self.type = type
        self.required = required
        self.maximumLength = maximumLength
        self.codeList = codeList
        self.multipleValues = multipleValues
        self.sensitive = sensitive
        self.masking = masking
        self.documentTypeField = documentTypeField
        self.unit = unit
        self.description = description
    }
}

/// The value types the governance rules understand.
public enum FieldType: String, Sendable, Hashable, Codable, CaseIterable {
    /// Short text (varchar).
    case string
    /// Long free text; may contain commas and line breaks.
    case text
    case integer
    case decimal
    /// Money, in ``AmountUnit``; never negative.
    case amount
    /// A calendar date, stored as `YYYY-MM-DD`.
    case date
    /// A value from a code list.
    case code
    /// Unified social credit code, GB 32100 (18 characters with a check character).
    case uscc
    /// Organisation code, GB 11714 (9 characters with a check character).
    case organisationCode = "organisation_code"
    /// Resident identity card number, GB 11643.
    case residentID = "resident_id"
    /// A document number whose rules depend on a document-type field (身份证 → GB 11643).
    case documentNumber = "document_number"
    /// An official document's reference number (发文字号, 文书号) such as 杭市监罚〔2023〕12号:
    /// text whose year brackets, digits and spaces are written one way (GB/T 9704).
    case referenceNumber = "reference_number"
}

/// Unit of an amount field.
public enum AmountUnit: String, Sendable, Hashable, Codable, CaseIterable {
    /// 万元 (ten thousand yuan), the national template's unit.
    case tenThousandYuan = "万元"
    /// 元
    case yuan = "元"
}

/// How a value is masked (脱敏) in responses.
public enum Masking: Sendable, Hashable, Codable {
    case none
    /// Keep this many leading and trailing characters, replace the rest with `*`.
    case keep(first: Int, last: Int)
    /// Replace every character.
    case full

    /// Named presets accepted in catalogue files.
    public static let presets: [String: Masking] = [
        "none": .none,
        "full": .full,
        "name": .keep(first: 1, last: 0),
        "resident_id": .keep(first: 6, last: 4),
        "document_number": .keep(first: 2, last: 2),
        "phone": .keep(first: 3, last: 4),
        "address": .keep(first: 6, last: 0),
    ]

    /// Masks `value`, counting characters (not bytes) so Chinese text masks correctly.
    public func apply(to value: String) -> String {
        switch self {
        case .none:
            return value
        case .full:
            return String(repeating: "*", count: value.count)
        case .keep(let first, let last):
            let characters = Array(value)
            guard !characters.isEmpty else { return value }
            // Always hide at least one character, even in values shorter than what is kept.
            let keptFirst = min(first, characters.count - 1)
            let keptLast = min(last, characters.count - 1 - keptFirst)
            return String(characters.prefix(keptFirst))
                + String(repeating: "*", count: characters.count - keptFirst - keptLast)
                + String(characters.suffix(keptLast))
        }
    }
}

/// A named list of allowed values.
public struct CodeList: Sendable, Hashable, Codable {
    public var values: [CodeValue]

    public init(values: [CodeValue]) {
        self.values = values
    }

    /// The canonical value for `text`, accepting aliases.
    public func canonical(_ text: String) -> String? {
        for value in values where value.value == text || value.aliases.contains(text) {
            return value.value
        }
        return nil
    }

    /// Whether `text` is a canonical value of the list; values ending in `-…` accept a free-text
    /// qualifier after the dash (其他-具体类别).
    public func accepts(_ text: String) -> Bool {
        values.contains { entry in
            entry.value == text || (entry.allowsQualifier && text.hasPrefix(entry.value + "-") && text.count > entry.value.count + 1)
        }
    }
}

/// One allowed value of a code list.
public struct CodeValue: Sendable, Hashable, Codable {
    public var value: String
    public var meaning: String?
    /// Other spellings normalised to `value`.
    public var aliases: [String]
    /// Accepts `value-qualifier` (其他-具体).
    public var allowsQualifier: Bool

    public init(value: String, meaning: String? = nil, aliases: [String] = [], allowsQualifier: Bool = false) {
        self.value = value
        self.meaning = meaning
        self.aliases = aliases
        self.allowsQualifier = allowsQualifier
    }
}

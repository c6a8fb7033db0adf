/// A cross-field governance rule declared in the catalogue.
public enum CatalogueRule: Sendable, Hashable, Codable {
    /// When `condition` holds, every field in `fields` must have a value.
    case conditionalRequired(id: String, condition: FieldCondition, fields: [String])
    /// `later` must not be before `earlier`, when both are present.
    case dateOrder(id: String, earlier: String, later: String)
    /// The date in `field` must not be after the reference date (opt-in).
    case notInFuture(id: String, field: String)
    /// `field` may hold the placeholder `value` only when `condition` holds, and then every field
    /// in `requires` must have a value (17 zeros + X for individual businesses without a code).
    case placeholder(id: String, field: String, value: String, condition: FieldCondition, requires: [String])
    /// When `field` is empty, take the value of `source` (许可编号 stands in for a missing 文书号).
    case fillFrom(id: String, field: String, source: String)
    /// The amount in `amountField` should agree with an amount written in the text of `textField`
    /// (catches 元 typed into a 万元 field) (opt-in).
    case amountMatchesText(id: String, amountField: String, textField: String)

    /// Stable identifier of the rule, used in receipts.
    public var id: String {
        switch self {
        case .conditionalRequired(let id, _, _), .dateOrder(let id, _, _), .notInFuture(let id, _),
            .placeholder(let id, _, _, _, _), .amountMatchesText(let id, _, _), .fillFrom(let id, _, _):
            id
        }
    }

    /// Every field the rule names.
    public var referencedFields: [String] {
        switch self {
        case .conditionalRequired(_, let condition, let fields): [condition.field] + fields
        case .dateOrder(_, let earlier, let later): [earlier, later]
        case .notInFuture(_, let field): [field]
        case .placeholder(_, let field, _, let condition, let requires): [field, condition.field] + requires
        case .amountMatchesText(_, let amountField, let textField): [amountField, textField]
        case .fillFrom(_, let field, let source): [field, source]
        }
    }
}

/// A condition on one field's value.
public struct FieldCondition: Sendable, Hashable, Codable {
    public var field: String
    /// The condition holds when the value (or, for multi-value fields, any of its values) matches
    /// one of these.
    public var anyOf: [String]
    /// Match values that contain one of `anyOf` (暂扣许可证件 matches 暂扣).
    public var containsMatch: Bool

    public init(field: String, anyOf: [String], containsMatch: Bool = false) {
        self.field = field
        self.anyOf = anyOf
        self.containsMatch = containsMatch
    }

    /// Whether one value satisfies the condition.
    public func matches(_ value: String) -> Bool {
        anyOf.contains { containsMatch ? value.contains($0) : value == $0 }
    }
}

import CreditKernel

/// How a file's columns map to a resource's fields.
public struct HeaderMapping: Sendable, Hashable {
    /// The header cells as they appear in the file.
    public var header: [String]
    /// For each column, the index of the field it holds, or nil for an unknown column.
    public var columnFields: [Int?]
    /// Header cells no field claims.
    public var unknownColumns: [String]
    /// Ids of fields without a column.
    public var missingFields: [String]
    /// For each field, the amount unit its column's header names where that is not the field's
    /// own (`罚款金额（元）` for a field in 万元); nil when no header does.
    var declaredUnits: [AmountUnit?]?
    /// For each field, the first column holding it, or -1.
    var firstColumns: [Int]
    /// Some field has more than one column (the first non-empty one counts, row by row).
    var repeatsFields: Bool
    /// The columns are exactly the resource's fields in catalogue order, so a row whose values
    /// need no change is already its normalised form.
    var isFieldOrder: Bool

    init(header: [String], columnFields: [Int?], columnUnits: [AmountUnit?] = [], unknownColumns: [String], missingFields: [String], fieldCount: Int) {
        self.header = header
        self.columnFields = columnFields
        self.unknownColumns = unknownColumns
        self.missingFields = missingFields
        var firstColumns = [Int](repeating: -1, count: fieldCount)
        var repeatsFields = false
        for (column, field) in columnFields.enumerated() {
            guard let field else { continue }
            if firstColumns[field] < 0 { firstColumns[field] = column } else { repeatsFields = true }
        }
        self.firstColumns = firstColumns
        self.repeatsFields = repeatsFields
        // A field in two columns takes, row by row, the first that is not empty: both must say the same unit.
        if columnUnits.contains(where: { $0 != nil }) {
            declaredUnits = (0..<fieldCount).map { field in
                let units = Set(columnFields.indices.filter { columnFields[$0] == field }.map { columnUnits[$0] })
                return units.count == 1 ? units.first! : nil
            }
        }
        isFieldOrder = columnFields.count == fieldCount && columnFields.enumerated().allSatisfy { $0.offset == $0.element }
    }
}

/// Recognises header cells by field id, Chinese label or alias, however they are padded or typed.
struct HeaderMatcher: Sendable {
    private var lookup: [String: Int] = [:]
    /// The names exactly as the catalogue writes them: JSON records name their fields in every
    /// record, nearly always so, and normalising each key cost half of governing a JSON record.
    private var verbatim: [String: Int] = [:]

    /// Amount fields by their names without the unit they are written with (`罚款金额`).
    private var withoutUnit: [String: Int] = [:]
    private let units: [AmountUnit?]

    init(fields: [FieldDefinition]) {
        units = fields.map(\.unit)
        for (index, field) in fields.enumerated() {
            for name in [field.id, field.label] + field.aliases {
                let key = Self.normalise(name)
                if lookup[key] == nil { lookup[key] = index }
                if verbatim[name] == nil { verbatim[name] = lookup[key] }
                if field.unit != nil, let (base, _) = Self.splittingUnit(key), withoutUnit[base] == nil { withoutUnit[base] = index }
            }
        }
    }

    /// A normalised header's name and the amount unit it ends with: `罚款金额(元)`, `罚款金额(单位:元)`, `罚款金额/万元`.
    static func splittingUnit(_ key: String) -> (name: String, unit: AmountUnit)? {
        for unit in AmountUnit.allCases {
            for suffix in ["(\(unit.rawValue))", "(单位:\(unit.rawValue))", "/\(unit.rawValue)"] where key.hasSuffix(suffix) && key.count > suffix.count {
                return (String(key.dropLast(suffix.count)), unit)
            }
        }
        return nil
    }

    /// A column header's field, and the amount unit it names where that is not the field's own: a
    /// department's template may keep an amount in 元 where the catalogue's is in 万元. Only for
    /// columns, whose values are converted by it; a JSON key names a field as it is.
    func column(for header: String) -> (field: Int, unit: AmountUnit?)? {
        if let field = field(for: header) { return (field, nil) }
        guard let (name, unit) = Self.splittingUnit(Self.normalise(header)), let field = withoutUnit[name] else { return nil }
        return (field, units[field] == unit ? nil : unit)
    }

    func field(for header: String) -> Int? {
        verbatim[header] ?? lookup[Self.normalise(header)]
    }

    /// Header text without padding, full-width forms, inner spaces, required-column asterisks or
    /// `(必填)` notes, ASCII in lower case.
    static func normalise(_ text: String) -> String {
        var value = TextNormalisation.halfWidth(TextNormalisation.trim(text))
        value.removeAll { $0 == " " || $0 == "\u{3000}" || $0 == "\n" || $0 == "\r" }
        while value.hasPrefix("*") { value.removeFirst() }
        while value.hasSuffix("*") { value.removeLast() }
        for note in ["(必填)", "(选填)", "(可选)", "(非必填)"] where value.hasSuffix(note) {
            value.removeLast(note.count)
        }
        return String(decoding: value.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// The mapping if `cells` look like a header: at least two columns name fields, and they are
    /// at least half of the non-empty cells (an instruction row rarely is).
    func mapping(for cells: [String], fields: [FieldDefinition]) -> HeaderMapping? {
        let columns = cells.map(column(for:))
        let columnFields = columns.map { $0?.field }
        let nonEmpty = cells.filter { !TextNormalisation.trim($0).isEmpty }.count
        let mapped = columnFields.compactMap { $0 }.count
        guard mapped >= 2, mapped * 2 >= nonEmpty else { return nil }
        let unknown = zip(cells, columnFields).filter { $1 == nil && !TextNormalisation.trim($0).isEmpty }.map { TextNormalisation.trim($0.0) }
        let present = Set(columnFields.compactMap { $0 })
        let missing = fields.indices.filter { !present.contains($0) }.map { fields[$0].id }
        return HeaderMapping(
            header: cells, columnFields: columnFields, columnUnits: columns.map { $0?.unit }, unknownColumns: unknown, missingFields: missing, fieldCount: fields.count
        )
    }
}

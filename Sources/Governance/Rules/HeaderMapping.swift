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
    /// For each field, the first column holding it, or -1.
    var firstColumns: [Int]
    /// Some field has more than one column (the first non-empty one counts, row by row).
    var repeatsFields: Bool
    /// The columns are exactly the resource's fields in catalogue order, so a row whose values
    /// need no change is already its normalised form.
    var isFieldOrder: Bool

    init(header: [String], columnFields: [Int?], unknownColumns: [String], missingFields: [String], fieldCount: Int) {
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
        isFieldOrder = columnFields.count == fieldCount && columnFields.enumerated().allSatisfy { $0.offset == $0.element }
    }
}

/// Recognises header cells by field id, Chinese label or alias, however they are padded or typed.
struct HeaderMatcher: Sendable {
    private var lookup: [String: Int] = [:]
    /// The names exactly as the catalogue writes them: JSON records name their fields in every
    /// record, nearly always so, and normalising each key cost half of governing a JSON record.
    private var verbatim: [String: Int] = [:]

    init(fields: [FieldDefinition]) {
        for (index, field) in fields.enumerated() {
            for name in [field.id, field.label] + field.aliases {
                let key = Self.normalise(name)
                if lookup[key] == nil { lookup[key] = index }
                if verbatim[name] == nil { verbatim[name] = lookup[key] }
            }
        }
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
        let columnFields = cells.map(field(for:))
        let nonEmpty = cells.filter { !TextNormalisation.trim($0).isEmpty }.count
        let mapped = columnFields.compactMap { $0 }.count
        guard mapped >= 2, mapped * 2 >= nonEmpty else { return nil }
        let unknown = zip(cells, columnFields).filter { $1 == nil && !TextNormalisation.trim($0).isEmpty }.map { TextNormalisation.trim($0.0) }
        let present = Set(columnFields.compactMap { $0 })
        let missing = fields.indices.filter { !present.contains($0) }.map { fields[$0].id }
        return HeaderMapping(header: cells, columnFields: columnFields, unknownColumns: unknown, missingFields: missing, fieldCount: fields.count)
    }
}
